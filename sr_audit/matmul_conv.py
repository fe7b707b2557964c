"""Convolution layers computed as matrix products on channels-last tensors (how training runs SRCNN).

SRCNN's layers are thin: the first sees one (or three) input channels through a 9x9 window, the
last writes one (or three) output channels from a 5x5 window. Written as one matrix product per
layer, each runs at the BLAS's speed with a few fixed costs per call, which on the CPU trains
small batches faster than library convolutions (benchmarks/README.md). :func:`conv_nhwc` computes a
correlation ``y[o] = b[o] + sum_{c,u,v} w[o, c, u, v] * x[c, i + u, j + v]`` on (N, H, W, C)
tensors in one of two ways, whichever has the smaller inner dimension:

* **windows** (``in_channels <= out_channels``, e.g. SRCNN's first layer): every f x f window of
  the input as a row of ``C * f * f`` values (a strided view, copied once by ``reshape``), times
  the filters, ``(N * H' * W', C f²) @ (C f², O)``.
* **taps** (``in_channels > out_channels``, e.g. the last layer): every input pixel times the
  filters gives its contribution to each of the ``f * f`` outputs it reaches,
  ``(N * H * W, C) @ (C, O f²)``; output pixel (i, j) then sums tap (u, v) of input pixel
  (i + u, j + v) over all u, v. That shifted sum reads a strided view in which every tap occurs
  once (:class:`_ShiftedTapSum`, whose backward writes the gradient back through the same view).

A 1x1 layer is a plain product. Padding (``zero`` or ``replicate``, by ``f // 2``)
commutes with the per-pixel product, so the taps way pads the taps instead of the input. Results
equal :func:`torch.nn.functional.conv2d` up to float rounding (``tests/test_matmul_conv.py``,
values and gradients); the speed-up is measured by ``benchmarks/train_speed.py``. Memory: the
windows way holds ``f²`` copies of the input, the taps way ``O f²`` values per input pixel, which
suits training batches of small windows, not whole images (inference keeps library convolutions).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

#: Paddings :func:`conv_nhwc` applies: ``None`` (valid), ``"zero"``, ``"replicate"``.
PAD_MODES = (None, "zero", "replicate")


def _pad_nhwc(x: torch.Tensor, p: int, mode: str) -> torch.Tensor:
    """(N, H, W, C) -> (N, H + 2p, W + 2p, C), padded with zeros or replicated borders."""
    planes = x.permute(0, 3, 1, 2)
    padded = F.pad(planes, (p, p, p, p), mode="constant" if mode == "zero" else "replicate")
    return padded.permute(0, 2, 3, 1)


def _tap_view(taps: torch.Tensor, f: int) -> torch.Tensor:
    """(N, H, W, O, f, f) taps -> (N, H - f + 1, W - f + 1, O, f, f) view whose [n, i, j, o, u, v]
    is ``taps[n, i + u, j + v, o, u, v]``; no element appears twice (it is at a distinct (i, j) per (u, v))."""
    n, h, w, o = taps.shape[:4]
    s = taps.stride()
    return taps.as_strided((n, h - f + 1, w - f + 1, o, f, f), (s[0], s[1], s[2], s[3], s[1] + s[4], s[2] + s[5]))


class _ShiftedTapSum(torch.autograd.Function):
    """``out[n, i, j, o] = sum_{u, v} taps[n, i + u, j + v, o, u, v]`` with a direct backward.

    Under CUDA autocast the sum runs in float32, as autocast runs ``torch.sum``.
    """

    @staticmethod
    @torch.amp.custom_fwd(device_type="cuda", cast_inputs=torch.float32)
    def forward(ctx: torch.autograd.function.FunctionCtx, taps: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        ctx.shape = taps.shape  # type: ignore[attr-defined]
        return _tap_view(taps, taps.shape[-1]).sum(dim=(4, 5))

    @staticmethod
    @torch.amp.custom_bwd(device_type="cuda")
    def backward(ctx: torch.autograd.function.FunctionCtx, grad: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        shape = ctx.shape  # type: ignore[attr-defined]
        out = grad.new_zeros(shape)
        view = _tap_view(out, shape[-1])
        view.copy_(grad[..., None, None].expand(view.shape))
        return out


def conv_nhwc(x: torch.Tensor, conv: nn.Conv2d, pad: str | None = None, *, relu: bool = False) -> torch.Tensor:
    """``conv`` (square kernel, stride 1, no dilation or groups) applied to channels-last ``x``.

    Parameters
    ----------
    x : torch.Tensor
        (N, H, W, C) with C = ``conv.in_channels``; any strides.
    conv : torch.nn.Conv2d
        Supplies weight (O, C, f, f) and bias; its own padding setting is ignored.
    pad : {None, "zero", "replicate"}
        Pad the input by ``f // 2`` on every side first (``None``: valid correlation).
    relu : bool
        Apply a ReLU, in place on the product's own result (a fresh tensor costs more than the ReLU).

    Returns
    -------
    torch.Tensor
        (N, H', W', O), contiguous; H' = H - f + 1 without padding, H with it.
    """
    if pad not in PAD_MODES:
        raise ValueError(f"pad must be one of {PAD_MODES}, got {pad!r}")
    f = conv.kernel_size[0]
    p = f // 2 if pad is not None else 0
    n, c, o = x.shape[0], conv.in_channels, conv.out_channels
    weight = conv.weight
    if f == 1:  # a plain product
        h, w = x.shape[1:3]
        out = torch.addmm(conv.bias, x.reshape(n * h * w, c), weight.reshape(o, c).t())
        return (out.relu_() if relu else out).view(n, h, w, o)
    if c <= o:  # windows
        if p:
            x = _pad_nhwc(x, p, pad)  # type: ignore[arg-type]
        windows = x.unfold(1, f, 1).unfold(2, f, 1)  # (N, H', W', C, f, f), the filters' layout
        h, w = windows.shape[1:3]
        out = torch.addmm(conv.bias, windows.reshape(n * h * w, c * f * f), weight.reshape(o, c * f * f).t())
        return (out.relu_() if relu else out).view(n, h, w, o)
    h, w = x.shape[1:3]
    taps = x.reshape(n * h * w, c) @ weight.permute(1, 0, 2, 3).reshape(c, o * f * f)
    taps = taps.view(n, h, w, o * f * f)
    if p:
        taps = _pad_nhwc(taps, p, pad)  # type: ignore[arg-type]
    taps = taps.reshape(n, h + 2 * p, w + 2 * p, o, f, f)
    out = _ShiftedTapSum.apply(taps) + conv.bias
    return out.relu_() if relu else out
