"""What a resize computes, as data: :class:`Conventions` and :class:`ResizeSpec`.

Every convention that makes two "bicubic" resizes differ has one field here, and each field takes
its values from one table below, so reports can print them and tests can pin them. Parsing and
validation of user strings (``"torch:bicubic+aa"``) happen here, at the boundary; errors list the
valid values.

Spec grammar
------------
``BACKEND[:KERNEL][+aa|-aa]``

* ``BACKEND`` is a registered backend name (``sr-audit backends`` lists them).
* ``KERNEL`` is one of :data:`KERNELS`; left out, the backend's default applies (``bicubic`` for
  every built-in backend).
* ``+aa`` / ``-aa`` switch antialiasing on / off where the library has the switch; without it the
  library's own default applies (and the canonical form spells it out).

The canonical string of a resolved spec always names all three parts, e.g. ``pil:bicubic+aa``.
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any

from sr_audit.errors import SpecError

#: Kernel names users write, and what each is.
KERNELS: dict[str, str] = {
    "bicubic": "Keys cubic convolution; the coefficient a is in Conventions.cubic_a",
    "bilinear": "triangle (tent) kernel, support 1",
    "lanczos2": "Lanczos windowed sinc, a = 2",
    "lanczos3": "Lanczos windowed sinc, a = 3",
    "lanczos4": "Lanczos windowed sinc, a = 4 (OpenCV's INTER_LANCZOS4 works on an 8x8 window)",
    "box": "box kernel, support 1/2 (MATLAB 'box', Pillow BOX)",
    "area": "pixel-area averaging (OpenCV INTER_AREA, TF 'area', torch 'area')",
    "nearest": "nearest neighbour",
    "hamming": "Hamming windowed sinc (Pillow HAMMING)",
    "triangle": "MATLAB 'triangle': same tent as bilinear, named as MATLAB names it",
    "gaussian": "Gaussian kernel (TF 'gaussian')",
    "mitchellcubic": "Mitchell-Netravali cubic, B = C = 1/3 (TF 'mitchellcubic')",
}

#: Aliases accepted on input, mapped to the names in KERNELS.
KERNEL_ALIASES: dict[str, str] = {
    "cubic": "bicubic",
    "linear": "bilinear",
    "lanczos": "lanczos3",
    "nn": "nearest",
}

#: How output pixel x maps to input coordinate u (0-based, scale s = out/in).
PIXEL_CENTRES: dict[str, str] = {
    "half-pixel": "u = (x + 0.5) / s - 0.5 (pixel centres at half-integers; MATLAB, Pillow, OpenCV)",
    "align-corners": "u = x * (in - 1) / (out - 1) (corner pixel centres coincide)",
    "asymmetric": "u = x / s (top-left corners coincide; TF1 default, nearest in many libraries)",
}

#: What a tap outside the image reads.
BORDERS: dict[str, str] = {
    "symmetric": "mirror with the edge pixel repeated: ... b a | a b c ... (MATLAB R2015b+)",
    "replicate": "clamp to the edge pixel: ... a a | a b c ... (legacy MATLAB, torch, TF)",
    "reflect": "mirror without repeating the edge: ... c b | a b c ... (OpenCV BORDER_REFLECT_101)",
    "renormalise": "taps outside are dropped and the remaining weights rescaled to sum 1 (Pillow)",
    "constant": "taps outside read zero",
}

#: How a real value becomes an integer in the 8-bit/16-bit paths.
ROUNDINGS: dict[str, str] = {
    "half-away-from-zero": "round(x) with ties away from zero (MATLAB uint8())",
    "half-up": "floor(x + 0.5) (fixed-point libraries: Pillow, OpenCV)",
    "half-to-even": "ties to the even integer (numpy.around, torch.round)",
    "truncate": "toward zero (a plain cast)",
    "none": "no rounding: float output",
}

#: How the output size follows from a scale factor when no size is given.
SIZE_RULES: dict[str, str] = {
    "ceil": "out = ceil(in * scale) (MATLAB imresize)",
    "round": "out = round(in * scale), ties to even (OpenCV fx/fy, scikit-image rescale)",
    "floor": "out = floor(in * scale) (torch scale_factor, TF)",
}

ANTIALIAS_ON, ANTIALIAS_OFF = "+aa", "-aa"

_SPEC_RE = re.compile(r"^(?P<backend>[A-Za-z0-9_.\-]+?)(?::(?P<kernel>[A-Za-z0-9_]+))?(?P<aa>[+-]aa)?$")


def _check(value: str, table: dict[str, str], field: str) -> None:
    if value not in table:
        raise SpecError(f"{field} {value!r} is not one of: {', '.join(table)}")


@dataclass(frozen=True)
class Conventions:
    """Everything that decides the numbers a resize produces, as data.

    Attributes
    ----------
    kernel : str
        Kernel actually applied, a key of :data:`KERNELS`.
    cubic_a : float or None
        Keys' coefficient for cubic kernels (-0.5 MATLAB/Pillow/scikit-image, -0.75 OpenCV/torch);
        None for other kernels.
    antialias : bool
        True when the kernel is widened by 1/scale on downscaling (a low-pass filter first).
    pixel_centre : str
        Key of :data:`PIXEL_CENTRES`.
    border : str
        Key of :data:`BORDERS`.
    size_rule : str
        Key of :data:`SIZE_RULES`, used when a scale (not a size) is given.
    scale_source : str
        ``"given"`` when an explicit scale drives the coordinate mapping (MATLAB, torch with
        ``scale_factor``), ``"sizes"`` when the library only sees in/out sizes (ratio out/in).
    pass_order : str
        Order of the separable passes, e.g. ``"width then height"``.
    uint8_path : str
        How 8-bit input is computed (fixed point, per-pass rounding, ...).
    float_precision : str
        Precision of the float path: ``"float32"`` or ``"float64"``.
    rounding : str
        Key of :data:`ROUNDINGS`, applied to 8-bit results.
    dtypes : tuple of str
        Input dtypes the backend accepts (numpy names). Output dtype equals input dtype.
    notes : str
        Anything else a reader must know.
    """

    kernel: str
    cubic_a: float | None
    antialias: bool
    pixel_centre: str
    border: str
    size_rule: str
    scale_source: str
    pass_order: str
    uint8_path: str
    float_precision: str
    rounding: str
    dtypes: tuple[str, ...]
    notes: str = ""

    def __post_init__(self) -> None:
        _check(self.kernel, KERNELS, "kernel")
        _check(self.pixel_centre, PIXEL_CENTRES, "pixel_centre")
        _check(self.border, BORDERS, "border")
        _check(self.size_rule, SIZE_RULES, "size_rule")
        _check(self.rounding, ROUNDINGS, "rounding")
        if self.scale_source not in ("given", "sizes"):
            raise SpecError(f"scale_source {self.scale_source!r} is not one of: given, sizes")
        if self.float_precision not in ("float32", "float64"):
            raise SpecError(f"float_precision {self.float_precision!r} is not one of: float32, float64")

    def as_dict(self) -> dict[str, Any]:
        """Plain dict (JSON-ready) of all fields."""
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class ResizeSpec:
    """A parsed backend spec: which backend, which kernel, antialiasing on/off/library default.

    Use :meth:`parse` for user strings; :func:`sr_audit.backends.resolve` fills the defaults in
    (kernel None = the backend's default kernel, antialias None = the library's default) against
    the backend's capabilities and checks them.
    """

    backend: str
    kernel: str | None = None
    antialias: bool | None = None

    @classmethod
    def parse(cls, text: "str | ResizeSpec") -> "ResizeSpec":
        """Parse ``BACKEND[:KERNEL][+aa|-aa]``.

        >>> ResizeSpec.parse("torch:bicubic+aa")
        ResizeSpec(backend='torch', kernel='bicubic', antialias=True)
        >>> ResizeSpec.parse("pil:lanczos")
        ResizeSpec(backend='pil', kernel='lanczos3', antialias=None)
        >>> ResizeSpec.parse("cv2")
        ResizeSpec(backend='cv2', kernel=None, antialias=None)
        """
        if isinstance(text, ResizeSpec):
            return text
        if not isinstance(text, str) or not text.strip():
            raise SpecError(f"a backend spec must be a string like 'pil' or 'torch:bicubic+aa', got {text!r}")
        m = _SPEC_RE.match(text.strip())
        if m is None:
            raise SpecError(
                f"cannot parse backend spec {text!r}: expected BACKEND[:KERNEL][+aa|-aa], e.g. 'pil:lanczos' or 'torch:bicubic+aa'"
            )
        kernel = m["kernel"] and KERNEL_ALIASES.get(m["kernel"].lower(), m["kernel"].lower())
        if kernel is not None and kernel not in KERNELS:
            raise SpecError(f"unknown kernel {m['kernel']!r} in spec {text!r}; kernels: {', '.join(KERNELS)}")
        aa = None if m["aa"] is None else m["aa"] == ANTIALIAS_ON
        return cls(backend=m["backend"].lower(), kernel=kernel, antialias=aa)

    def __str__(self) -> str:
        aa = "" if self.antialias is None else (ANTIALIAS_ON if self.antialias else ANTIALIAS_OFF)
        kernel = "" if self.kernel is None else f":{self.kernel}"
        return f"{self.backend}{kernel}{aa}"
