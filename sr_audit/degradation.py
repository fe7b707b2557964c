"""How a low-resolution network input is made from a ground-truth image: :class:`Degradation`.

The SRCNN pipeline (Dong et al.) makes the network input by shrinking the ground truth by the
scale and enlarging it back ("bicubic interpolation"); the network restores the detail. Which
library does the two resizes, and whether the image is rounded to 8 bits in between, is exactly
what sr-audit measures, so both are fields here.

Conventions
-----------
* Ground truth: ``uint8`` ``(H, W, 3)`` RGB or ``(H, W)`` grayscale, as
  :func:`sr_audit.image_io.read_image` returns it. It is first cropped to a multiple of the scale
  (:func:`modcrop`, the top-left part is kept), so the low-resolution image is exactly
  ``(H / s, W / s)`` and the enlarged one exactly ``(H, W)``; both resizes are called with explicit
  output sizes (for integer scales and these sizes every library also derives the exact ratio 1/s).
* ``space="y"``: the network sees the Y plane of MATLAB ``rgb2ycbcr`` on the uint8 image (rounded to
  uint8, ties away from zero, as MATLAB does); a grayscale image is its own Y (the authors' rule).
  ``space="rgb"``: the three RGB channels; a grayscale image is repeated into three equal channels.
* ``compute="float"`` (the authors' path): the 8-bit plane is divided by 255 (``im2double``), then
  resized down and up in float64 with no rounding between. ``compute="uint8"``: both resizes run
  through the library's own 8-bit path (each rounds to uint8 its own way), then the result is
  divided by 255.
* Results are float64 in [0, 1] nominally; cubic overshoot below 0 or above 1 is kept (the authors
  feed it to the network unclipped).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from sr_audit import backends
from sr_audit.colour import rgb_to_y
from sr_audit.conventions import ResizeSpec
from sr_audit.errors import ImageError, SpecError
from sr_audit.resize import resize
from sr_audit.rounding import quantize

#: What the network sees.
SPACES: dict[str, str] = {
    "y": "Y of MATLAB rgb2ycbcr on the uint8 image, rounded to uint8 (grayscale image used as is)",
    "rgb": "the RGB channels (grayscale image repeated into three channels)",
}

#: How the two resizes are computed.
COMPUTES: dict[str, str] = {
    "float": "im2double, then down and up in float64 without rounding between (SRCNN authors)",
    "uint8": "down and up each through the library's 8-bit path (rounded after each resize), then / 255",
}

#: Separator of the down and up specs in :meth:`Degradation.parse`.
SPEC_SEPARATOR = "/"


def _resolve(spec: str | ResizeSpec, role: str) -> ResizeSpec:
    if not isinstance(spec, (str, ResizeSpec)):
        raise SpecError(f"degradation {role} spec must be a string like 'matlab' or 'pil:lanczos', got {spec!r}")
    return backends.resolve(spec)


@dataclass(frozen=True)
class Degradation:
    """Down-then-up resize that makes the network input from the ground truth.

    Attributes
    ----------
    down : ResizeSpec
        Spec of the shrinking resize (by 1/scale). Strings are parsed and resolved against the
        backend registry (library defaults filled in), so equal degradations compare equal.
    up : ResizeSpec
        Spec of the enlarging resize (by scale).
    scale : int
        Integer factor >= 2.
    space : str
        Key of :data:`SPACES`.
    compute : str
        Key of :data:`COMPUTES`.

    Examples
    --------
    >>> d = Degradation.parse("pil:lanczos/pil", scale=3)
    >>> str(d)
    'pil:lanczos3+aa/pil:bicubic+aa x3 y float'
    """

    down: ResizeSpec
    up: ResizeSpec
    scale: int
    space: str = "y"
    compute: str = "float"

    def __post_init__(self) -> None:
        object.__setattr__(self, "down", _resolve(self.down, "down"))
        object.__setattr__(self, "up", _resolve(self.up, "up"))
        if isinstance(self.scale, bool) or not isinstance(self.scale, (int, np.integer)) or self.scale < 2:
            raise SpecError(f"degradation scale must be an integer >= 2, got {self.scale!r}")
        object.__setattr__(self, "scale", int(self.scale))
        if self.space not in SPACES:
            raise SpecError(f"degradation space {self.space!r} is not one of: {', '.join(SPACES)}")
        if self.compute not in COMPUTES:
            raise SpecError(f"degradation compute {self.compute!r} is not one of: {', '.join(COMPUTES)}")

    @classmethod
    def parse(
        cls,
        text: str,
        *,
        scale: int | str,
        space: str = "y",
        compute: str = "float",
    ) -> "Degradation":
        """Degradation from ``"DOWN[/UP]"``: one spec for both resizes, or a down and an up spec.

        ``scale`` may be an integer or a string of one (``"3"``).

        >>> Degradation.parse("pil", scale="2").up == Degradation.parse("pil", scale=2).down
        True
        """
        if not isinstance(text, str) or not text.strip():
            raise SpecError(f"degradation must be a string DOWN[/UP] such as 'matlab' or 'pil:lanczos/pil', got {text!r}")
        parts = [p.strip() for p in text.split(SPEC_SEPARATOR)]
        if len(parts) > 2 or not all(parts):
            raise SpecError(
                f"cannot parse degradation {text!r}: expected DOWN or DOWN{SPEC_SEPARATOR}UP, e.g. 'pil:lanczos/pil'"
            )
        if isinstance(scale, str):
            try:
                scale = int(scale.strip())
            except ValueError:
                raise SpecError(f"degradation scale must be an integer >= 2, got {scale!r}") from None
        return cls(down=parts[0], up=parts[-1], scale=scale, space=space, compute=compute)  # type: ignore[arg-type]

    def __str__(self) -> str:
        return f"{self.down}{SPEC_SEPARATOR}{self.up} x{self.scale} {self.space} {self.compute}"

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict, specs as canonical strings."""
        d = dataclasses.asdict(self)
        d["down"], d["up"] = str(self.down), str(self.up)
        return d


