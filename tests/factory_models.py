"""Small models built from code, for ``--model tests/factory_models.py:NAME`` in the tests.

``make_pixel_shuffle``: an LR-input x3 Y model (conv to 9 channels, pixel shuffle) whose filters
copy the LR pixel into its 3x3 block, i.e. nearest-neighbour enlargement, so its scores can be
computed by hand. ``make_wrong_shape``: returns its input unchanged, which breaks the LR contract.
``make_not_a_module``: returns no module.
"""
from __future__ import annotations

import torch
from torch import nn

#: Scale of :func:`make_pixel_shuffle`.
SCALE = 3


class PixelShuffleSR(nn.Module):
    """conv (C -> C * s * s, 3x3, zero padding) then ``nn.PixelShuffle(s)``."""

    def __init__(self, channels: int = 1, scale: int = SCALE) -> None:
        super().__init__()
        self.conv = nn.Conv2d(channels, channels * scale * scale, 3, padding=1)
        self.shuffle = nn.PixelShuffle(scale)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.shuffle(self.conv(x))


def make_pixel_shuffle() -> nn.Module:
    """Nearest-neighbour x3 of a one-channel LR image, as a pixel-shuffle network."""
    model = PixelShuffleSR()
    with torch.no_grad():
        model.conv.weight.zero_()
        model.conv.weight[:, 0, 1, 1] = 1.0  # every sub-pixel copies the centre tap
        model.conv.bias.zero_()
    return model


class _Same(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x


def make_wrong_shape() -> nn.Module:
    """The identity: the right size for an upsampled input, the wrong one for an LR input."""
    return _Same()


def make_not_a_module() -> object:
    return {"not": "a module"}


def near_identity_srcnn(config: object) -> nn.Module:
    """An SRCNN of ``config`` (an :class:`sr_audit.model.SRCNNConfig`) with small seeded filters
    around an identity path: realistic, image-dependent scores."""
    from sr_audit.model import SRCNN

    torch.manual_seed(0)
    net = SRCNN(config)  # type: ignore[arg-type]
    with torch.no_grad():
        for conv in (net.conv1, net.conv2, net.conv3):
            conv.weight.mul_(0.05)
            conv.bias.zero_()
            c = conv.kernel_size[0] // 2
            conv.weight[0, 0, c, c] += 1.0
    return net.eval()
