"""Luma (Y) definitions as data, and RGB -> Y conversion.

The SR literature evaluates on "Y of YCbCr", but code in the wild uses several definitions:

* ``matlab`` — MATLAB ``rgb2ycbcr`` (ITU-R BT.601, studio range 16..235):
  Y = 16 + (65.481 R + 128.553 G + 24.966 B) / 255, R, G, B in 0..255. The SRCNN paper's protocol.
* ``bt601-256`` — the same BT.601 studio-range luma with the /256 coefficients found in many
  reimplementations: Y = 16 + (65.738 R + 129.057 G + 25.064 B) / 256 (differs from ``matlab`` by
  < 0.01 on 0..255).
* ``typo-64.738`` — the widespread typo of ``bt601-256`` with 64.738 for 65.738 (seen in popular
  PyTorch SR code); measurably wrong, kept so that its effect can be measured.
* ``yiq`` — full-range luma of YIQ / JPEG: Y = 0.299 R + 0.587 G + 0.114 B.

How grayscale images enter a Y protocol (the authors use them as is) is decided by the metric
protocol, not here.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sr_audit.errors import ImageError, SpecError
from sr_audit.rounding import quantize


@dataclass(frozen=True)
class LumaDefinition:
    """Y = offset + (r * R + g * G + b * B) / divisor, with R, G, B and Y in 0..255."""

    name: str
    r: float
    g: float
    b: float
    divisor: float
    offset: float
    description: str


Y_DEFINITIONS: dict[str, LumaDefinition] = {
    d.name: d
    for d in (
        LumaDefinition("matlab", 65.481, 128.553, 24.966, 255.0, 16.0, "MATLAB rgb2ycbcr, BT.601 studio range"),
        LumaDefinition("bt601-256", 65.738, 129.057, 25.064, 256.0, 16.0, "BT.601 studio range, /256 coefficients"),
        LumaDefinition("typo-64.738", 64.738, 129.057, 25.064, 256.0, 16.0, "the 64.738 typo of bt601-256"),
        LumaDefinition("yiq", 0.299 * 255, 0.587 * 255, 0.114 * 255, 255.0, 0.0, "YIQ / JPEG full-range luma"),
    )
}


def luma_definition(name: str) -> LumaDefinition:
    """The definition named ``name``; an unknown name lists the known ones."""
    try:
        return Y_DEFINITIONS[name]
    except KeyError:
        raise SpecError(f"unknown Y definition {name!r}; known: {', '.join(Y_DEFINITIONS)}") from None


def rgb_to_y(rgb: np.ndarray, definition: str = "matlab") -> np.ndarray:
    """Y of an RGB image, as float64 on the 0..255 scale, unrounded.

    Parameters
    ----------
    rgb : ndarray, shape (H, W, 3)
        RGB values on the 0..255 scale (uint8, or float already multiplied by 255).
    definition : str
        Key of :data:`Y_DEFINITIONS`.

    Notes
    -----
    MATLAB ``rgb2ycbcr`` on uint8 input returns ``round_half_away(rgb_to_y(rgb))`` as uint8; on
    double input in [0, 1] it returns ``rgb_to_y(255 * rgb) / 255`` (to rounding error). The
    coefficients are divided first and then applied, in that order, as MATLAB does.
    """
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ImageError(f"rgb_to_y needs an HxWx3 RGB image, got shape {rgb.shape}")
    d = luma_definition(definition)
    x = rgb.astype(np.float64)
    return (d.r / d.divisor) * x[..., 0] + (d.g / d.divisor) * x[..., 1] + (d.b / d.divisor) * x[..., 2] + d.offset


_MATLAB_Y = luma_definition("matlab")

#: MATLAB ``rgb2ycbcr``: YCbCr (0..255 scale) = offset + matrix @ RGB / 255, RGB on 0..255. The Y
#: row is :data:`Y_DEFINITIONS` ``["matlab"]``.
YCBCR_MATRIX = np.array(
    [
        [_MATLAB_Y.r, _MATLAB_Y.g, _MATLAB_Y.b],
        [-37.797, -74.203, 112.0],
        [112.0, -93.786, -18.214],
    ]
)
YCBCR_OFFSET = np.array([_MATLAB_Y.offset, 128.0, 128.0])

def rgb_to_ycbcr_u8(rgb: np.ndarray) -> np.ndarray:
    """MATLAB ``rgb2ycbcr`` of a uint8 RGB image: uint8 YCbCr, rounded half away from zero."""
    ycbcr = rgb.astype(np.float64) @ (YCBCR_MATRIX / 255.0).T + YCBCR_OFFSET
    return quantize(ycbcr, np.uint8, "half-away-from-zero")


def ycbcr_to_rgb(ycbcr: np.ndarray) -> np.ndarray:
    """MATLAB ``ycbcr2rgb`` on doubles: YCbCr in [0, 1] (0..255 / 255) -> RGB in [0, 1], unclipped."""
    return (ycbcr * 255.0 - YCBCR_OFFSET) @ np.linalg.inv(YCBCR_MATRIX).T