class DegradedPair(NamedTuple):
    """Network input and target, float64 in [0, 1], ``(H, W)`` for Y or ``(H, W, 3)`` for RGB."""

    input: np.ndarray
    target: np.ndarray


def _check_ground_truth(image: np.ndarray, who: str) -> None:
    if not isinstance(image, np.ndarray):
        raise ImageError(f"{who}: expected a numpy array, got {type(image).__name__}")
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] != 3):
        raise ImageError(f"{who}: expected an HxW grayscale or HxWx3 RGB image, got shape {image.shape}")
    if image.dtype != np.uint8:
        raise ImageError(f"{who}: expected a uint8 image, got {image.dtype}; convert 16-bit or float images to 8 bits first")


def modcrop(image: np.ndarray, scale: int) -> np.ndarray:
    """Crop ``image`` to height and width that are multiples of ``scale``, keeping the top-left part.

    MATLAB ``modcrop`` of the SRCNN code. Works on ``(H, W)`` and ``(H, W, C)`` arrays of any dtype.

    >>> modcrop(np.zeros((10, 7)), 3).shape
    (9, 6)
    """
    if isinstance(scale, bool) or not isinstance(scale, (int, np.integer)) or scale < 1:
        raise SpecError(f"modcrop scale must be a positive integer, got {scale!r}")
    if image.ndim < 2:
        raise ImageError(f"modcrop needs an image of at least two dimensions, got shape {image.shape}")
    h, w = image.shape[0] - image.shape[0] % scale, image.shape[1] - image.shape[1] % scale
    if h == 0 or w == 0:
        raise ImageError(
            f"a {image.shape[0]}x{image.shape[1]} image is smaller than the scale {scale}: "
            "the low-resolution image would be empty; use a larger image or a smaller scale"
        )
    return image[:h, :w]


