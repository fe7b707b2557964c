"""How super-resolution results are scored, as data: :class:`Protocol` and its presets.

Two papers that both say "PSNR on Y, border shaved" can disagree by tenths of a dB: which Y, whether
Y is rounded to 8 bits, whether the network output is rounded (and how), how many border pixels are
dropped, what a grayscale image becomes, which SSIM. Every one of those choices is a field here, a
protocol is printed with every result, and each preset in :data:`PROTOCOLS` reproduces one real
implementation, named with its version and measured agreement in :data:`REFERENCES`
(``tests/test_protocol_presets.py`` runs each implementation on the same images).

Presets
-------
``matlab``
    The SRCNN authors' MATLAB demo (``demo_SR.m``, ``compute_psnr.m``): Y of ``rgb2ycbcr`` on the
    uint8 RGB image, which MATLAB rounds to uint8 (ties away from zero); a grayscale file is used as
    its own Y; the network output is quantised with ``uint8(x * 255)`` (ties away from zero,
    saturating); ``s`` pixels are shaved on every side for scale ``s``; PSNR = 20 log10(255 / RMSE)
    per image, then averaged over the images. SSIM is Wang et al.'s (Gaussian 11x11 window,
    sigma = 1.5, K1 = 0.01, K2 = 0.03, peak 255) on the same planes.
``basicsr``
    BasicSR's ``calculate_psnr`` / ``calculate_ssim`` with ``test_y_channel=True`` and
    ``crop_border = scale`` (``basicsr/metrics/psnr_ssim.py``, ``metric_util.to_y_channel``,
    ``utils/color_util.bgr2ycbcr``): the output tensor is clamped to [0, 1] and rounded with
    ``numpy.round`` (ties to even) in ``tensor2img``; Y is computed in float32 from the 8-bit image
    divided by 255 with the MATLAB coefficients (65.481, 128.553, 24.966) and **not** rounded; a
    grayscale file is read by OpenCV as three equal channels, so its Y is 16 + 219/255 * gray (not
    the gray value). Its SSIM is its own implementation (``cv2.filter2D`` with an 11x11 Gaussian,
    sigma 1.5, keeping the 'valid' region, channel SSIMs averaged); scikit-image's Gaussian SSIM
    with the settings of :class:`SSIMSpec` uses the same 11x11 window (radius
    ``int(3.5 * 1.5 + 0.5) = 5``) and crops the same 5-pixel margin from the SSIM map, so the two
    agree to float rounding (``tests/test_protocol_metrics.py`` checks this against an independent
    'valid' implementation).
``pyiqa``
    pyiqa's defaults: ``create_metric('psnr')`` on RGB in [0, 1] with eps = 1e-8 added to the MSE
    (80 dB for identical images, reported here as ``inf`` with a warning by ``sr-audit score``),
    ``create_metric('ssim')`` on the Y of YIQ (0.299, 0.587, 0.114) computed in float32 and
    rounded half to even, with negative SSIM map values clipped to 0; no border crop.
``torchmetrics``
    ``peak_signal_noise_ratio(data_range=1.0)`` and ``structural_similarity_index_measure
    (data_range=1.0)`` on RGB, per image: the SSIM map of reflect-padded images averaged over every
    pixel (:attr:`SSIMSpec.pad`); no border crop; the model output scored unquantised.
``ntire``
    The NTIRE 2017 challenge scripts: RGB, ``6 + scale`` border pixels ignored
    (:attr:`Protocol.shave_offset`), Wang's SSIM per channel, averaged.

Colour metrics of a Y model
---------------------------
The paper's models see only Y. Their RGB output (for RGB metrics) is made as the authors' demo
shows colour results: the model's Y with the Cb and Cr of the degraded (down-then-up resized) input,
converted back with MATLAB's ``ycbcr2rgb`` and quantised like any output
(:data:`Y_MODEL_RGB`, printed in every protocol description).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from sr_audit.colour import Y_DEFINITIONS
from sr_audit.conventions import ROUNDINGS
from sr_audit.errors import SpecError

#: Protocol fields added after the first matrix stores were written; left out of
#: :meth:`Protocol.as_dict` while at their default so that older store keys stay valid.
ADDED_FIELDS: tuple[str, ...] = ("psnr_spaces", "ssim_spaces", "shave_offset", "psnr_eps")

#: Colour spaces a protocol can score in.
SPACES: dict[str, str] = {
    "y": "the Y plane (luma) of YCbCr, on the 0..255 scale",
    "rgb": "all three RGB channels, on the 0..255 scale (SSIM averaged over the channels)",
}

#: What a grayscale (2-D) image is in a protocol.
GRAYSCALE: dict[str, str] = {
    "as-y": "a grayscale image is its own Y plane and its only channel (SRCNN authors' MATLAB code)",
    "as-rgb": "a grayscale image is read as R = G = B, so its Y is the Y definition applied to (g, g, g) (BasicSR, OpenCV readers)",
}

#: Float precision of the Y computation.
Y_PRECISIONS: dict[str, str] = {
    "float64": "Y computed in float64 (MATLAB double)",
    "float32": (
        "Y as BasicSR to_y_channel computes it: RGB / 255 in float32, a float64 dot over B, G, R plus the offset, "
        "/ 255 to float32, * 255 in float32"
    ),
    "float32-unit": (
        "Y as pyiqa to_y_channel computes it on float32 tensors: RGB / 255 in float32, the R, G, B products "
        "summed in that order in float32, * 255 in float32"
    ),
}

#: How SSIM treats the image border (:attr:`SSIMSpec.pad`).
SSIM_PADS: dict[str, str] = {
    "none": "mean over the windows inside the image ('valid', border of the window radius left out)",
    "reflect": "planes padded by the window radius with reflect (mirror without the edge pixel), mean over every pixel",
}

#: How the RGB output of a model that only predicts Y is built for RGB metrics.
Y_MODEL_RGB = (
    "a Y-only model's RGB output = its Y with the Cb/Cr of the degraded input (the same down/up "
    "resize applied to the MATLAB rgb2ycbcr of the ground truth), through MATLAB ycbcr2rgb, then "
    "quantised like any output"
)


@dataclass(frozen=True)
class SSIMSpec:
    """The SSIM variant: arguments of :func:`skimage.metrics.structural_similarity`.

    The defaults reproduce Wang et al. 2004 (doi:10.1109/TIP.2003.819861): a Gaussian window of
    sigma 1.5 (11x11 after scikit-image's truncation at 3.5 sigma), population covariances,
    K1 = 0.01, K2 = 0.03, peak ``data_range`` = 255, the mean over the windows that lie inside the
    image (MATLAB ``filter2(..., 'valid')``). For RGB the channel SSIMs are averaged.

    Two variants found in libraries are data too: ``pad`` (key of :data:`SSIM_PADS`; ``"reflect"``
    pads each plane by the window radius as ``torch.nn.functional.pad(mode="reflect")`` does and
    averages the SSIM map over every pixel of the original size, as torchmetrics does) and
    ``clip_negative`` (negative SSIM map values count as 0, as pyiqa's ``relu`` of the contrast term
    does: the luminance term is positive for non-negative images, so this equals clipping the map).
    """

    gaussian_weights: bool = True
    sigma: float = 1.5
    use_sample_covariance: bool = False
    data_range: float = 255.0
    k1: float = 0.01
    k2: float = 0.03
    pad: str = "none"
    clip_negative: bool = False

    def __post_init__(self) -> None:
        for name in ("gaussian_weights", "use_sample_covariance", "clip_negative"):
            if not isinstance(getattr(self, name), bool):
                raise SpecError(f"SSIMSpec.{name} must be a boolean, got {getattr(self, name)!r}")
        for name in ("sigma", "data_range", "k1", "k2"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise SpecError(f"SSIMSpec.{name} must be a positive number, got {value!r}")
        if self.pad not in SSIM_PADS:
            raise SpecError(f"SSIMSpec.pad {self.pad!r} is not one of: {', '.join(SSIM_PADS)}")

    @property
    def radius(self) -> int:
        """Half the window size: 5 for the 11x11 Gaussian of sigma 1.5 (scikit-image truncates at 3.5 sigma)."""
        return int(3.5 * self.sigma + 0.5) if self.gaussian_weights else 3

    def as_dict(self) -> dict[str, Any]:
        """Plain dict of the fields; ``pad`` and ``clip_negative`` only when not at their defaults.

        The dict is hashed into matrix store keys (through :meth:`Protocol.as_dict`), so fields added
        later are left out while they hold their default and older keys stay valid.
        """
        return _without_defaults(self, ("pad", "clip_negative"))

    def kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``skimage.metrics.structural_similarity``."""
        return {
            "gaussian_weights": self.gaussian_weights,
            "sigma": float(self.sigma),
            "use_sample_covariance": self.use_sample_covariance,
            "data_range": float(self.data_range),
            "K1": float(self.k1),
            "K2": float(self.k2),
        }

    def describe(self) -> str:
        window = f"Gaussian sigma={self.sigma}" if self.gaussian_weights else "7x7 uniform"
        cov = "sample" if self.use_sample_covariance else "population"
        text = (
            f"skimage structural_similarity, {window} window, {cov} covariance, K1={self.k1}, K2={self.k2}, "
            f"data_range={self.data_range:g}"
        )
        if self.pad != "none":
            text += f"; {SSIM_PADS[self.pad]}"
        return text + ("; negative map values clipped to 0" if self.clip_negative else "")


@dataclass(frozen=True)
class Protocol:
    """Every choice that decides a PSNR/SSIM number. Printed with every result.

    Attributes
    ----------
    name : str
        Preset name, or a name of your own.
    spaces : tuple of str
        Keys of :data:`SPACES` that are scored (``("y", "rgb")`` scores both).
    y_definition : str
        Key of :data:`sr_audit.colour.Y_DEFINITIONS`.
    y_rounding : str
        Key of :data:`sr_audit.conventions.ROUNDINGS` applied to Y (MATLAB ``rgb2ycbcr`` on uint8
        rounds half away from zero); ``"none"`` keeps Y unrounded.
    y_precision : str
        Key of :data:`Y_PRECISIONS`.
    output_rounding : str
        Key of ``ROUNDINGS``: how the model output ``x`` in [0, 1] becomes 8-bit values
        (``x * 255`` rounded and saturated to 0..255); ``"none"`` scores ``x * 255`` unrounded and
        unclipped.
    shave : int or None
        Pixels dropped on every side before scoring; None means "equal to the scale".
    grayscale : str
        Key of :data:`GRAYSCALE`.
    peak : float
        Peak value of PSNR = 20 log10(peak / RMSE) on the 0..255 scale.
    ssim : SSIMSpec
        The SSIM variant.
    notes : str
        Where the preset comes from.
    psnr_spaces, ssim_spaces : tuple of str or None
        The spaces PSNR and SSIM are reported in, each a subset of ``spaces``; None (the default)
        means all of ``spaces``. pyiqa's default ``psnr`` is on RGB while its default ``ssim`` is
        on Y.
    shave_offset : int
        Added to the scale when ``shave`` is None: the NTIRE 2017 scripts ignore ``6 + scale``
        pixels.
    psnr_eps : float
        Added to the MSE of the images divided by ``peak`` (the [0, 1] scale):
        PSNR = 10 log10(1 / (MSE / peak**2 + eps)), as pyiqa does with eps = 1e-8. Applied only to
        a non-zero MSE: identical images always give ``inf`` (a library that adds eps prints
        10 log10(1 / eps) there, 80 dB for pyiqa; :func:`capped_psnr` says what it prints).

    Notes
    -----
    PSNR and SSIM are computed per image and then averaged arithmetically over the images (not the
    PSNR of the mean squared error).

    :meth:`as_dict` is hashed into matrix store keys. Fields added after the first stores were
    written (:data:`ADDED_FIELDS`, and :class:`SSIMSpec`'s ``pad`` and ``clip_negative``) are left
    out of it while they hold their default, so the dict of every protocol that does not use them,
    the ``matlab`` and ``basicsr`` presets included, is unchanged byte for byte.
    """

    name: str
    spaces: tuple[str, ...] = ("y", "rgb")
    y_definition: str = "matlab"
    y_rounding: str = "half-away-from-zero"
    y_precision: str = "float64"
    output_rounding: str = "half-away-from-zero"
    shave: int | None = None
    grayscale: str = "as-y"
    peak: float = 255.0
    ssim: SSIMSpec = SSIMSpec()
    notes: str = ""
    psnr_spaces: tuple[str, ...] | None = None
    ssim_spaces: tuple[str, ...] | None = None
    shave_offset: int = 0
    psnr_eps: float = 0.0

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise SpecError(f"protocol name must be a non-empty string, got {self.name!r}")
        if not isinstance(self.spaces, tuple) or not self.spaces or len(set(self.spaces)) != len(self.spaces):
            raise SpecError(f"protocol spaces must be a non-empty tuple of distinct names from: {', '.join(SPACES)}")
        for space in self.spaces:
            if space not in SPACES:
                raise SpecError(f"protocol space {space!r} is not one of: {', '.join(SPACES)}")
        if self.y_definition not in Y_DEFINITIONS:
            raise SpecError(f"Y definition {self.y_definition!r} is not one of: {', '.join(Y_DEFINITIONS)}")
        for name in ("y_rounding", "output_rounding"):
            if getattr(self, name) not in ROUNDINGS:
                raise SpecError(f"protocol {name} {getattr(self, name)!r} is not one of: {', '.join(ROUNDINGS)}")
        if self.y_precision not in Y_PRECISIONS:
            raise SpecError(f"protocol y_precision {self.y_precision!r} is not one of: {', '.join(Y_PRECISIONS)}")
        if self.grayscale not in GRAYSCALE:
            raise SpecError(f"protocol grayscale {self.grayscale!r} is not one of: {', '.join(GRAYSCALE)}")
        if self.shave is not None and (isinstance(self.shave, bool) or not isinstance(self.shave, int) or self.shave < 0):
            raise SpecError(f"protocol shave must be None (= the scale) or an integer >= 0, got {self.shave!r}")
        if isinstance(self.peak, bool) or not isinstance(self.peak, (int, float)) or self.peak <= 0:
            raise SpecError(f"protocol peak must be a positive number, got {self.peak!r}")
        if not isinstance(self.ssim, SSIMSpec):
            raise SpecError(f"protocol ssim must be an SSIMSpec, got {type(self.ssim).__name__}")
        for name in ("psnr_spaces", "ssim_spaces"):
            chosen = getattr(self, name)
            if chosen is not None and (
                not isinstance(chosen, tuple) or not chosen or len(set(chosen)) != len(chosen) or not set(chosen) <= set(self.spaces)
            ):
                raise SpecError(
                    f"protocol {name} must be None or a non-empty tuple of distinct names from spaces ({', '.join(self.spaces)}), "
                    f"got {chosen!r}"
                )
        if isinstance(self.shave_offset, bool) or not isinstance(self.shave_offset, int) or self.shave_offset < 0:
            raise SpecError(f"protocol shave_offset must be an integer >= 0, got {self.shave_offset!r}")
        if isinstance(self.psnr_eps, bool) or not isinstance(self.psnr_eps, (int, float)) or not 0 <= self.psnr_eps < 1:
            raise SpecError(f"protocol psnr_eps must be a number in [0, 1), got {self.psnr_eps!r}")

    def shave_for(self, scale: int) -> int:
        """Pixels shaved on every side at ``scale``: ``shave``, or ``scale + shave_offset`` when it is None."""
        return scale + self.shave_offset if self.shave is None else self.shave

    @property
    def psnr_in(self) -> tuple[str, ...]:
        """The spaces PSNR is reported in."""
        return self.spaces if self.psnr_spaces is None else self.psnr_spaces

    @property
    def ssim_in(self) -> tuple[str, ...]:
        """The spaces SSIM is reported in."""
        return self.spaces if self.ssim_spaces is None else self.ssim_spaces

    @property
    def headline(self) -> tuple[str, str]:
        """(PSNR space, SSIM space) of the protocol's own figure: the first of each."""
        return self.psnr_in[0], self.ssim_in[0]

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict of the fields, plus the Y-model RGB rule.

        Fields of :data:`ADDED_FIELDS` (and SSIMSpec's later ones) are left out while at their
        default; see the class Notes.
        """
        d = _without_defaults(self, ADDED_FIELDS)
        d["spaces"] = list(self.spaces)
        d["ssim"] = self.ssim.as_dict()
        for name in ("psnr_spaces", "ssim_spaces"):
            if name in d:
                d[name] = list(d[name])
        d["y_model_rgb"] = Y_MODEL_RGB
        return d

    def describe(self) -> str:
        """Several lines a person can check against a paper's protocol."""
        y = Y_DEFINITIONS[self.y_definition]
        y_round = "not rounded" if self.y_rounding == "none" else f"rounded ({self.y_rounding})"
        out = "not quantised" if self.output_rounding == "none" else f"uint8, rounded {self.output_rounding}, saturated"
        if self.shave is None:
            shave = f"s + {self.shave_offset} (the scale + {self.shave_offset})" if self.shave_offset else "s (= the scale)"
        else:
            shave = str(self.shave)
        formula = f"20 log10({self.peak:g}/RMSE)"
        if self.psnr_eps:
            formula = f"10 log10(1/(MSE/{self.peak:g}^2 + {self.psnr_eps:g})) (inf when MSE = 0)"
        split = ""
        if self.psnr_spaces is not None or self.ssim_spaces is not None:
            split = f" (PSNR in {'+'.join(self.psnr_in)}, SSIM in {'+'.join(self.ssim_in)})"
        lines = [
            f"protocol {self.name}: spaces {'+'.join(self.spaces)}{split}; PSNR = {formula} per image, mean over images",
            f"  Y: {self.y_definition} ({y.description}: {y.offset:g} + ({y.r} R + {y.g} G + {y.b} B) / {y.divisor:g}), "
            f"{self.y_precision}, {y_round}",
            f"  output: x*255 {out}; shave {shave} px per side; grayscale: {GRAYSCALE[self.grayscale]}",
            f"  SSIM: {self.ssim.describe()}",
            f"  RGB of a Y model: {Y_MODEL_RGB}",
        ]
        if self.notes:
            lines.append(f"  source: {self.notes}")
        return "\n".join(lines)


#: Presets by name.
PROTOCOLS: dict[str, Protocol] = {
    p.name: p
    for p in (
        Protocol(
            name="matlab",
            notes="SRCNN authors' demo_SR.m / compute_psnr.m (Dong et al. 2014, 2016)",
        ),
        Protocol(
            name="basicsr",
            y_rounding="none",
            y_precision="float32",
            output_rounding="half-to-even",
            grayscale="as-rgb",
            notes="BasicSR calculate_psnr/calculate_ssim, test_y_channel=True, crop_border=scale, tensor2img rounding",
        ),
        Protocol(
            name="pyiqa",
            spaces=("y", "rgb"),
            psnr_spaces=("rgb",),
            ssim_spaces=("y",),
            y_definition="yiq",
            y_rounding="half-to-even",
            y_precision="float32-unit",
            output_rounding="half-to-even",
            shave=0,
            grayscale="as-rgb",
            psnr_eps=1e-8,
            ssim=SSIMSpec(clip_negative=True),
            notes="pyiqa create_metric('psnr') (RGB, eps 1e-8) and create_metric('ssim') (Y of YIQ rounded, relu), no crop",
        ),
        Protocol(
            name="torchmetrics",
            spaces=("rgb",),
            output_rounding="none",
            shave=0,
            ssim=SSIMSpec(pad="reflect"),
            notes="torchmetrics PeakSignalNoiseRatio(data_range=1.0), StructuralSimilarityIndexMeasure(data_range=1.0), per image",
        ),
        Protocol(
            name="ntire",
            spaces=("rgb",),
            shave_offset=6,
            notes="NTIRE 2017 SR challenge NTIRE_PeakSNR_imgs.m / NTIRE_SSIM_imgs.m: RGB, 6 + scale border pixels ignored",
        ),
    )
}


@dataclass(frozen=True)
class Reference:
    """The real implementation a preset reproduces, its version, and the agreement measured with it.

    ``agreement`` is what ``tests/test_protocol_presets.py`` checks (it runs the implementation on
    the same images wherever it can be installed).
    """

    implementation: str
    version: str
    agreement: str


#: What each preset of :data:`PROTOCOLS` reproduces (kept apart from the protocols, which are hashed).
REFERENCES: dict[str, Reference] = {
    "matlab": Reference(
        "SRCNN authors' MATLAB demo_SR.m / compute_psnr.m (Y of rgb2ycbcr on uint8, rounded; shave = scale)",
        "SRCNN code of 2014 (ECCV) and 2016 (TPAMI)",
        "MATLAB is not run here; tests/test_conformance.py reproduces every row of the paper's table to the printed digits",
    ),
    "basicsr": Reference(
        "BasicSR basicsr/metrics/psnr_ssim.py calculate_psnr / calculate_ssim, test_y_channel=True, crop_border=scale",
        "basicsr 1.4.2",
        "PSNR and SSIM equal to 1e-10 (its float32 Y reproduced operation for operation). RCAN's Evaluate_PSNR_SSIM.m "
        "(MATLAB, not run here; transcribed in the test) computes the same, Y = single(rgb2ycbcr(im2double)), "
        "shave = scale, Wang's ssim_index, with Y rounded to float32 in another order: within 4e-7 dB and 2e-8 SSIM "
        "(it prints 6 decimals, so the last one can differ by 1). Grayscale files differ: that script uses the gray "
        "values as Y, BasicSR (OpenCV reading them as 3 channels) 16 + 219/255 gray",
    ),
    "pyiqa": Reference(
        "pyiqa create_metric('psnr') (archs/psnr_arch.py: RGB, data_range 1, eps 1e-8, no crop) and "
        "create_metric('ssim') (archs/ssim_arch.py: Y of YIQ in float32, *255, rounded half to even; Gaussian 11x11, "
        "'valid', relu on the contrast term, float64; no crop, no downsampling)",
        "pyiqa 0.1.16",
        "on float32 tensors (as its image loader gives): SSIM within 5e-7 (its Y reproduced exactly; its Gaussian window "
        "is float32), PSNR within its own float32 rounding (5e-6 dB); on float64 tensors PSNR within 1e-9 dB. Identical "
        "images: pyiqa prints "
        "80 dB (10 log10(1/eps)), sr-audit inf and a warning",
    ),
    "torchmetrics": Reference(
        "torchmetrics peak_signal_noise_ratio(data_range=1.0) and structural_similarity_index_measure(data_range=1.0) "
        "per image: RGB, Gaussian 11x11 sigma 1.5 on reflect-padded images averaged over every pixel, no crop (SSIM's "
        "own default data_range=None takes the larger max - min of the two images instead, which differs for images "
        "that do not reach both 0 and 255)",
        "torchmetrics 1.9.0",
        "on float64 tensors SSIM within 1e-12 and PSNR higher by a factor 1 + 4.7e-8 (about 1.4e-6 dB at 30 dB: it "
        "multiplies by 10 / ln 10 computed in float32); on float32 tensors PSNR within 5e-6 dB, SSIM within 2e-5 (float32 "
        "variances). Its PeakSignalNoiseRatio accumulated over a data set is the PSNR of the pooled MSE, not the mean of "
        "per-image PSNR reported here",
    ),
    "ntire": Reference(
        "NTIRE 2017 SR challenge NTIRE_PeakSNR_imgs.m (10 log10(N / sum E^2) on im2double) and NTIRE_SSIM_imgs.m (Wang's "
        "ssim_index per RGB channel, averaged), both ignoring 6 + scale border pixels",
        "NTIRE 2017 challenge scoring scripts",
        "MATLAB is not run here; pinned against an independent transcription of the two scripts' formulas (1e-9)",
    ),
}


def reference_of(protocol: Protocol) -> Reference | None:
    """The :class:`Reference` of a preset; None for a protocol that is not exactly a preset."""
    return REFERENCES[protocol.name] if PROTOCOLS.get(protocol.name) == protocol else None


def _without_defaults(spec: Any, later: tuple[str, ...]) -> dict[str, Any]:
    """``dataclasses.asdict(spec)`` without the fields of ``later`` that hold their default."""
    d = dataclasses.asdict(spec)
    defaults = {f.name: f.default for f in dataclasses.fields(spec)}
    for name in later:
        if getattr(spec, name) == defaults[name]:
            del d[name]
    return d


def get_protocol(name: str | Protocol) -> Protocol:
    """The preset called ``name`` (case-insensitive); a :class:`Protocol` is returned unchanged."""
    if isinstance(name, Protocol):
        return name
    try:
        return PROTOCOLS[str(name).strip().lower()]
    except KeyError:
        raise SpecError(f"unknown protocol {name!r}; presets: {', '.join(PROTOCOLS)}") from None
