"""Convolutions as matrix products (sr_audit.matmul_conv) and SRCNN.forward_matmul against library convolutions."""
from __future__ import annotations

import itertools

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from sr_audit.matmul_conv import conv_nhwc
from sr_audit.model import PADDINGS, SRCNN, SRCNNConfig

TORCH_PAD = {None: None, "zero": "constant", "replicate": "replicate"}


def reference(x_nchw: torch.Tensor, conv: nn.Conv2d, pad: str | None) -> torch.Tensor:
    p = conv.kernel_size[0] // 2
    if pad is not None and p:
        x_nchw = F.pad(x_nchw, (p, p, p, p), mode=TORCH_PAD[pad])
    return F.conv2d(x_nchw, conv.weight, conv.bias)


# (in, out, f): windows (in <= out), taps (in > out), 1x1, and a square layer that takes the windows way
SHAPES = [(1, 6, 5), (3, 4, 3), (6, 1, 5), (5, 3, 3), (4, 7, 1), (7, 2, 1), (2, 2, 3)]


@pytest.mark.parametrize("pad", [None, "zero", "replicate"])
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "{}-{}-f{}".format(*s))
def test_conv_nhwc_equals_conv2d_values_and_gradients(shape, pad):
    c, o, f = shape
    torch.manual_seed(0)
    conv = nn.Conv2d(c, o, f).double()
    x = torch.randn(2, c, 11, 8, dtype=torch.float64, requires_grad=True)
    ours = conv_nhwc(x.permute(0, 2, 3, 1), conv, pad).permute(0, 3, 1, 2)
    theirs = reference(x, conv, pad)
    assert ours.shape == theirs.shape
    torch.testing.assert_close(ours, theirs, rtol=0, atol=1e-12)
    upstream = torch.randn_like(theirs)
    inputs = [x, conv.weight, conv.bias]
    g_ours = torch.autograd.grad(ours, inputs, upstream)
    g_theirs = torch.autograd.grad(theirs, inputs, upstream)
    for a, b in zip(g_ours, g_theirs):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-11)


def test_conv_nhwc_relu_is_applied_and_differentiable():
    torch.manual_seed(1)
    for c, o, f in [(1, 4, 3), (4, 1, 3), (3, 3, 1)]:
        conv = nn.Conv2d(c, o, f).double()
        x = torch.randn(2, 7, 7, c, dtype=torch.float64)
        plain = conv_nhwc(x, conv, "replicate")
        fused = conv_nhwc(x, conv, "replicate", relu=True)
        assert (plain < 0).any()  # so the ReLU has something to do
        torch.testing.assert_close(fused, plain.clamp_min(0), rtol=0, atol=0)
        (g,) = torch.autograd.grad(fused.sum(), conv.weight)
        (g_ref,) = torch.autograd.grad(plain.relu().sum(), conv.weight)
        torch.testing.assert_close(g, g_ref, rtol=0, atol=1e-12)


def test_conv_nhwc_refuses_unknown_padding():
    with pytest.raises(ValueError, match="pad must be one of"):
        conv_nhwc(torch.zeros(1, 5, 5, 1), nn.Conv2d(1, 1, 3), "reflect")


@pytest.mark.parametrize(
    "name,channels,padding", list(itertools.product(["9-1-5", "9-5-5", "5-3-3"], [1, 3], list(PADDINGS)))
)
def test_forward_matmul_equals_forward(name: str, channels: int, padding: str):
    torch.manual_seed(2)
    model = SRCNN(SRCNNConfig.from_name(name, channels=channels, padding=padding, n1=12, n2=6)).double()
    x = torch.rand(3, channels, 23, 19, dtype=torch.float64)
    ours, theirs = model.forward_matmul(x), model(x)
    assert ours.shape == theirs.shape
    torch.testing.assert_close(ours, theirs, rtol=0, atol=1e-13)
    g_ours = torch.autograd.grad(ours.square().sum(), list(model.parameters()))
    g_theirs = torch.autograd.grad(theirs.square().sum(), list(model.parameters()))
    for a, b in zip(g_ours, g_theirs):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-11)


def test_forward_matmul_float32_on_training_windows():
    """The training shapes (33x33 windows, 9-1-5 valid, float32, channels-last batches) agree to float32 rounding."""
    torch.manual_seed(3)
    model = SRCNN(SRCNNConfig(padding="valid"))
    x = torch.rand(16, 1, 33, 33).contiguous(memory_format=torch.channels_last)
    ours, theirs = model.forward_matmul(x), model(x)
    assert ours.shape == (16, 1, 21, 21)
    torch.testing.assert_close(ours, theirs, rtol=0, atol=2e-6)


@pytest.mark.gpu
def test_forward_matmul_on_cuda_matches_cpu():
    torch.manual_seed(4)
    model = SRCNN(SRCNNConfig(padding="valid")).double()
    x = torch.rand(8, 1, 33, 33, dtype=torch.float64)
    cpu = model.forward_matmul(x)
    cuda = model.to("cuda").forward_matmul(x.to("cuda")).cpu()
    torch.testing.assert_close(cuda, cpu, rtol=0, atol=1e-12)


@pytest.mark.gpu
def test_forward_matmul_under_cuda_autocast_stays_close():
    torch.manual_seed(5)
    model = SRCNN(SRCNNConfig(padding="valid")).to("cuda")
    x = torch.rand(8, 1, 33, 33, device="cuda")
    full = model.forward_matmul(x)
    with torch.autocast("cuda", dtype=torch.bfloat16):
        mixed = model.forward_matmul(x)
    mixed.float().sum().backward()  # the taps' backward under autocast
    torch.testing.assert_close(mixed.float(), full, rtol=0, atol=2e-2)
