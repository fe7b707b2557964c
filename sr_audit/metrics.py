"""Image quality metrics. Peak and ranges are always explicit (keyword-only ``data_range``)."""
from __future__ import annotations

import math

import numpy as np

from sr_audit.errors import ImageError


def psnr(reference: np.ndarray, test: np.ndarray, *, data_range: float) -> float:
    """PSNR in dB: 20 log10(data_range / RMSE), computed in float64.

    Identical images give ``inf``. Shapes must match exactly (no broadcasting).
    """
    if reference.shape != test.shape:
        raise ImageError(f"psnr: shapes differ, {reference.shape} vs {test.shape}")
    mse = float(np.mean((reference.astype(np.float64) - test.astype(np.float64)) ** 2))
    if mse == 0.0:
        return math.inf
    return 20.0 * math.log10(data_range) - 10.0 * math.log10(mse)
