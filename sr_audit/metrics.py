"""Image quality metrics under a :class:`~sr_audit.protocol.Protocol`.

Conventions
-----------
* Every plane handed to :func:`psnr` and :func:`ssim` is on the 0..255 scale (peak explicit,
  keyword-only ``data_range``), float64 unless stated.
* Model outputs are floats in [0, 1] (nominally; cubic overshoot is allowed) and are quantised by
  :func:`quantise_output` under the protocol before anything is scored, as the authors'
  ``uint8(x * 255)`` does.
* Arrays are ``(H, W)`` planes or ``(H, W, 3)`` RGB; the border shave drops ``shave`` pixels on every
  side *after* quantisation and colour conversion (both are pointwise, so the order does not matter).
* One image gives one :class:`Scores`; a data set's figure is the arithmetic mean of the per-image
  values (:func:`mean_scores`), as in the SRCNN papers.
"""
from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sr_audit.colour import luma_definition, rgb_to_y
from sr_audit.errors import ImageError
from sr_audit.protocol import Protocol, SSIMSpec
from sr_audit.rounding import apply_rounding


#: The Y definition of the planes a Y-only model predicts (the SRCNN pipeline's MATLAB ``rgb2ycbcr``).
Y_MODEL_DEFINITION = "matlab"


def psnr(reference: np.ndarray, test: np.ndarray, *, data_range: float, eps: float = 0.0) -> float:
    """PSNR in dB: 20 log10(data_range / RMSE), computed in float64.

    With ``eps`` > 0: 10 log10(1 / (MSE / data_range**2 + eps)), the MSE taken on the scale where
    the peak is 1 (pyiqa adds eps = 1e-8 there). Identical images give ``inf`` whatever ``eps``
    (see :func:`capped_psnr` for what an eps-adding library prints). Shapes must match exactly (no
    broadcasting).
    """
    if reference.shape != test.shape:
        raise ImageError(f"psnr: shapes differ, {reference.shape} vs {test.shape}")
    mse = float(np.mean((reference.astype(np.float64) - test.astype(np.float64)) ** 2))
    if mse == 0.0:
        return math.inf
    if eps:
        return -10.0 * math.log10(mse / data_range**2 + eps)
    return 20.0 * math.log10(data_range) - 10.0 * math.log10(mse)


def capped_psnr(protocol: Protocol) -> float | None:
    """The PSNR the protocol's library prints for identical images, when it is not ``inf``.

    ``10 log10(1 / psnr_eps)`` (80 dB for pyiqa's eps of 1e-8); None for protocols without eps,
    whose libraries print ``inf`` as sr-audit does.
    """
    return -10.0 * math.log10(protocol.psnr_eps) if protocol.psnr_eps else None


def ssim(reference: np.ndarray, test: np.ndarray, *, spec: SSIMSpec = SSIMSpec()) -> float:
    """Mean SSIM of two planes, or the mean of the three channel SSIMs of two RGB images.

    Computed by :func:`skimage.metrics.structural_similarity` with ``spec.kwargs()`` (Wang et al.
    2004 with the default :class:`SSIMSpec`) in float64. Both images need at least the window size
    (11 for sigma 1.5) in height and width.

    ``spec.pad == "reflect"`` pads both images by the window radius (numpy/torch ``reflect``)
    first; scikit-image then averages the map over the windows inside the padded image, which are
    exactly the original pixels (torchmetrics' SSIM). ``spec.clip_negative`` takes the full map,
    drops the same border scikit-image drops, and averages ``max(map, 0)`` (pyiqa's SSIM).
    """
    from skimage.metrics import structural_similarity

    if reference.shape != test.shape:
        raise ImageError(f"ssim: shapes differ, {reference.shape} vs {test.shape}")
    r = spec.radius
    window = 2 * r + 1
    if spec.pad == "none" and min(reference.shape[:2]) < window:
        raise ImageError(
            f"ssim: image of {reference.shape[0]}x{reference.shape[1]} pixels (after the border shave) is smaller "
            f"than the {window}x{window} SSIM window; use larger images or a smaller shave"
        )
    if spec.pad == "reflect" and min(reference.shape[:2]) <= r:
        raise ImageError(
            f"ssim: image of {reference.shape[0]}x{reference.shape[1]} pixels is too small to reflect-pad by the "
            f"window radius {r}; use larger images"
        )
    channel_axis = 2 if reference.ndim == 3 else None
    a, b = reference.astype(np.float64), test.astype(np.float64)
    if spec.pad == "reflect":
        width = ((r, r), (r, r)) + (((0, 0),) if channel_axis else ())
        a, b = np.pad(a, width, mode="reflect"), np.pad(b, width, mode="reflect")
    if not spec.clip_negative:
        return float(structural_similarity(a, b, channel_axis=channel_axis, **spec.kwargs()))
    _, full = structural_similarity(a, b, channel_axis=channel_axis, full=True, **spec.kwargs())
    return float(np.maximum(full[r:-r, r:-r], 0.0).mean())


