"""The MATLAB imresize port against real MATLAB output, plus its own invariants.

Reference data: ``shared/datasets/matlab_reference`` (see its README.md for provenance):

* ``legacy_selfexsr``: 2013-era MATLAB, ``imresize(HR uint8, 1/s, 'bicubic')`` -> ``matlab-legacy``,
  bit for bit, every pair;
* ``r2017b_baboon``: MATLAB R2017b, double path, rounded at write -> ``matlab``, bit for bit;
* ``r2015b_lena``: MATLAB R2015b, uint8 path and double path (rounded at write), output 123x234
  (H=123, W=234) -> ``matlab``, bit for bit;
* ``r2019b_bicubic``: MATLAB R2019b, float64 unrounded -> ``matlab`` within 1e-10 (measured: the
  port is within 1e-13; MATLAB's own rounding of the last bit is not reproduced everywhere).

Images are read with Pillow (mode L or RGB) into numpy.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.io
from PIL import Image

from sr_audit.backends.matlab_port import KERNEL_WIDTHS, axis_weights, imresize, pass_order
from sr_audit.rounding import quantize
from sr_audit.conventions import ResizeSpec
from sr_audit.errors import ImageError, SpecError
from sr_audit.resize import conventions_of, resize

KERNELS = tuple(KERNEL_WIDTHS)


def read_image(path: Path) -> np.ndarray:
    """uint8 HxW (mode L) or HxWx3 (mode RGB) array of a PNG/BMP file."""
    with Image.open(path) as im:
        if im.mode not in ("L", "RGB"):
            raise AssertionError(f"{path}: unexpected mode {im.mode}")
        return np.asarray(im)


def to_uint8_at_write(x: np.ndarray) -> np.ndarray:
    """MATLAB's ``imwrite`` of a double image in [0, 1]: ``uint8(x * 255)``."""
    return quantize(x * 255, np.uint8)


# --------------------------------------------------------------------------- legacy (2013-era)

LEGACY_PAIRS = [
    (dataset, scale, index)
    for dataset, count in (("Set5", 5), ("Set14", 14))
    for scale in (2, 3, 4)
    for index in range(1, count + 1)
]


def _legacy_pair(root: Path, dataset: str, scale: int, index: int) -> tuple[np.ndarray, np.ndarray]:
    folder = root / "matlab_reference" / "legacy_selfexsr" / dataset / f"image_SRF_{scale}"
    stem = f"img_{index:03d}_SRF_{scale}"
    return read_image(folder / f"{stem}_HR.png"), read_image(folder / f"{stem}_LR.png")


def test_legacy_pairs_are_all_listed(shared_datasets: Path) -> None:
    found = sorted((shared_datasets / "matlab_reference" / "legacy_selfexsr").glob("*/image_SRF_*/*_HR.png"))
    assert len(found) == len(LEGACY_PAIRS) == 57


@pytest.mark.parametrize(("dataset", "scale", "index"), LEGACY_PAIRS, ids=lambda v: str(v))
def test_legacy_selfexsr_bit_exact(shared_datasets: Path, dataset: str, scale: int, index: int) -> None:
    hr, lr = _legacy_pair(shared_datasets, dataset, scale, index)
    out = resize(hr, "matlab-legacy", scale=f"1/{scale}")
    assert out.dtype == np.uint8 and out.shape == lr.shape
    np.testing.assert_array_equal(out, lr)


def test_legacy_needs_replicate_border_per_pass_rounding_and_height_first(shared_datasets: Path) -> None:
    hr, lr = _legacy_pair(shared_datasets, "Set5", 3, 3)
    assert (resize(hr, "matlab", scale="1/3") != lr).any(), "symmetric border should not reproduce legacy data"
    once = quantize(imresize(hr.astype(np.float64), scale=1 / 3, border="replicate"), np.uint8)
    assert (once != lr).any(), "rounding once at the end should not reproduce legacy data"
    # equal scales: MATLAB resamples the height first. Width first (a bicubic pass at scale 1 is
    # the identity, so two one-dimension resizes give that order) does not reproduce the data.
    width_only = imresize(hr, scale=(1.0, 1 / 3), border="replicate")
    width_first = imresize(width_only, scale=(1 / 3, 1.0), border="replicate")
    assert width_first.shape == lr.shape and (width_first != lr).any()
    height_only = imresize(hr, scale=(1 / 3, 1.0), border="replicate")
    np.testing.assert_array_equal(imresize(height_only, scale=(1.0, 1 / 3), border="replicate"), lr)


# --------------------------------------------------------------------------- R2017b baboon

BABOON = [("down_x2", "1/2"), ("down_x3", "1/3"), ("down_x4", "1/4"), ("up_x2", "2"), ("up_x3", "3")]


