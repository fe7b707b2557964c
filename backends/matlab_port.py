"""A numpy port of MATLAB ``imresize`` (float64), modern and legacy border rules.

What MATLAB computes, and this module reproduces
-------------------------------------------------
``imresize`` is separable: one 1-D resampling per dimension, each a weighted sum of input pixels
along that dimension. For each dimension with input length ``n``, output length ``m`` and scale
``s`` (``s > 1`` enlarges):

1. Output pixel ``x`` (1-based) maps to the input coordinate ``u = x/s + 0.5*(1 - 1/s)``
   (pixel centres at half-integers).
2. When shrinking (``s < 1``) with antialiasing on, the kernel ``k`` becomes ``s*k(s*t)`` and its
   width ``w`` becomes ``w/s`` (a low-pass filter matched to the output grid).
3. The taps are ``left + 0 .. P-1`` with ``left = floor(u - w/2)`` and ``P = ceil(w) + 2``; the
   weights ``k(u - tap)`` are divided by their sum, so every row of weights sums to 1.
4. Taps outside ``1..n`` are mapped back inside by the border rule: **symmetric** (mirror with the
   edge pixel repeated, ``... b a | a b ...``; R2015b and later) or **replicate** (clamp to the edge
   pixel; the 2013-era release that produced the SRCNN-era LR test sets).
5. The dimension with the smaller scale factor is resampled first; on a tie, dimension 1 (height)
   first (MATLAB sorts the scales with a stable sort).
6. Each output pixel is accumulated tap by tap, left to right, in double precision. Integer input
   (uint8, uint16) is rounded half away from zero and saturated to its type **after each 1-D
   pass**, so the second pass reads integers.

The output size is ``ceil(s * n)`` per dimension when a scale is given (the given scale then drives
the mapping), or ``size`` when a size is given (the scale is then ``size / n`` per dimension).

Every step follows MATLAB's order of floating-point operations, so results match MATLAB bit for bit
on the reference data in ``shared/datasets/matlab_reference`` (see ``tests/test_matlab_reference.py``).
"""
from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sr_audit.errors import ImageError, SpecError
from sr_audit.sizes import plan_output

#: MATLAB's kernel width (support, in input pixels at scale 1) per kernel name.
KERNEL_WIDTHS: dict[str, float] = {
    "bicubic": 4.0,
    "bilinear": 2.0,
    "triangle": 2.0,
    "box": 1.0,
    "nearest": 1.0,
    "lanczos2": 4.0,
    "lanczos3": 6.0,
}

#: Border rules the port implements (keys of ``sr_audit.conventions.BORDERS``).
BORDERS: tuple[str, ...] = ("symmetric", "replicate")

#: Input dtypes accepted by :func:`imresize`; the output has the input's dtype.
DTYPES: tuple[str, ...] = ("uint8", "uint16", "float32", "float64")

_EPS = np.finfo(np.float64).eps


def _cubic(x: np.ndarray) -> np.ndarray:
    # Keys cubic, a = -0.5, written in MATLAB's order of operations.
    ax = np.abs(x)
    ax2 = ax * ax
    ax3 = ax2 * ax
    inner = (1.5 * ax3 - 2.5 * ax2 + 1.0) * (ax <= 1)
    outer = (-0.5 * ax3 + 2.5 * ax2 - 4.0 * ax + 2.0) * ((1 < ax) & (ax <= 2))
    return inner + outer


def _triangle(x: np.ndarray) -> np.ndarray:
    return (x + 1.0) * ((-1 <= x) & (x < 0)) + (1.0 - x) * ((0 <= x) & (x <= 1))


def _box(x: np.ndarray) -> np.ndarray:
    return ((-0.5 <= x) & (x < 0.5)).astype(np.float64)


def _lanczos(a: int) -> Callable[[np.ndarray], np.ndarray]:
    def kernel(x: np.ndarray) -> np.ndarray:
        # MATLAB adds eps to numerator and denominator so that x = 0 gives 1 without a branch.
        num = np.sin(np.pi * x) * np.sin(np.pi * x / a) + _EPS
        den = (np.pi**2 * x**2 / a) + _EPS
        return (num / den) * (np.abs(x) < a)

    return kernel


_KERNEL_FUNCTIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "bicubic": _cubic,
    "bilinear": _triangle,
    "triangle": _triangle,
    "box": _box,
    "nearest": _box,
    "lanczos2": _lanczos(2),
    "lanczos3": _lanczos(3),
}


def default_antialias(kernel: str) -> bool:
    """MATLAB's default for ``'Antialiasing'``: on for every kernel except ``nearest``."""
    return kernel != "nearest"


@dataclass(frozen=True)
class AxisWeights:
    """Precomputed 1-D resampling along one dimension.

    Attributes
    ----------
    weights : ndarray, shape (out, P), float64
        Row ``i`` holds the weights of output pixel ``i``; each row sums to 1 (to rounding).
    indices : ndarray, shape (out, P), intp
        0-based input indices of the taps, already mapped inside ``0 .. in-1`` by the border rule.
    """

    weights: np.ndarray
    indices: np.ndarray