def quantise_output(x: np.ndarray, protocol: Protocol) -> np.ndarray:
    """Model output in [0, 1] -> float64 values on 0..255 as the protocol scores them.

    ``x * 255`` rounded by ``protocol.output_rounding`` and saturated to 0..255 (MATLAB
    ``uint8(x * 255)`` for the ``matlab`` preset); with rounding ``"none"``, ``x * 255`` unchanged.
    """
    y = np.asarray(x, dtype=np.float64) * 255.0
    if protocol.output_rounding == "none":
        return y
    return np.clip(apply_rounding(y, protocol.output_rounding), 0.0, 255.0)


def y_of_rgb(rgb: np.ndarray, protocol: Protocol) -> np.ndarray:
    """Y plane (float64, 0..255) of an RGB image on the 0..255 scale, under the protocol.

    The protocol's Y definition is evaluated in ``protocol.y_precision`` (the arithmetic of
    :data:`sr_audit.protocol.Y_PRECISIONS`, operation for operation) and rounded by
    ``protocol.y_rounding`` (MATLAB ``rgb2ycbcr`` on uint8 rounds half away from zero).
    """
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ImageError(f"y_of_rgb needs an HxWx3 image, got shape {rgb.shape}")
    if protocol.y_precision == "float64":
        y = rgb_to_y(rgb, protocol.y_definition)
    else:
        d = luma_definition(protocol.y_definition)
        unit = [c * (255.0 / d.divisor) for c in (d.r, d.g, d.b)]  # coefficients for RGB in [0, 1]
        x = rgb.astype(np.float32) / np.float32(255.0)
        if protocol.y_precision == "float32":
            # BasicSR to_y_channel/bgr2ycbcr: a float64 dot over B, G, R, then /255 to float32, then *255
            y64 = np.dot(x[..., ::-1], unit[::-1]) + d.offset
            y = ((y64 / 255.0).astype(np.float32) * np.float32(255.0)).astype(np.float64)
        else:
            # pyiqa to_y_channel on float32 tensors: R, G, B products summed in order, then *255
            w = [np.float32(c / 255.0) for c in unit]
            y32 = x[..., 0] * w[0] + x[..., 1] * w[1] + x[..., 2] * w[2] + np.float32(d.offset / 255.0)
            y = (y32 * np.float32(255.0)).astype(np.float64)
    return apply_rounding(y, protocol.y_rounding)


def y_of_gray(gray: np.ndarray, protocol: Protocol) -> np.ndarray:
    """Y plane (float64, 0..255) of a grayscale image under ``protocol.grayscale``.

    ``as-y``: the gray values themselves; ``as-rgb``: :func:`y_of_rgb` of (g, g, g).
    """
    if gray.ndim != 2:
        raise ImageError(f"y_of_gray needs an HxW image, got shape {gray.shape}")
    if protocol.grayscale == "as-y":
        return gray.astype(np.float64)
    return y_of_rgb(np.repeat(gray[:, :, None], 3, axis=2), protocol)


def shave(image: np.ndarray, pixels: int) -> np.ndarray:
    """``image`` without ``pixels`` rows/columns on every side (MATLAB ``shave`` of the SRCNN code)."""
    if pixels == 0:
        return image
    h, w = image.shape[:2]
    if h <= 2 * pixels or w <= 2 * pixels:
        raise ImageError(f"cannot shave {pixels} px from each side of a {h}x{w} image; use a larger image or smaller shave")
    return image[pixels : h - pixels, pixels : w - pixels]


@dataclass(frozen=True)
class Scores:
    """PSNR (dB) and SSIM of one image or the mean over images; None where a space is not scored."""

    psnr_y: float | None = None
    ssim_y: float | None = None
    psnr_rgb: float | None = None
    ssim_rgb: float | None = None

    def as_dict(self) -> dict[str, float | None]:
        return dataclasses.asdict(self)


def score_planes(
    reference: np.ndarray, test: np.ndarray, protocol: Protocol, scale: int, space: str | None = None
) -> tuple[float | None, float | None]:
    """(PSNR, SSIM) of two 0..255 planes or RGB images in ``space`` after the protocol's border shave.

    Either is None where the protocol does not report it in ``space`` (``psnr_in``/``ssim_in``);
    ``space=None`` computes both.
    """
    s = protocol.shave_for(scale)
    ref, out = shave(reference, s), shave(test, s)
    p = psnr(ref, out, data_range=protocol.peak, eps=protocol.psnr_eps) if space in (None, *protocol.psnr_in) else None
    q = ssim(ref, out, spec=protocol.ssim) if space in (None, *protocol.ssim_in) else None
    return p, q


