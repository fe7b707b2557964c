"""Training arithmetic: a recipe's ``precision`` (:data:`TRAIN_PRECISIONS`) and :class:`MixedForward`.

``bfloat16`` runs the training forward pass (and so its backward) under ``torch.autocast`` in
bfloat16: the convolutions read bfloat16 copies of their inputs and weights and accumulate in
float32, while the weights themselves, the optimizer, the loss and everything scored or saved stay
float32. On a CPU with native bfloat16 instructions (AVX-512 BF16 or AMX, as oneDNN reports) one
training step of SRCNN takes about 0.7 of its float32 time (``benchmarks/README.md``); without them
oneDNN would emulate bfloat16, slower than float32, so such a CPU trains in float32 and the run
says so (:func:`training_precision`). On CUDA it needs a GPU with bfloat16 support.

The identity path in float32
----------------------------
bfloat16 keeps 8 significant bits. A network whose frozen identity path
(:mod:`sr_audit.init`) carries the input through bfloat16 maps rounds that input, about 2e-3 for
values near 1, on its way to the output: at ×2, where the residual HR - input is smallest, this
cost 0.04-0.1 dB at equal steps. :class:`MixedForward` therefore computes the same function as

    output = [conv3 without the path's columns, bias + offset](hidden maps) + input

with the input added in float32: conv3's columns that read the carried maps hold only the centre
tap 1 (restored after every step), a carried map is exactly ``input + offset`` for inputs above
``-offset``, and conv3's bias holds ``-offset``, so the two are equal in exact arithmetic, and only
the residual the other maps compute (bias included, which without the offset is as small as the
residual) is rounded. The carried maps themselves are still computed (conv2's other maps read
them).
"""
from __future__ import annotations

import torch

from sr_audit.errors import SpecError
from sr_audit.init import IdentityPath
from sr_audit.model import SRCNN

#: Training arithmetic: name -> what a recipe's ``precision`` does.
TRAIN_PRECISIONS: dict[str, str] = {
    "float32": "float32 throughout (paper)",
    "bfloat16": "bfloat16 autocast for the forward and backward passes where the device has native bfloat16 "
    "(float32 weights, optimizer and loss; a frozen identity path's pass-through in float32); float32 elsewhere",
}


def native_bfloat16(device: torch.device) -> bool:
    """Whether ``device`` computes bfloat16 natively (oneDNN's report on the CPU)."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    return device.type == "cpu" and torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported()


def training_precision(precision: str, device: torch.device) -> tuple[torch.dtype | None, str]:
    """The autocast dtype of a recipe's ``precision`` on ``device`` (None: float32) and what the run records."""
    if precision not in TRAIN_PRECISIONS:
        raise SpecError(f"training precision {precision!r} is not one of: {', '.join(TRAIN_PRECISIONS)}")
    if precision == "float32":
        return None, "float32"
    if not native_bfloat16(device):
        return None, f"float32 (recipe precision bfloat16: this {device.type.upper()} has no native bfloat16)"
    return torch.bfloat16, "bfloat16 autocast"


class MixedForward:
    """``model(x)`` for training under autocast, in float32, a frozen identity path's pass-through exact.

    Parameters
    ----------
    model : SRCNN
        The network being trained (any padding); read at every call, never modified.
    path : IdentityPath or None
        The model's frozen identity path, or None for a plain ``model(x)``.
    """

    def __init__(self, model: SRCNN, path: IdentityPath | None) -> None:
        self.model, self.path = model, path
        self.mask: torch.Tensor | None = None
        if path is not None:
            w = model.conv3.weight
            mask = torch.ones(w.shape, dtype=w.dtype, device=w.device)
            mask[:, path.n2 - path.channels :] = 0.0
            self.mask = mask.contiguous(memory_format=torch.channels_last)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        m = self.model
        if self.path is None or self.mask is None:  # the mask exists exactly when the path does
            return m(x).float()
        # conv3's bias holds -offset: the residual's bias is the rest, small like the residual itself
        weight, bias = m.conv3.weight * self.mask, m.conv3.bias + self.path.offset
        residual = m.layer(m.conv3, m.hidden(x), weight=weight, bias=bias).float()
        r = (x.shape[-1] - residual.shape[-1]) // 2  # the halo a 'valid' model consumes
        return residual + x[..., r : x.shape[-2] - r, r : x.shape[-1] - r].float()