@pytest.fixture(scope="module")
def baboon(shared_datasets: Path) -> np.ndarray:
    return read_image(shared_datasets / "matlab_reference" / "r2017b_baboon" / "baboon.png") / 255.0


@pytest.mark.parametrize(("name", "scale"), BABOON)
def test_r2017b_baboon_bit_exact(shared_datasets: Path, baboon: np.ndarray, name: str, scale: str) -> None:
    ref = read_image(shared_datasets / "matlab_reference" / "r2017b_baboon" / f"baboon_{name}_matlab.png")
    out = to_uint8_at_write(resize(baboon, "matlab", scale=scale))
    assert out.shape == ref.shape
    np.testing.assert_array_equal(out, ref)


# --------------------------------------------------------------------------- R2015b lena

@pytest.fixture(scope="module")
def lena(shared_datasets: Path) -> np.ndarray:
    return read_image(shared_datasets / "matlab_reference" / "r2015b_lena" / "lena_512x512.png")


def test_r2015b_lena_uint8_path(shared_datasets: Path, lena: np.ndarray) -> None:
    ref = read_image(shared_datasets / "matlab_reference" / "r2015b_lena" / "lena_123x234_uint8.png")
    assert ref.shape == (123, 234, 3)
    out = resize(lena, "matlab", size=(123, 234))
    np.testing.assert_array_equal(out, ref)
    # the fixture tells the two generations apart
    assert (resize(lena, "matlab-legacy", size=(123, 234)) != ref).any()


def test_r2015b_lena_double_path(shared_datasets: Path, lena: np.ndarray) -> None:
    ref = read_image(shared_datasets / "matlab_reference" / "r2015b_lena" / "lena_123x234_double.png")
    out = to_uint8_at_write(resize(lena / 255.0, "matlab", size=(123, 234)))
    np.testing.assert_array_equal(out, ref)


# --------------------------------------------------------------------------- R2019b float64

def _ramp(n: int) -> np.ndarray:
    return np.arange(n * n, dtype=np.float64).reshape(n, n)  # filled row by row


def _corners(top_left: bool) -> np.ndarray:
    x = np.zeros((4, 4))
    if top_left:
        x[0, 0], x[1, 0], x[0, 1], x[0, 3] = 100, 10, 1, 100
    else:
        x[3, 3], x[2, 3], x[3, 2], x[3, 0] = 100, 10, 1, 100
    return x


#: file stem without _aa/_noaa -> (input builder, output size), from the fixture's MANIFEST.md
R2019B_INPUTS = {
    "down_down_small": (lambda root: _ramp(4), (3, 3)),
    "down_down": (lambda root: _ramp(8), (3, 4)),
    "down_down_irregular": (lambda root: _ramp(8), (5, 7)),
    "up_up_topleft": (lambda root: _corners(True), (5, 5)),
    "up_up_bottomright": (lambda root: _corners(False), (5, 5)),
    "up_up_irregular": (lambda root: _ramp(8), (11, 13)),
    "down_down_butterfly_irregular": (lambda root: read_image(root / "butterfly.png") / 255.0, (123, 234)),
    "down_down_x2": (lambda root: _ramp(8), (4, 4)),
    "down_down_x4": (lambda root: _ramp(8), (2, 2)),
    "down_down_x3": (lambda root: _ramp(15), (5, 5)),
    "down_down_x5": (lambda root: _ramp(15), (3, 3)),
}
R2019B_FILES = [
    "down_down_small_noaa", "down_down_small_aa", "down_down_noaa", "down_down_aa",
    "down_down_irregular_noaa", "down_down_irregular_aa", "up_up_topleft_noaa", "up_up_bottomright_noaa",
    "up_up_irregular_noaa", "up_up_irregular_aa", "down_down_butterfly_irregular_noaa",
    "down_down_butterfly_irregular_aa", "down_down_x2_aa", "down_down_x4_aa", "down_down_x3_aa", "down_down_x5_aa",
]


def test_r2019b_files_are_all_listed(shared_datasets: Path) -> None:
    found = {p.stem for p in (shared_datasets / "matlab_reference" / "r2019b_bicubic").glob("*.mat")}
    assert found == set(R2019B_FILES)


@pytest.mark.parametrize("name", R2019B_FILES)
def test_r2019b_float64(shared_datasets: Path, name: str) -> None:
    root = shared_datasets / "matlab_reference" / "r2019b_bicubic"
    ref = scipy.io.loadmat(root / f"{name}.mat")[name]
    stem, aa = name.rsplit("_", 1)
    build, size = R2019B_INPUTS[stem]
    spec = "matlab:bicubic+aa" if aa == "aa" else "matlab:bicubic-aa"
    out = resize(build(root), spec, size=size)
    assert out.shape == ref.shape and out.dtype == np.float64
    np.testing.assert_allclose(out, ref, rtol=0, atol=1e-10)


