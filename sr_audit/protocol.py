"""How super-resolution results are scored, as data: :class:`Protocol` and its presets.

Two papers that both say "PSNR on Y, border shaved" can disagree by tenths of a dB: which Y, whether
Y is rounded to 8 bits, whether the network output is rounded (and how), how many border pixels are
dropped, what a grayscale image becomes, which SSIM. Every one of those choices is a field here, a
protocol is printed with every result, and the presets in :data:`PROTOCOLS` spell out the two
conventions that matter most.

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
    "float32": "Y computed in float32 (BasicSR to_y_channel)",
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
    K1 = 0.01, K2 = 0.03, peak ``data_range`` = 255. For RGB the channel SSIMs are averaged.
    """

    gaussian_weights: bool = True
    sigma: float = 1.5
    use_sample_covariance: bool = False
    data_range: float = 255.0
    k1: float = 0.01
    k2: float = 0.03

    def __post_init__(self) -> None:
        if not isinstance(self.gaussian_weights, bool) or not isinstance(self.use_sample_covariance, bool):
            raise SpecError("SSIMSpec.gaussian_weights and use_sample_covariance must be booleans")
        for name in ("sigma", "data_range", "k1", "k2"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise SpecError(f"SSIMSpec.{name} must be a positive number, got {value!r}")

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
        return (
            f"skimage structural_similarity, {window} window, {cov} covariance, K1={self.k1}, K2={self.k2}, "
            f"data_range={self.data_range:g}"
        )


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

    Notes
    -----
    PSNR and SSIM are computed per image and then averaged arithmetically over the images (not the
    PSNR of the mean squared error).
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

    def shave_for(self, scale: int) -> int:
        """Pixels shaved on every side at ``scale``."""
        return scale if self.shave is None else self.shave

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict of all fields, plus the Y-model RGB rule."""
        d = dataclasses.asdict(self)
        d["spaces"] = list(self.spaces)
        d["y_model_rgb"] = Y_MODEL_RGB
        return d

    def describe(self) -> str:
        """Several lines a person can check against a paper's protocol."""
        y = Y_DEFINITIONS[self.y_definition]
        y_round = "not rounded" if self.y_rounding == "none" else f"rounded ({self.y_rounding})"
        out = "not quantised" if self.output_rounding == "none" else f"uint8, rounded {self.output_rounding}, saturated"
        shave = "s (= the scale)" if self.shave is None else str(self.shave)
        lines = [
            f"protocol {self.name}: spaces {'+'.join(self.spaces)}; PSNR = 20 log10({self.peak:g}/RMSE) per image, mean over images",
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
    )
}


def get_protocol(name: str | Protocol) -> Protocol:
    """The preset called ``name`` (case-insensitive); a :class:`Protocol` is returned unchanged."""
    if isinstance(name, Protocol):
        return name
    try:
        return PROTOCOLS[str(name).strip().lower()]
    except KeyError:
        raise SpecError(f"unknown protocol {name!r}; presets: {', '.join(PROTOCOLS)}") from None
