"""The torch MATLAB imresize port against the numpy port (itself checked against MATLAB).

float64 and uint8 must be equal bit for bit; float32 within 1e-5 on data in [0, 1] (relative
1e-6 on data in [0, 255]). The ``gpu`` test repeats the comparison on CUDA and skips without it.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

from sr_audit.backends.matlab_port import KERNEL_WIDTHS, imresize
from sr_audit.backends.matlab_torch import imresize_torch
from sr_audit.errors import ImageError, SpecError

KERNELS = tuple(KERNEL_WIDTHS)

#: (input H, W) and resize arguments: down, up, irregular sizes, a scale whose ceil differs from out/in
CASES = [
    ((23, 37), {"scale": 1 / 3}),
    ((17, 11), {"scale": 2.5}),
    ((20, 20), {"size": (9, 31)}),
    ((9, 14), {"size": (13, 5)}),
    ((10, 10), {"scale": 0.34}),
]


def numpy_reference(x: np.ndarray, **kwargs: object) -> np.ndarray:
    """The numpy port applied to each image of an (N, C, H, W) array."""
    return np.stack([imresize(img.transpose(1, 2, 0), **kwargs).transpose(2, 0, 1) for img in x])


def random_batch(shape: tuple[int, int], seed: int, n: int = 2, c: int = 3) -> np.ndarray:
    return np.random.default_rng(seed).random((n, c) + shape)


def compare_on(device: str, kernel: str, border: str, in_shape: tuple[int, int], kwargs: dict) -> None:
    kwargs = dict(kwargs, kernel=kernel, border=border)
    x = random_batch(in_shape, seed=11)
    ref = numpy_reference(x, **kwargs)

    out64 = imresize_torch(torch.from_numpy(x).to(device), **kwargs)
    assert out64.dtype == torch.float64 and out64.device.type == device
    np.testing.assert_array_equal(out64.cpu().numpy(), ref)

    out32 = imresize_torch(torch.from_numpy(x).to(device, torch.float32), **kwargs)
    assert out32.dtype == torch.float32
    np.testing.assert_allclose(out32.cpu().numpy(), ref, rtol=0, atol=1e-5)

    u8 = (x * 255).round().astype(np.uint8)
    out8 = imresize_torch(torch.from_numpy(u8).to(device), **kwargs)
    assert out8.dtype == torch.uint8
    np.testing.assert_array_equal(out8.cpu().numpy(), numpy_reference(u8, **kwargs))


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("border", ["symmetric", "replicate"])
@pytest.mark.parametrize(("in_shape", "kwargs"), CASES, ids=[f"{s[0]}x{s[1]}-{k}" for s, k in CASES])
def test_torch_matches_numpy(kernel: str, border: str, in_shape: tuple[int, int], kwargs: dict) -> None:
    compare_on("cpu", kernel, border, in_shape, kwargs)


@pytest.mark.parametrize("kernel", ["bicubic", "lanczos3", "box"])
def test_antialias_off_matches_numpy(kernel: str) -> None:
    x = random_batch((24, 19), seed=7)
    ref = numpy_reference(x, scale=0.4, kernel=kernel, antialias=False)
    out = imresize_torch(torch.from_numpy(x), scale=0.4, kernel=kernel, antialias=False)
    np.testing.assert_array_equal(out.numpy(), ref)
    assert not np.allclose(ref, numpy_reference(x, scale=0.4, kernel=kernel, antialias=True))


def test_float_in_any_range() -> None:
    x = random_batch((16, 21), seed=3) * 255.0 - 40.0  # negative values too: no clipping
    ref = numpy_reference(x, scale=1 / 3)
    np.testing.assert_array_equal(imresize_torch(torch.from_numpy(x), scale=1 / 3).numpy(), ref)
    out32 = imresize_torch(torch.from_numpy(x).float(), scale=1 / 3).numpy()
    np.testing.assert_allclose(out32, ref, rtol=1e-6, atol=1e-4)


def test_batched_equals_single() -> None:
    x = torch.from_numpy(random_batch((19, 26), seed=5, n=4)).float()
    batched = imresize_torch(x, size=(8, 40))
    for i in range(4):
        torch.testing.assert_close(batched[i : i + 1], imresize_torch(x[i : i + 1], size=(8, 40)), rtol=0, atol=0)


def test_shapes_2d_3d_4d() -> None:
    x = torch.rand(2, 3, 10, 7)
    assert imresize_torch(x, scale=1 / 3).shape == (2, 3, 4, 3)
    assert imresize_torch(x[0], scale=2.5).shape == (3, 25, 18)
    assert imresize_torch(x[0, 0], size=(3, 11)).shape == (3, 11)
    assert imresize_torch(x, scale=(0.5, 2.0)).shape == (2, 3, 5, 14)
    one_channel = imresize_torch(x[:, :1], scale=0.5)
    torch.testing.assert_close(one_channel, imresize_torch(x, scale=0.5)[:, :1], rtol=0, atol=0)


def test_non_contiguous_input() -> None:
    x = torch.rand(2, 9, 13, 3).permute(0, 3, 1, 2)  # channels-last storage
    torch.testing.assert_close(imresize_torch(x, scale=0.5), imresize_torch(x.contiguous(), scale=0.5), rtol=0, atol=0)


def test_differentiable_for_float_input() -> None:
    x = torch.rand(1, 2, 7, 6, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: imresize_torch(t, scale=0.5), (x,))
    with torch.no_grad():
        expected = imresize_torch(x, size=(4, 9))
    torch.testing.assert_close(imresize_torch(x, size=(4, 9)), expected, rtol=0, atol=0)


def test_errors_name_the_problem() -> None:
    with pytest.raises(ImageError, match="dtype torch.int32"):
        imresize_torch(torch.zeros(1, 1, 4, 4, dtype=torch.int32), scale=2.0)
    with pytest.raises(ImageError, match=r"\(N, C, H, W\)"):
        imresize_torch(torch.zeros(4), scale=2.0)
    with pytest.raises(SpecError, match="kernel 'gaussian'"):
        imresize_torch(torch.zeros(1, 1, 4, 4), scale=2.0, kernel="gaussian")
    with pytest.raises(SpecError, match="exactly one of scale and size"):
        imresize_torch(torch.zeros(1, 1, 4, 4))


@pytest.mark.gpu
@pytest.mark.parametrize("kernel", KERNELS)
def test_cuda_matches_numpy(kernel: str) -> None:
    for border in ("symmetric", "replicate"):
        for in_shape, kwargs in CASES:
            compare_on("cuda", kernel, border, in_shape, kwargs)
