"""MATLAB ``imresize`` on batched torch tensors (CPU or CUDA), for GPU-resident degradation.

Same arithmetic as the numpy port :mod:`sr_audit.backends.matlab_port` (whose cached weights and
indices it reuses, so both stay in lock step): per dimension, each output pixel is the weighted sum
of its taps, accumulated tap by tap, left to right; the dimension with the smaller scale first
(height on a tie); symmetric or replicate border.

Precision, by input dtype:

* float64: computed in float64, equal to the numpy port bit for bit;
* float32: computed in float32 with the float64 weights rounded to float32 (agrees with the numpy
  port to ~1e-6 relative; faster, and what a training pipeline wants);
* uint8: computed in float64, rounded half away from zero and saturated after each 1-D pass,
  equal to the numpy port (and to MATLAB) bit for bit.

Each pass is ``P`` gathers (``index_select`` on the whole batch) and multiply-adds, with ``P`` the
number of taps (6 for bicubic without antialiasing, 14 when shrinking by 3 with it): no per-pixel
Python loops, no padding copies.
"""
from __future__ import annotations

import functools

import torch

from sr_audit.backends import matlab_port
from sr_audit.errors import ImageError
from sr_audit.sizes import plan_output

#: Tensor dtypes :func:`imresize_torch` accepts; the output has the input's dtype.
TORCH_DTYPES: tuple[torch.dtype, ...] = (torch.uint8, torch.float32, torch.float64)


@functools.lru_cache(maxsize=256)
def _axis_tensors(
    in_len: int,
    out_len: int,
    scale: float,
    kernel: str,
    antialias: bool,
    border: str,
    device: torch.device,
    dtype: torch.dtype,
) -> tuple[torch.Tensor, torch.Tensor]:
    """(weights (P, out) of ``dtype``, indices (P, out) int64) on ``device``, tap-major."""
    aw = matlab_port.axis_weights(in_len, out_len, scale, kernel, antialias, border)
    weights = torch.from_numpy(aw.weights.T.copy()).to(device=device, dtype=dtype)
    indices = torch.from_numpy(aw.indices.T.astype("int64")).to(device=device)
    return weights, indices


def _round_saturate_uint8_(x: torch.Tensor) -> torch.Tensor:
    """MATLAB's ``uint8()`` of a float64 tensor, in place and kept in float64: half away from zero, 0..255.

    ``x - floor(x)`` is exact, so values just below .5 are not pushed up (see the numpy port).
    """
    fl = torch.floor(x)
    x.sub_(fl).ge_(0.5)  # 1.0 where the fraction is >= 0.5
    return x.add_(fl).clamp_(0.0, 255.0)


def _resample_height(x: torch.Tensor, weights: torch.Tensor, indices: torch.Tensor) -> torch.Tensor:
    """Resample the height of a contiguous (B, H, W) tensor: whole rows gathered, taps left to right.

    Without autograd, two buffers per pass (the sum and one gathered tap), reused across taps;
    when ``x`` requires grad, each tap is a fresh tensor (``out=`` has no autograd).
    """
    out = x.index_select(-2, indices[0]).mul_(weights[0].view(-1, 1))
    reuse = not (x.requires_grad and torch.is_grad_enabled())
    term = torch.empty_like(out) if reuse else None
    for k in range(1, weights.shape[0]):
        if reuse:
            torch.index_select(x, -2, indices[k], out=term)
        else:
            term = x.index_select(-2, indices[k])
        out.add_(term.mul_(weights[k].view(-1, 1)))
    return out


def _resample(x: torch.Tensor, axis: int, weights: torch.Tensor, indices: torch.Tensor) -> torch.Tensor:
    """Resample ``axis`` (0 height, 1 width) of a (B, H, W) tensor.

    The width is resampled as the height of the transposed planes: gathering whole rows is several
    times faster than gathering single elements along the last dimension, transposes included.
    """
    if axis == 0:
        return _resample_height(x, weights, indices)
    return _resample_height(x.transpose(-1, -2).contiguous(), weights, indices).transpose(-1, -2).contiguous()


def imresize_torch(
    x: torch.Tensor,
    *,
    scale: float | tuple[float, float] | None = None,
    size: tuple[int, int] | None = None,
    kernel: str = "bicubic",
    antialias: bool | None = None,
    border: str = "symmetric",
) -> torch.Tensor:
    """MATLAB ``imresize`` of a batch of images, on the tensor's device.

    Parameters
    ----------
    x : Tensor, shape (N, C, H, W), (C, H, W) or (H, W)
        uint8, float32 or float64, on any device. Floats may be in any range (no clipping).
    scale : float or (float, float), optional
        Scale factor (> 1 enlarges), one for both dimensions or (scale_h, scale_w). Output size is
        ``ceil(scale * in)``; the given scale drives the coordinate mapping.
    size : (int, int), optional
        Output (height, width); the scale of each dimension is then ``out / in``.
    kernel : str
        ``bicubic`` (Keys, a = -0.5), ``bilinear`` / ``triangle``, ``box``, ``nearest``,
        ``lanczos2`` or ``lanczos3``.
    antialias : bool, optional
        Widen the kernel by 1/scale when shrinking. Default: MATLAB's (on, except ``nearest``).
    border : {"symmetric", "replicate"}
        ``symmetric`` for MATLAB R2015b and later, ``replicate`` for the 2013-era release.

    Returns
    -------
    Tensor
        Shape ``x.shape[:-2] + (out_h, out_w)``, dtype and device of ``x``.

    Notes
    -----
    float64 and uint8 results equal :func:`sr_audit.backends.matlab_port.imresize` bit for bit;
    float32 is computed in float32 (see the module docstring). uint8 is computed in float64 and
    rounded half away from zero and saturated after each 1-D pass, as MATLAB does. Float inputs
    that require grad get a differentiable result (the resize is linear in ``x``).
    """
    if not isinstance(x, torch.Tensor) or x.dim() not in (2, 3, 4) or x.numel() == 0:
        shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise ImageError(f"imresize_torch: expected a non-empty (N, C, H, W), (C, H, W) or (H, W) tensor, got {shape}")
    if x.dtype not in TORCH_DTYPES:
        raise ImageError(
            f"imresize_torch: dtype {x.dtype} is not supported; convert to one of "
            + ", ".join(str(d) for d in TORCH_DTYPES)
        )
    in_size = (int(x.shape[-2]), int(x.shape[-1]))
    out_size, scales = plan_output(in_size, scale=scale, size=size, rule="ceil")
    matlab_port.check_kernel_border(kernel, border)
    aa = matlab_port.default_antialias(kernel) if antialias is None else bool(antialias)
    integer = x.dtype == torch.uint8
    work_dtype = torch.float64 if integer else x.dtype
    data = x.reshape((-1,) + in_size).to(work_dtype).contiguous()
    for axis in matlab_port.pass_order(*scales):
        weights, indices = _axis_tensors(
            in_size[axis], out_size[axis], float(scales[axis]), kernel, aa, border, data.device, work_dtype
        )
        data = _resample(data, axis, weights, indices)
        if integer:
            data = _round_saturate_uint8_(data)
    return data.to(x.dtype).reshape(tuple(x.shape[:-2]) + out_size)
