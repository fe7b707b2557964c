"""Output size and scales of a resize: the caller's ``scale`` or ``size`` checked, and the size rules.

Exactly one of ``scale`` and ``size`` is given. ``scale`` > 1 enlarges; it may be a number, a
:class:`fractions.Fraction` or a string such as ``"1/3"``, and a pair gives (scale_h, scale_w).
The output size then follows a size rule (:data:`sr_audit.conventions.SIZE_RULES`) and the given
scale drives the coordinate mapping. ``size`` is the output (height, width); the scale of each
dimension is then ``out / in``. :func:`sr_audit.resize.resize` and the MATLAB port
(:mod:`sr_audit.backends.matlab_port`, rule ``ceil``) both decide sizes here.
"""
from __future__ import annotations

import math
from fractions import Fraction
from typing import Union

import numpy as np

from sr_audit.errors import SpecError

ScaleLike = Union[float, int, str, Fraction]


def parse_scale(value: ScaleLike) -> float:
    """A positive finite scale from a number or a string like ``"3"``, ``"0.5"`` or ``"1/3"``.

    >>> parse_scale("1/3") == 1 / 3
    True
    """
    shown = value.strip() if isinstance(value, str) else value
    try:
        scale = float(Fraction(value.strip())) if isinstance(value, str) else float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        raise SpecError(f"scale {shown!r} is not a number or fraction such as 3, 0.5 or 1/3") from None
    if not math.isfinite(scale) or scale <= 0:
        raise SpecError(f"scale must be a positive finite number such as 3, 0.5 or 1/3, got {shown!r}")
    return scale


def parse_factor(value: ScaleLike) -> int:
    """An integer super-resolution factor >= 2, in the one grammar every command takes.

    ``3``, ``"3"``, ``"x3"`` and the downscale ratio ``"1/3"`` (or ``0.5`` for 2) all name a
    factor; a value below 1 is the ratio of the down resize and means its reciprocal.

    >>> [parse_factor(v) for v in ("3", "x4", "1/3", "0.5", 2)]
    [3, 4, 3, 2, 2]
    """
    text = value.strip() if isinstance(value, str) else value
    if isinstance(text, str) and text[:1] in ("x", "X"):
        text = text[1:]
    try:
        ratio = parse_scale(text)  # type: ignore[arg-type]
    except SpecError:
        ratio = math.nan
    factor = 1.0 / ratio if ratio < 1 else ratio
    if not math.isfinite(factor) or factor < 2 or abs(factor - round(factor)) > 1e-9:
        shown = value.strip() if isinstance(value, str) else value
        raise SpecError(
            f"scale {shown!r} is not an integer super-resolution factor of at least 2: give 2, 3, 4 (or x3, or the "
            "downscale ratio 1/3)"
        )
    return int(round(factor))


def output_size(in_size: tuple[int, int], scale: tuple[float, float], rule: str) -> tuple[int, int]:
    """Output (H, W) for ``scale`` under a ``Conventions.size_rule``."""
    if rule == "ceil":
        # MATLAB computes ceil(scale * in) in double precision; so do we.
        out = tuple(math.ceil(s * n) for s, n in zip(scale, in_size))
    elif rule == "round":
        out = tuple(round(s * n) for s, n in zip(scale, in_size))  # Python rounds ties to even
    elif rule == "floor":
        out = tuple(math.floor(s * n) for s, n in zip(scale, in_size))
    else:
        raise SpecError(f"unknown size rule {rule!r}")
    if min(out) < 1:
        raise SpecError(
            f"scale {scale} turns a {in_size[0]}x{in_size[1]} image into {out[0]}x{out[1]}: use a larger scale or image"
        )
    return out  # type: ignore[return-value]


def plan_output(
    in_size: tuple[int, int],
    *,
    scale: ScaleLike | tuple[ScaleLike, ScaleLike] | None = None,
    size: tuple[int, int] | None = None,
    rule: str,
) -> tuple[tuple[int, int], tuple[float, float]]:
    """Output (H, W) and (scale_h, scale_w) from exactly one of ``scale`` and ``size`` (module notes).

    >>> plan_output((10, 20), scale="1/3", rule="ceil")[0], plan_output((10, 20), size=(5, 5), rule="ceil")
    ((4, 7), ((5, 5), (0.5, 0.25)))
    """
    if (scale is None) == (size is None):
        raise SpecError("give exactly one of scale and size")
    if scale is not None:
        pair = tuple(scale) if isinstance(scale, (tuple, list)) else (scale, scale)
        if len(pair) != 2:
            raise SpecError(f"scale must be a number or a (scale_h, scale_w) pair, got {scale!r}")
        scales = (parse_scale(pair[0]), parse_scale(pair[1]))
        return output_size(in_size, scales, rule), scales
    if (
        not isinstance(size, (tuple, list))
        or len(size) != 2
        or not all(isinstance(v, (int, np.integer)) and v >= 1 for v in size)
    ):
        raise SpecError(f"size must be a pair of positive integers (height, width), got {size!r}")
    out = (int(size[0]), int(size[1]))
    return out, (out[0] / in_size[0], out[1] / in_size[1])