def score_image(
    reference: np.ndarray,
    output: np.ndarray,
    protocol: Protocol,
    scale: int,
    *,
    output_rgb: np.ndarray | None = None,
    output_y: str = Y_MODEL_DEFINITION,
) -> Scores:
    """Score one super-resolved image against its ground truth under ``protocol``.

    Parameters
    ----------
    reference : ndarray, uint8, shape (H, W) or (H, W, 3)
        Ground truth, already cropped to the output size (``modcrop``). ``(H, W)`` is a grayscale
        image, treated by ``protocol.grayscale``.
    output : ndarray, float, [0, 1]
        The model output: the same shape as ``reference``, or ``(H, W)`` for the Y plane predicted
        by a Y-only model for a colour ``reference`` (Y of the definition ``output_y``; under a
        protocol with another Y definition, the Y of ``output_rgb`` is scored instead, and
        ``output_rgb`` is then required). For a grayscale reference, an RGB output's Y is the mean
        of its channels under ``as-y`` and :func:`y_of_rgb` under ``as-rgb``.
    protocol : Protocol
    scale : int
        Super-resolution factor; the shave is ``protocol.shave_for(scale)``.
    output_rgb : ndarray, float, [0, 1], shape (H, W, 3), optional
        RGB version of a Y-only output for a colour reference (see
        :data:`sr_audit.protocol.Y_MODEL_RGB`); required then when ``"rgb"`` is scored.
    output_y : str
        Key of :data:`sr_audit.colour.Y_DEFINITIONS`: the luma a Y-only output is in (default
        :data:`Y_MODEL_DEFINITION`, what sr-audit's Y networks see; ``explain`` trains nothing but
        feeds networks other lumas).

    Returns
    -------
    Scores
        Fields of the unscored spaces are None.
    """
    if reference.dtype != np.uint8 or reference.ndim not in (2, 3) or (reference.ndim == 3 and reference.shape[2] != 3):
        raise ImageError(f"score_image: reference must be a uint8 HxW or HxWx3 image, got {reference.dtype} {reference.shape}")
    if output.shape[:2] != reference.shape[:2] or output.ndim not in (2, 3) or (output.ndim == 3 and output.shape[2] != 3):
        raise ImageError(f"score_image: output of shape {output.shape} does not match the reference {reference.shape}")
    q = quantise_output(output, protocol)
    gray_source = reference.ndim == 2
    if gray_source:
        ref_y = y_of_gray(reference, protocol)
        if q.ndim == 2:
            out_y = y_of_gray(q, protocol)
        else:
            out_y = q.mean(axis=2) if protocol.grayscale == "as-y" else y_of_rgb(q, protocol)
        ref_rgb = reference.astype(np.float64) if q.ndim == 2 else np.repeat(reference[:, :, None], 3, axis=2).astype(np.float64)
        out_rgb = q
    else:
        ref_y = y_of_rgb(reference, protocol)
        ref_rgb = reference.astype(np.float64)
        if q.ndim == 2:
            out_rgb = None if output_rgb is None else quantise_output(output_rgb, protocol)
            if out_rgb is None and "rgb" in protocol.spaces:
                raise ImageError("score_image: RGB metrics of a Y-only output need output_rgb (Y with the input's Cb/Cr)")
            if protocol.y_definition == output_y:
                out_y = q
            elif out_rgb is not None:
                out_y = y_of_rgb(out_rgb, protocol)
            else:
                raise ImageError(
                    f"score_image: protocol {protocol.name} takes Y as {protocol.y_definition}, a Y-only output is "
                    f"{output_y} Y; pass output_rgb (Y with the input's Cb/Cr) so that its Y can be recomputed"
                )
        else:
            out_y = y_of_rgb(q, protocol)
            out_rgb = q
    result: dict[str, float | None] = {}
    if "y" in protocol.spaces:
        result["psnr_y"], result["ssim_y"] = score_planes(ref_y, out_y, protocol, scale, "y")
    if "rgb" in protocol.spaces:
        assert out_rgb is not None
        if out_rgb.shape != ref_rgb.shape:
            raise ImageError(f"score_image: RGB output of shape {out_rgb.shape} does not match the reference {ref_rgb.shape}")
        result["psnr_rgb"], result["ssim_rgb"] = score_planes(ref_rgb, out_rgb, protocol, scale, "rgb")
    return Scores(**result)


def mean_scores(scores: Sequence[Scores]) -> Scores:
    """Arithmetic mean of each field over images (per-image PSNR averaged, as the papers do)."""
    if not scores:
        raise ImageError("mean_scores: no scores to average (empty data set?)")
    fields = [f.name for f in dataclasses.fields(Scores)]
    out: dict[str, float | None] = {}
    for name in fields:
        values = [getattr(s, name) for s in scores]
        out[name] = None if any(v is None for v in values) else float(np.mean(values))
    return Scores(**out)