def network_plane(image: np.ndarray, space: str) -> np.ndarray:
    """The uint8 plane(s) the network works on: Y (rounded, grayscale as is) or RGB (grayscale repeated)."""
    _check_ground_truth(image, "network_plane")
    if space == "y":
        return image if image.ndim == 2 else quantize(rgb_to_y(image, "matlab"), np.uint8, "half-away-from-zero")
    if space == "rgb":
        return image if image.ndim == 3 else np.repeat(image[:, :, None], 3, axis=2)
    raise SpecError(f"degradation space {space!r} is not one of: {', '.join(SPACES)}")


def down_up(plane: np.ndarray, deg: Degradation) -> tuple[np.ndarray, np.ndarray]:
    """(shrunk, enlarged) by ``deg``: the LR image and the network input, both float64 in [0, 1].

    ``plane`` is a uint8 image or planes, or float values on 0..255 (an unrounded Y; the 8-bit
    compute path rounds it half away from zero first), with sides that are multiples of
    ``deg.scale``; any channel count the backends accept. See the module notes for ``deg.compute``.
    """
    h, w = plane.shape[:2]
    s = deg.scale
    if h % s or w % s:
        raise ImageError(f"a {h}x{w} image is not a multiple of the scale {s}; modcrop it first")
    if deg.compute == "uint8":
        low8 = resize(plane if plane.dtype == np.uint8 else quantize(plane, np.uint8, "half-away-from-zero"),
                      deg.down, size=(h // s, w // s))
        return low8.astype(np.float64) / 255.0, resize(low8, deg.up, size=(h, w)).astype(np.float64) / 255.0
    low = resize(plane.astype(np.float64) / 255.0, deg.down, size=(h // s, w // s))
    return low, resize(low, deg.up, size=(h, w)).astype(np.float64, copy=False)


def resample(image: np.ndarray, deg: Degradation) -> np.ndarray:
    """Down then up resize of a uint8 image whose sides are multiples of ``deg.scale``: the
    enlarged half of :func:`down_up` (float64, [0, 1] nominally, the input's shape)."""
    if image.dtype != np.uint8:
        raise ImageError(f"resample: expected a uint8 image, got {image.dtype}")
    return down_up(image, deg)[1]


def degrade(hr: np.ndarray, deg: Degradation, *, receptive_field: int | None = None) -> DegradedPair:
    """Network input and target from a ground-truth image.

    Parameters
    ----------
    hr : ndarray, uint8, shape (H, W) or (H, W, 3)
        Ground truth (grayscale or RGB).
    deg : Degradation
    receptive_field : int, optional
        A model's receptive field (:attr:`sr_audit.model.SRCNNConfig.receptive_field`); when given,
        the cropped image must be at least this large in height and width.

    Returns
    -------
    DegradedPair
        ``input``: down-then-up resized plane(s); ``target``: the cropped ground-truth plane(s)
        / 255. Both float64, shape ``(H', W')`` for ``space="y"`` or ``(H', W', 3)`` for ``"rgb"``,
        with ``H' = H - H mod s`` and ``W' = W - W mod s``.

    Raises
    ------
    ImageError
        Not a uint8 grayscale/RGB image; smaller than the scale; smaller than ``receptive_field``.
    """
    _check_ground_truth(hr, "degrade")
    plane = network_plane(modcrop(hr, deg.scale), deg.space)
    if receptive_field is not None and min(plane.shape[:2]) < receptive_field:
        raise ImageError(
            f"a {plane.shape[0]}x{plane.shape[1]} image (after modcrop to a multiple of {deg.scale}) is smaller than "
            f"the model's receptive field of {receptive_field} px; use images at least that large"
        )
    return DegradedPair(input=resample(plane, deg), target=plane.astype(np.float64) / 255.0)