# --------------------------------------------------------------------------- invariants

@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("border", ["symmetric", "replicate"])
@pytest.mark.parametrize("size", [(5, 9), (31, 17), (64, 64)])
def test_constant_image_stays_constant(kernel: str, border: str, size: tuple[int, int]) -> None:
    img = np.full((23, 40, 3), 0.37)
    out = imresize(img, size=size, kernel=kernel, border=border)
    np.testing.assert_allclose(out, 0.37, rtol=0, atol=1e-12)
    u8 = imresize(np.full((23, 40), 201, np.uint8), size=size, kernel=kernel, border=border)
    assert (u8 == 201).all()


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("antialias", [True, False])
@pytest.mark.parametrize(("n_in", "n_out", "scale"), [(10, 4, 0.4), (17, 6, 1 / 3), (7, 19, 19 / 7), (9, 27, 3.0)])
def test_weights_sum_to_one_and_indices_in_range(
    kernel: str, antialias: bool, n_in: int, n_out: int, scale: float
) -> None:
    for border in ("symmetric", "replicate"):
        aw = axis_weights(n_in, n_out, scale, kernel, antialias, border)
        assert aw.weights.shape == aw.indices.shape and aw.weights.shape[0] == n_out
        assert np.isfinite(aw.weights).all()
        np.testing.assert_allclose(aw.weights.sum(axis=1), 1.0, rtol=0, atol=1e-12)
        assert aw.indices.min() >= 0 and aw.indices.max() < n_in
        assert not aw.weights.flags.writeable


def test_antialias_widens_the_kernel_only_when_shrinking() -> None:
    down_aa = axis_weights(30, 10, 1 / 3, "bicubic", True, "symmetric")
    down = axis_weights(30, 10, 1 / 3, "bicubic", False, "symmetric")
    assert down_aa.weights.shape[1] == 14 and down.weights.shape[1] == 6
    up_aa = axis_weights(10, 30, 3.0, "bicubic", True, "symmetric")
    up = axis_weights(10, 30, 3.0, "bicubic", False, "symmetric")
    np.testing.assert_array_equal(up_aa.weights, up.weights)


def test_borders_differ_exactly_at_the_edge() -> None:
    sym = axis_weights(8, 16, 2.0, "bicubic", False, "symmetric").indices
    rep = axis_weights(8, 16, 2.0, "bicubic", False, "replicate").indices
    # output pixel 1 (1-based) maps to u = 0.75: taps -2..3 (1-based) -> mirrored vs clamped
    assert sym[0].tolist() == [2, 1, 0, 0, 1, 2] and rep[0].tolist() == [0, 0, 0, 0, 1, 2]
    np.testing.assert_array_equal(sym[4:12], rep[4:12])


def test_lanczos_has_no_nan_at_integer_offsets() -> None:
    img = np.random.default_rng(0).random((12, 12))
    for kernel in ("lanczos2", "lanczos3"):
        out = imresize(img, scale=2.0, kernel=kernel)
        assert np.isfinite(out).all()
        # at scale 1 every tap sits at an integer offset: the identity
        np.testing.assert_allclose(imresize(img, scale=1.0, kernel=kernel), img, rtol=0, atol=1e-12)


def test_shapes_by_scale_and_by_size() -> None:
    img = np.zeros((10, 7, 3))
    assert imresize(img, scale=1 / 3).shape == (4, 3, 3)  # ceil(10/3), ceil(7/3)
    assert imresize(img, scale=2.5).shape == (25, 18, 3)  # ceil(17.5)
    assert imresize(img, scale=(0.5, 2.0)).shape == (5, 14, 3)
    assert imresize(img, size=(3, 11)).shape == (3, 11, 3)
    assert imresize(img[:, :, 0], size=(3, 11)).shape == (3, 11)
    assert resize(img, "matlab", scale="1/3").shape == (4, 3, 3)


def test_scale_given_drives_the_mapping() -> None:
    # 10 * 0.34 -> ceil = 4 outputs, but the mapping uses 0.34, not 4/10
    img = np.random.default_rng(1).random((10, 10))
    by_scale = imresize(img, scale=0.34)
    by_size = imresize(img, size=(4, 4))
    assert by_scale.shape == by_size.shape and not np.allclose(by_scale, by_size)


@pytest.mark.parametrize("dtype", ["uint8", "uint16", "float32", "float64"])
def test_output_dtype_is_input_dtype(dtype: str) -> None:
    img = (np.random.default_rng(2).random((9, 13, 3)) * 200).astype(dtype)
    out = imresize(img, scale=0.5)
    assert out.dtype == img.dtype and out.shape == (5, 7, 3)