def check_kernel_border(kernel: str, border: str) -> None:
    """Raise :class:`SpecError` unless ``kernel`` and ``border`` are ones MATLAB imresize has."""
    if kernel not in KERNEL_WIDTHS:
        raise SpecError(f"MATLAB imresize has no kernel {kernel!r}; kernels: {', '.join(KERNEL_WIDTHS)}")
    if border not in BORDERS:
        raise SpecError(f"border {border!r} is not one of: {', '.join(BORDERS)}")


@functools.lru_cache(maxsize=256)
def axis_weights(in_len: int, out_len: int, scale: float, kernel: str, antialias: bool, border: str) -> AxisWeights:
    """Weights and indices of the 1-D resampling ``in_len -> out_len`` (cached, read-only arrays).

    Parameters
    ----------
    in_len, out_len : int
        Input and output lengths along the dimension (>= 1).
    scale : float
        Scale factor driving the coordinate mapping (> 1 enlarges); MATLAB uses the given scale, or
        ``out_len / in_len`` when a size was given.
    kernel : str
        A key of :data:`KERNEL_WIDTHS`.
    antialias : bool
        Widen the kernel by ``1/scale`` when ``scale < 1``.
    border : {"symmetric", "replicate"}
        How taps outside the input are mapped inside.

    Returns
    -------
    AxisWeights
    """
    check_kernel_border(kernel, border)
    if in_len < 1 or out_len < 1:
        raise SpecError(f"lengths must be positive, got {in_len} -> {out_len}")
    if not (math.isfinite(scale) and scale > 0):
        raise SpecError(f"scale must be a positive finite number, got {scale!r}")
    base = _KERNEL_FUNCTIONS[kernel]
    width = KERNEL_WIDTHS[kernel]
    if antialias and scale < 1:
        def h(t: np.ndarray) -> np.ndarray:
            return scale * base(scale * t)

        width = width / scale
    else:
        h = base
    x = np.arange(1, out_len + 1, dtype=np.float64)
    u = x / scale + 0.5 * (1 - 1 / scale)
    left = np.floor(u - width / 2)
    taps = int(math.ceil(width)) + 2
    idx1 = left[:, None] + np.arange(taps, dtype=np.float64)[None, :]  # 1-based, may lie outside
    w = h(u[:, None] - idx1)
    # Sum the taps left to right: with this order the port matches MATLAB's fixtures bit for bit.
    total = np.zeros(out_len)
    for k in range(taps):
        total = total + w[:, k]
    w = w / total[:, None]
    j = idx1.astype(np.intp) - 1
    if border == "symmetric":
        period = np.mod(j, 2 * in_len)
        j = np.where(period < in_len, period, 2 * in_len - 1 - period)
    else:
        j = np.clip(j, 0, in_len - 1)
    w.setflags(write=False)
    j.setflags(write=False)
    return AxisWeights(weights=w, indices=j)


def pass_order(scale_h: float, scale_w: float) -> tuple[int, int]:
    """Order of the 1-D passes as (first axis, second axis), 0 = height, 1 = width.

    The smaller scale factor goes first (less work for the second pass); on a tie, height first.
    """
    return (0, 1) if scale_h <= scale_w else (1, 0)


def _round_saturate_inplace(block: np.ndarray, top: float, scratch: np.ndarray) -> None:
    """MATLAB's cast to an unsigned type (round half away from zero, saturate to [0, top]) of a
    non-negative float64 block in place, result kept in float64; exact for every double, as
    :func:`sr_audit.rounding.quantize`."""
    np.floor(block, out=scratch)
    block -= scratch  # the fraction, exactly
    np.greater_equal(block, 0.5, out=block)
    block += scratch
    np.clip(block, 0.0, top, out=block)


#: Bytes of one block of output rows; blocks this size keep the per-tap temporaries in cache.
_BLOCK_BYTES = 1 << 20


