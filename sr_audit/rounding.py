"""Rounding rules of :data:`sr_audit.conventions.ROUNDINGS` as functions (layer 1: numpy only).

MATLAB's ``uint8(x)`` rounds half away from zero and saturates; ``numpy.around`` rounds half to
even; fixed-point libraries add 0.5 and floor. On real images the three differ on a few pixels, and
that difference is measurable in PSNR, so every cast to integers in sr-audit goes through
:func:`quantize` with the rule named.
"""
from __future__ import annotations

import numpy as np

from sr_audit.errors import SpecError


def _round_half_up_exact(x: np.ndarray) -> np.ndarray:
    # x - floor(x) is exact for every double, unlike floor(x + 0.5), which sends
    # 0.49999999999999994 to 1
    fl = np.floor(x)
    return fl + ((x - fl) >= 0.5)


def round_half_away(x: np.ndarray) -> np.ndarray:
    """Round to the nearest integer, ties away from zero (MATLAB ``round``); exact for every double.

    >>> round_half_away(np.array([-2.5, -0.5, 0.49999999999999994, 0.5, 2.5]))
    array([-3., -1.,  0.,  1.,  3.])
    """
    x = np.asarray(x, dtype=np.float64)
    return np.copysign(_round_half_up_exact(np.abs(x)), x) + 0.0


def apply_rounding(x: np.ndarray, rule: str) -> np.ndarray:
    """Round ``x`` (float) by a rule name of ``ROUNDINGS``; ``"none"`` returns it unchanged."""
    x = np.asarray(x)
    if rule == "half-away-from-zero":
        return round_half_away(x)
    if rule == "half-up":
        return _round_half_up_exact(x)
    if rule == "half-to-even":
        return np.around(x)
    if rule == "truncate":
        return np.trunc(x)
    if rule == "none":
        return x
    raise SpecError(f"unknown rounding rule {rule!r}; rules: half-away-from-zero, half-up, half-to-even, truncate, none")


def quantize(x: np.ndarray, dtype: type | np.dtype = np.uint8, rule: str = "half-away-from-zero") -> np.ndarray:
    """Round ``x`` by ``rule`` and saturate to the range of the integer ``dtype``.

    >>> quantize(np.array([-3.0, 0.5, 1.5, 254.5, 300.0]))
    array([  0,   1,   2, 255, 255], dtype=uint8)
    """
    info = np.iinfo(dtype)
    if rule == "none":
        raise SpecError("quantize needs a rounding rule other than 'none'")
    return np.clip(apply_rounding(x, rule), info.min, info.max).astype(dtype)