def test_float32_is_computed_in_float64() -> None:
    img = np.random.default_rng(3).random((16, 16)).astype(np.float32)
    expected = imresize(img.astype(np.float64), scale=1 / 3).astype(np.float32)
    np.testing.assert_array_equal(imresize(img, scale=1 / 3), expected)


def test_uint16_follows_the_integer_rule() -> None:
    img = (np.random.default_rng(4).random((20, 20)) * 255).astype(np.uint8)
    # the tent kernel never overshoots, so uint16 of 8-bit values gives the uint8 result
    np.testing.assert_array_equal(
        imresize(img.astype(np.uint16), scale=0.3, kernel="triangle"), imresize(img, scale=0.3, kernel="triangle")
    )
    # bicubic overshoots 255 near a step; uint16 keeps what uint8 saturates
    step = np.zeros((8, 8), np.uint16)
    step[:, 4:] = 255
    assert imresize(step, scale=2.0).max() > 255
    assert imresize(step.astype(np.uint8), scale=2.0).max() == 255


def test_quantize_is_matlab_cast() -> None:
    x = np.array([-3.0, -0.7, 0.49999999999999994, 0.5, 1.5, 2.5, 254.5, 255.4, 300.0])
    np.testing.assert_array_equal(quantize(x, np.uint8), [0, 0, 0, 1, 2, 3, 255, 255, 255])


def test_pass_order_smaller_scale_first_height_on_tie() -> None:
    assert pass_order(0.5, 0.5) == (0, 1)
    assert pass_order(0.25, 0.5) == (0, 1)
    assert pass_order(2.0, 0.5) == (1, 0)


def test_pass_order_matters_on_integer_path() -> None:
    img = (np.random.default_rng(5).random((30, 30)) * 255).astype(np.uint8)
    h_first = imresize(imresize(img, size=(12, 30)), size=(12, 12))  # height pass, then width pass
    w_first = imresize(imresize(img, size=(30, 12)), size=(12, 12))
    assert (w_first != h_first).any()
    np.testing.assert_array_equal(imresize(img, size=(12, 12)), h_first)


def test_nearest_picks_input_pixels() -> None:
    img = np.arange(36, dtype=np.float64).reshape(6, 6)
    out = imresize(img, scale=2.0, kernel="nearest")
    np.testing.assert_array_equal(out, np.repeat(np.repeat(img, 2, axis=0), 2, axis=1))
    # u = 2x - 0.5 (1-based) lands on 1.5, 3.5, ...; the box [-0.5, 0.5) keeps pixels 2, 4, ...
    np.testing.assert_array_equal(imresize(img, scale=0.5, kernel="nearest"), img[1::2, 1::2])


def test_errors_name_the_problem() -> None:
    img = np.zeros((4, 4))
    with pytest.raises(SpecError, match="kernel 'hamming'"):
        imresize(img, scale=2.0, kernel="hamming")
    with pytest.raises(SpecError, match="border 'reflect'"):
        imresize(img, scale=2.0, border="reflect")
    with pytest.raises(SpecError, match="exactly one of scale and size"):
        imresize(img, scale=2.0, size=(3, 3))
    # scale and size are checked as sr_audit.resize.resize checks them (sr_audit.sizes)
    with pytest.raises(SpecError, match="scale must be a positive finite number such as 3, 0.5 or 1/3, got -1.0"):
        imresize(img, scale=-1.0)
    with pytest.raises(SpecError, match="size must be a pair of positive integers"):
        imresize(img, size=(3, 0))
    assert imresize(img, scale="1/2").shape == imresize(img, scale=[0.5, 0.5]).shape == (2, 2)
    with pytest.raises(ImageError, match="dtype int32"):
        imresize(img.astype(np.int32), scale=2.0)
    with pytest.raises(ImageError, match="HxW"):
        imresize(np.zeros(4), scale=2.0)


def test_backend_specs_and_conventions() -> None:
    conv = conventions_of("matlab")
    assert (conv.kernel, conv.cubic_a, conv.antialias, conv.border) == ("bicubic", -0.5, True, "symmetric")
    assert (conv.size_rule, conv.scale_source, conv.rounding) == ("ceil", "given", "half-away-from-zero")
    assert conventions_of("matlab-legacy").border == "replicate"
    assert conventions_of("matlab:bicubic-aa").antialias is False
    assert conventions_of("matlab:nearest").antialias is False
    with pytest.raises(SpecError, match="never antialiases"):
        conventions_of("matlab:nearest+aa")
    img = np.random.default_rng(6).random((15, 15, 3))
    np.testing.assert_array_equal(
        resize(img, ResizeSpec.parse("matlab:lanczos3-aa"), scale="1/3"),
        imresize(img, scale=1 / 3, kernel="lanczos3", antialias=False),
    )