def _resample_height(data: np.ndarray, aw: AxisWeights, top: float | None) -> np.ndarray:
    """Resample the rows of a 2-D float64 array (H, W*C): output row i = sum_k w[i,k] * data[idx[i,k]].

    Taps are accumulated left to right (MATLAB's order), one block of output rows at a time; with
    ``top`` set (integer input), each finished block is rounded and saturated to [0, top].
    """
    m, taps = aw.weights.shape
    out = np.empty((m, data.shape[1]))
    rows = max(1, _BLOCK_BYTES // (8 * data.shape[1]))
    tmp = np.empty((rows, data.shape[1]))
    for start in range(0, m, rows):
        o = out[start:start + rows]
        t = tmp[: o.shape[0]]
        o.fill(0.0)
        for k in range(taps):
            np.take(data, aw.indices[start:start + rows, k], axis=0, out=t)
            t *= aw.weights[start:start + rows, k, None]
            o += t
        if top is not None:
            _round_saturate_inplace(o, top, t)
    return out


def _resample_width(data: np.ndarray, aw: AxisWeights, channels: int, top: float | None) -> np.ndarray:
    """Resample the columns of a 2-D float64 array (H, W*C) holding C interleaved channels.

    Gathers along the flattened last axis with indices ``idx * C + c``, so no transposes are needed;
    taps are accumulated left to right, one block of rows at a time; ``top`` as in
    :func:`_resample_height`.
    """
    m, taps = aw.weights.shape
    flat_idx = (aw.indices.T[:, :, None] * channels + np.arange(channels)).reshape(taps, m * channels)
    flat_w = np.repeat(aw.weights.T, channels, axis=1)
    out = np.empty((data.shape[0], m * channels))
    rows = max(1, _BLOCK_BYTES // (8 * m * channels))
    tmp = np.empty((rows, m * channels))
    for start in range(0, data.shape[0], rows):
        src = data[start:start + rows]
        o = out[start:start + rows]
        t = tmp[: o.shape[0]]
        o.fill(0.0)
        for k in range(taps):
            np.take(src, flat_idx[k], axis=1, out=t)
            t *= flat_w[k]
            o += t
        if top is not None:
            _round_saturate_inplace(o, top, t)
    return out


def imresize(
    image: np.ndarray,
    *,
    scale: float | tuple[float, float] | None = None,
    size: tuple[int, int] | None = None,
    kernel: str = "bicubic",
    antialias: bool | None = None,
    border: str = "symmetric",
) -> np.ndarray:
    """MATLAB ``imresize`` on a numpy image, bit for bit.

    Parameters
    ----------
    image : ndarray, shape (H, W) or (H, W, C)
        uint8, uint16, float32 or float64; values in any range (no clipping of floats).
    scale : float or (float, float), optional
        Scale factor (> 1 enlarges), one for both dimensions or (scale_h, scale_w). Output size is
        ``ceil(scale * in)``; the given scale drives the coordinate mapping.
    size : (int, int), optional
        Output (height, width); the scale of each dimension is then ``out / in``.
    kernel : str
        One of ``bicubic`` (Keys, a = -0.5), ``bilinear`` / ``triangle`` (tent), ``box``,
        ``nearest`` (box without antialiasing), ``lanczos2``, ``lanczos3``.
    antialias : bool, optional
        Widen the kernel by 1/scale when shrinking. Default: MATLAB's (on, except ``nearest``).
    border : {"symmetric", "replicate"}
        ``symmetric`` for MATLAB R2015b and later, ``replicate`` for the 2013-era release.

    Returns
    -------
    ndarray
        Shape ``(out_h, out_w) + image.shape[2:]``, dtype of ``image``.

    Notes
    -----
    Computation is in float64 whatever the input. uint8 and uint16 results are rounded half away
    from zero and saturated after each 1-D pass (MATLAB's integer path); float32 input is computed
    in float64 and returned as float32; float results are neither rounded nor clipped. Passes run
    in :func:`pass_order`.
    """
    _check_image(image)
    out_size, scales = plan_output((int(image.shape[0]), int(image.shape[1])), scale=scale, size=size, rule="ceil")
    return resample(image, out_size, scales, kernel=kernel, antialias=antialias, border=border)


def _check_image(image: np.ndarray) -> None:
    if not isinstance(image, np.ndarray) or image.ndim not in (2, 3) or 0 in image.shape:
        shape = getattr(image, "shape", type(image).__name__)
        raise ImageError(f"MATLAB imresize port: expected a non-empty HxW or HxWxC numpy array, got {shape}")
    if image.dtype.name not in DTYPES:
        raise ImageError(
            f"MATLAB imresize port: dtype {image.dtype.name} is not supported; convert to one of {', '.join(DTYPES)}"
        )


def resample(
    image: np.ndarray,
    out_size: tuple[int, int],
    scales: tuple[float, float],
    *,
    kernel: str = "bicubic",
    antialias: bool | None = None,
    border: str = "symmetric",
) -> np.ndarray:
    """:func:`imresize` with the output size and the mapping scales already decided (see
    :func:`sr_audit.sizes.plan_output`).

    ``out_size`` is (H, W) and ``scales`` is (scale_h, scale_w); MATLAB pairs them as
    ``out = ceil(scale * in)`` (scale given) or ``scale = out / in`` (size given), but any pair is
    accepted. Other parameters, dtype rules and the result are as in :func:`imresize`.
    """
    _check_image(image)
    check_kernel_border(kernel, border)
    aa = default_antialias(kernel) if antialias is None else bool(antialias)
    in_size = (int(image.shape[0]), int(image.shape[1]))
    top = float(np.iinfo(image.dtype).max) if image.dtype.kind == "u" else None
    channels = image.shape[2] if image.ndim == 3 else 1
    shape = list(in_size)
    data = image.astype(np.float64).reshape(in_size[0], in_size[1] * channels)
    for axis in pass_order(*scales):
        aw = axis_weights(in_size[axis], int(out_size[axis]), float(scales[axis]), kernel, aa, border)
        if axis == 0:
            data = _resample_height(data, aw, top)
        else:
            data = _resample_width(data, aw, channels, top)
        shape[axis] = int(out_size[axis])
    return data.reshape(tuple(shape) + image.shape[2:]).astype(image.dtype)
