"""Every protocol preset against the real implementation it reproduces, on the same images.

BasicSR 1.4.2 and pyiqa 0.1.16 are installed without their dependencies (``make install``): their
package ``__init__`` imports torchvision (no CPU wheel here) and much more, so only the metric
modules are loaded, under stub parent packages (:func:`_load_modules`); those modules import only
torch, numpy, scipy (pyiqa) and cv2, torch, numpy (BasicSR), all sr-audit dependencies.
torchmetrics 1.9.0 is a test extra. MATLAB cannot run here: ``matlab`` is pinned by ``tests/test_conformance.py`` (the
SRCNN paper's table) and ``ntire`` by a transcription of the NTIRE 2017 scripts' formulas.
Tolerances are the agreements stated in :data:`sr_audit.protocol.REFERENCES`.
"""
from __future__ import annotations

import importlib
import importlib.util
import json
import math
import sys
import types
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from sr_audit.metrics import capped_psnr, score_image, y_of_rgb
from sr_audit.protocol import PROTOCOLS, REFERENCES, reference_of

SCALES = (2, 3, 4)

#: ``json.dumps(Protocol.as_dict())`` of the presets hashed into existing matrix stores (before new fields).
PINNED_AS_DICT = {
    "matlab": '{"name": "matlab", "spaces": ["y", "rgb"], "y_definition": "matlab", "y_rounding": "half-away-from-zero", '
    '"y_precision": "float64", "output_rounding": "half-away-from-zero", "shave": null, "grayscale": "as-y", "peak": 255.0, '
    '"ssim": {"gaussian_weights": true, "sigma": 1.5, "use_sample_covariance": false, "data_range": 255.0, "k1": 0.01, '
    '"k2": 0.03}, "notes": "SRCNN authors\' demo_SR.m / compute_psnr.m (Dong et al. 2014, 2016)", "y_model_rgb": "a Y-only '
    "model's RGB output = its Y with the Cb/Cr of the degraded input (the same down/up resize applied to the MATLAB "
    'rgb2ycbcr of the ground truth), through MATLAB ycbcr2rgb, then quantised like any output"}',
    "basicsr": '{"name": "basicsr", "spaces": ["y", "rgb"], "y_definition": "matlab", "y_rounding": "none", "y_precision": '
    '"float32", "output_rounding": "half-to-even", "shave": null, "grayscale": "as-rgb", "peak": 255.0, "ssim": '
    '{"gaussian_weights": true, "sigma": 1.5, "use_sample_covariance": false, "data_range": 255.0, "k1": 0.01, "k2": 0.03}, '
    '"notes": "BasicSR calculate_psnr/calculate_ssim, test_y_channel=True, crop_border=scale, tensor2img rounding", '
    '"y_model_rgb": "a Y-only model\'s RGB output = its Y with the Cb/Cr of the degraded input (the same down/up resize '
    'applied to the MATLAB rgb2ycbcr of the ground truth), through MATLAB ycbcr2rgb, then quantised like any output"}',
}


def _sr_like(image: np.ndarray, scale: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(HR modcropped, SR-like uint8 output): Pillow bicubic down and up, plus a little noise."""
    h, w = image.shape[:2]
    hr = np.ascontiguousarray(image[: h - h % scale, : w - w % scale])
    im = Image.fromarray(hr)
    lr = im.resize((hr.shape[1] // scale, hr.shape[0] // scale), Image.BICUBIC)
    up = np.asarray(lr.resize((hr.shape[1], hr.shape[0]), Image.BICUBIC)).astype(np.float64)
    noisy = up + np.random.default_rng(seed).normal(0, 1.5, up.shape)
    return hr, np.clip(np.round(noisy), 0, 255).astype(np.uint8)


def _images() -> list[tuple[str, np.ndarray]]:
    from skimage import data

    return [
        ("astronaut", data.astronaut()[40:190, 100:262]),
        ("chelsea", data.chelsea()[:131, 60:230]),
        ("coffee", data.coffee()[120:250, 200:377]),
    ]


CASES = [(name, s) for name, _ in _images() for s in SCALES]


@pytest.fixture(scope="module")
def pairs() -> dict[tuple[str, int], tuple[np.ndarray, np.ndarray]]:
    return {(name, s): _sr_like(img, s, seed=s) for name, img in _images() for s in SCALES}


@pytest.fixture(scope="module")
def all_colours() -> np.ndarray:
    """Every 8-bit RGB colour once, as a 4096x4096x3 image (Y is pointwise, so this checks every input)."""
    v = np.arange(256, dtype=np.uint8)
    return np.stack(np.meshgrid(v, v, v, indexing="ij"), axis=-1).reshape(4096, 4096, 3)


def _load_modules(package: str, modules: list[str], exports: dict[str, tuple[str, str]] | None = None) -> Iterator[dict]:
    """Import ``modules`` of an installed ``package`` without running its ``__init__`` files.

    Each parent package is a stub module whose ``__path__`` is the real folder, so the submodules
    and their relative imports load from the installed files. ``exports`` sets stub attributes
    (``{"basicsr.utils": ("bgr2ycbcr", "basicsr.utils.color_util")}``) that a module imports from
    its parent. ``sys.modules`` is restored afterwards.
    """
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        pytest.skip(f"{package} is not installed (make install adds it with pip --no-deps)")
    root = Path(next(iter(spec.submodule_search_locations)))
    saved = {k: v for k, v in sys.modules.items() if k == package or k.startswith(package + ".")}
    for k in saved:
        del sys.modules[k]
    parents = {package} | {m.rsplit(".", 1)[0] for m in modules}
    try:
        for name in sorted(parents):
            stub = types.ModuleType(name)
            stub.__path__ = [str(root.joinpath(*name.split(".")[1:]))]
            sys.modules[name] = stub
        loaded: dict[str, types.ModuleType] = {}
        for m in modules:
            for parent, (attr, source) in (exports or {}).items():
                if source in loaded:
                    setattr(sys.modules[parent], attr, getattr(loaded[source], attr))
            try:
                loaded[m] = importlib.import_module(m)
            except ImportError as exc:
                pytest.skip(f"cannot load {m} without {package}'s __init__: {exc}")
        yield loaded
    finally:
        for k in [k for k in sys.modules if k == package or k.startswith(package + ".")]:
            del sys.modules[k]
        sys.modules.update(saved)


@pytest.fixture(scope="module")
def basicsr():
    yield from _load_modules(
        "basicsr",
        ["basicsr.utils.color_util", "basicsr.metrics.metric_util", "basicsr.metrics.psnr_ssim"],
        exports={"basicsr.utils": ("bgr2ycbcr", "basicsr.utils.color_util")},
    )


@pytest.fixture(scope="module")
def pyiqa():
    yield from _load_modules(
        "pyiqa",
        ["pyiqa.default_model_configs", "pyiqa.utils.color_util", "pyiqa.archs.psnr_arch", "pyiqa.archs.ssim_arch"],
    )


def _pyiqa_metric(pyiqa, name: str):
    """The module ``pyiqa.create_metric(name)`` builds: its arch class with the options of DEFAULT_CONFIGS."""
    opts = dict(pyiqa["pyiqa.default_model_configs"].DEFAULT_CONFIGS[name]["metric_opts"])
    arch = {"PSNR": pyiqa["pyiqa.archs.psnr_arch"].PSNR, "SSIM": pyiqa["pyiqa.archs.ssim_arch"].SSIM}[opts.pop("type")]
    return arch(**opts)


def _tensor(image: np.ndarray, dtype):
    """NCHW tensor in [0, 1] of an 8-bit image, divided in ``dtype`` as pyiqa's loader (ToTensor) divides."""
    import torch

    x = image[None] if image.ndim == 2 else image.transpose(2, 0, 1)
    return torch.from_numpy(np.ascontiguousarray(x)[None]).to(dtype).div(255)


def test_every_preset_has_a_reference_and_is_pinned_here():
    assert set(REFERENCES) == set(PROTOCOLS)
    for name, protocol in PROTOCOLS.items():
        ref = reference_of(protocol)
        assert ref is not None and ref.version and ref.agreement
        assert f"test_{name}_" in " ".join(globals()), f"no test pins the {name} preset"


@pytest.mark.parametrize("name", sorted(PINNED_AS_DICT))
def test_store_keyed_presets_keep_their_dict(name):
    assert json.dumps(PROTOCOLS[name].as_dict()) == PINNED_AS_DICT[name]


# ---- basicsr ---------------------------------------------------------------------------------

def test_basicsr_y_equals_to_y_channel_for_every_colour(basicsr, all_colours):
    ref = basicsr["basicsr.metrics.metric_util"].to_y_channel(all_colours[..., ::-1])[..., 0]
    np.testing.assert_array_equal(y_of_rgb(all_colours, PROTOCOLS["basicsr"]), ref.astype(np.float64))


@pytest.mark.parametrize("name, scale", CASES)
def test_basicsr_preset_equals_calculate_psnr_ssim(basicsr, pairs, name, scale):
    m = basicsr["basicsr.metrics.psnr_ssim"]
    hr, sr = pairs[name, scale]
    ours = score_image(hr, sr / 255.0, PROTOCOLS["basicsr"], scale)
    bgr_sr, bgr_hr = sr[..., ::-1], hr[..., ::-1]  # BasicSR reads with OpenCV
    assert ours.psnr_y == pytest.approx(m.calculate_psnr(bgr_sr, bgr_hr, scale, test_y_channel=True), abs=1e-10)
    assert ours.ssim_y == pytest.approx(m.calculate_ssim(bgr_sr, bgr_hr, scale, test_y_channel=True), abs=1e-10)
    assert ours.psnr_rgb == pytest.approx(m.calculate_psnr(bgr_sr, bgr_hr, scale), abs=1e-10)
    assert ours.ssim_rgb == pytest.approx(m.calculate_ssim(bgr_sr, bgr_hr, scale), abs=1e-10)


def test_basicsr_preset_on_grayscale_and_identical_images(basicsr, pairs):
    m = basicsr["basicsr.metrics.psnr_ssim"]
    hr, sr = (a[..., 1] for a in pairs["chelsea", 3])
    ours = score_image(hr, sr / 255.0, PROTOCOLS["basicsr"], 3)
    three = lambda a: np.repeat(a[..., None], 3, axis=2)
    assert ours.psnr_y == pytest.approx(m.calculate_psnr(three(sr), three(hr), 3, test_y_channel=True), abs=1e-10)
    assert ours.ssim_y == pytest.approx(m.calculate_ssim(three(sr), three(hr), 3, test_y_channel=True), abs=1e-10)
    assert m.calculate_psnr(hr, hr, 3) == math.inf == score_image(hr, hr / 255.0, PROTOCOLS["basicsr"], 3).psnr_y


def _rcan_y(image: np.ndarray) -> np.ndarray:
    """RCAN's Evaluate_PSNR_SSIM.m Y: single(rgb2ycbcr(im2double(im))) * 255, the Y computed in double."""
    x = image.astype(np.float64) / 255
    y = 16 / 255 + (65.481 * x[..., 0] + 128.553 * x[..., 1] + 24.966 * x[..., 2]) / 255
    return (y.astype(np.float32) * np.float32(255)).astype(np.float64)


@pytest.mark.parametrize("name, scale", CASES)
def test_basicsr_preset_matches_a_transcription_of_rcans_evaluate_script(pairs, name, scale):
    """Cal_Y_PSNRSSIM: shave = scale, PSNR 10 log10(255^2 / MSE), Wang's ssim_index; only Y's float32 rounding differs."""
    hr, sr = pairs[name, scale]
    a, b = (_rcan_y(im)[scale:-scale, scale:-scale] for im in (hr, sr))
    ours = score_image(hr, sr / 255.0, PROTOCOLS["basicsr"], scale)
    assert ours.psnr_y == pytest.approx(10 * math.log10(255**2 / np.mean((a - b) ** 2)), abs=1e-6)
    assert ours.ssim_y == pytest.approx(_ssim_index(a, b), abs=1e-7)


# ---- pyiqa -----------------------------------------------------------------------------------

def test_pyiqa_y_equals_to_y_channel_for_every_colour(pyiqa, all_colours):
    import torch

    ref = pyiqa["pyiqa.utils.color_util"].to_y_channel(_tensor(all_colours, torch.float32), 255, "yiq")
    np.testing.assert_array_equal(y_of_rgb(all_colours, PROTOCOLS["pyiqa"]), ref[0, 0].double().round().numpy())


@pytest.mark.parametrize("name, scale", CASES)
def test_pyiqa_preset_equals_default_psnr_and_ssim(pyiqa, pairs, name, scale):
    import torch

    hr, sr = pairs[name, scale]
    ours = score_image(hr, sr / 255.0, PROTOCOLS["pyiqa"], scale)
    assert ours.psnr_y is None and ours.ssim_rgb is None  # its defaults: psnr on RGB, ssim on Y
    psnr, ssim = _pyiqa_metric(pyiqa, "psnr"), _pyiqa_metric(pyiqa, "ssim")
    # float64 tensors: the same arithmetic in double
    assert ours.psnr_rgb == pytest.approx(psnr(_tensor(sr, torch.float64), _tensor(hr, torch.float64)).item(), abs=1e-9)
    # float32 tensors, as its image loader gives: PSNR to its float32 rounding (a float32 result has a 2-4e-6 dB
    # step at 30-60 dB), SSIM (Y from float32, reproduced exactly) to 5e-7: its Gaussian window is float32
    assert ours.psnr_rgb == pytest.approx(psnr(_tensor(sr, torch.float32), _tensor(hr, torch.float32)).item(), abs=5e-6)
    assert ours.ssim_y == pytest.approx(ssim(_tensor(sr, torch.float32), _tensor(hr, torch.float32)).item(), abs=5e-7)


def test_pyiqa_prints_80_db_for_identical_images_where_the_preset_says_inf(pyiqa, pairs):
    import torch

    hr, _ = pairs["coffee", 2]
    printed = _pyiqa_metric(pyiqa, "psnr")(_tensor(hr, torch.float64), _tensor(hr, torch.float64)).item()
    assert printed == pytest.approx(80.0) == pytest.approx(capped_psnr(PROTOCOLS["pyiqa"]))
    assert score_image(hr, hr / 255.0, PROTOCOLS["pyiqa"], 2).psnr_rgb == math.inf


# ---- torchmetrics ----------------------------------------------------------------------------

def _torchmetrics():
    return pytest.importorskip("torchmetrics.functional.image", reason="torchmetrics is a test extra (pip install -e '.[test]')")


def _torchmetrics_log_factor() -> float:
    """torchmetrics' PSNR / the exact one: it multiplies ln-ratio by 10 / ln(10) with ln(10) in float32."""
    import torch

    return float(10 / torch.log(torch.tensor(10.0))) / (10 / math.log(10))


@pytest.mark.parametrize("name, scale", CASES)
def test_torchmetrics_preset_equals_psnr_and_ssim(pairs, name, scale):
    import torch

    tm = _torchmetrics()
    hr, sr = pairs[name, scale]
    ours = score_image(hr, sr / 255.0, PROTOCOLS["torchmetrics"], scale)
    assert ours.psnr_y is None and ours.ssim_y is None
    a64, b64 = _tensor(sr, torch.float64), _tensor(hr, torch.float64)
    tm_psnr = tm.peak_signal_noise_ratio(a64, b64, data_range=1.0).item()
    # the whole difference is its float32 constant 10 / ln 10: 1.4e-6 dB at 30 dB
    assert ours.psnr_rgb * _torchmetrics_log_factor() == pytest.approx(tm_psnr, abs=1e-9)
    assert abs(ours.psnr_rgb - tm_psnr) < 2.5e-6
    assert ours.ssim_rgb == pytest.approx(tm.structural_similarity_index_measure(a64, b64, data_range=1.0).item(), abs=1e-10)
    a32, b32 = _tensor(sr, torch.float32), _tensor(hr, torch.float32)
    # float32 tensors: float32 sums and a float32 result (PSNR), float32 variances (SSIM)
    assert ours.psnr_rgb == pytest.approx(tm.peak_signal_noise_ratio(a32, b32, data_range=1.0).item(), abs=5e-6)
    assert ours.ssim_rgb == pytest.approx(tm.structural_similarity_index_measure(a32, b32, data_range=1.0).item(), abs=2e-5)


def test_torchmetrics_log_factor_is_a_float32_rounding():
    assert 0 < abs(_torchmetrics_log_factor() - 1) < 1e-7


def test_torchmetrics_gives_inf_for_identical_images(pairs):
    import torch

    tm = _torchmetrics()
    hr, _ = pairs["astronaut", 4]
    assert tm.peak_signal_noise_ratio(_tensor(hr, torch.float64), _tensor(hr, torch.float64), data_range=1.0).item() == math.inf
    assert score_image(hr, hr / 255.0, PROTOCOLS["torchmetrics"], 4).psnr_rgb == math.inf
    assert capped_psnr(PROTOCOLS["torchmetrics"]) is None


# ---- ntire -----------------------------------------------------------------------------------

def _ntire_psnr(hr: np.ndarray, sr: np.ndarray, scale: int) -> float:
    """NTIRE_PeakSNR_imgs.m: drop 6 + scale border pixels, im2double, 10 log10(N / sum(E(:).^2))."""
    b = 6 + scale
    e = hr[b:-b, b:-b].astype(np.float64) / 255 - sr[b:-b, b:-b].astype(np.float64) / 255
    return 10 * math.log10(e.size / np.sum(e**2))


def _ssim_index(a: np.ndarray, b: np.ndarray) -> float:
    """Wang's ssim_index.m with its defaults: 11x11 Gaussian (sigma 1.5), filter2 'valid', L = 255."""
    from scipy.signal import correlate2d

    t = np.arange(-5, 6)
    g = np.exp(-(t[:, None] ** 2 + t[None, :] ** 2) / (2 * 1.5**2))
    w = g / g.sum()
    f = lambda x: correlate2d(x, w, mode="valid")
    a, b = a.astype(np.float64), b.astype(np.float64)
    mu_a, mu_b = f(a), f(b)
    s_a, s_b, s_ab = f(a * a) - mu_a**2, f(b * b) - mu_b**2, f(a * b) - mu_a * mu_b
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    return float(np.mean((2 * mu_a * mu_b + c1) * (2 * s_ab + c2) / ((mu_a**2 + mu_b**2 + c1) * (s_a + s_b + c2))))


@pytest.mark.parametrize("name, scale", CASES)
def test_ntire_preset_equals_the_challenge_formulas(pairs, name, scale):
    hr, sr = pairs[name, scale]
    ours = score_image(hr, sr / 255.0, PROTOCOLS["ntire"], scale)
    assert PROTOCOLS["ntire"].shave_for(scale) == 6 + scale
    assert ours.psnr_rgb == pytest.approx(_ntire_psnr(hr, sr, scale), abs=1e-9)
    b = 6 + scale
    expected = np.mean([_ssim_index(hr[b:-b, b:-b, c], sr[b:-b, b:-b, c]) for c in range(3)])
    assert ours.ssim_rgb == pytest.approx(expected, abs=1e-9)


# ---- matlab ----------------------------------------------------------------------------------

def test_matlab_preset_is_the_srcnn_demo_formula(pairs):
    """compute_psnr.m on Y = uint8 rgb2ycbcr (rounded half away), shave = scale; the paper's table is in test_conformance."""
    hr, sr = pairs["astronaut", 3]
    y = lambda a: np.floor(16 + (65.481 * a[..., 0] + 128.553 * a[..., 1] + 24.966 * a[..., 2]) / 255 + 0.5)
    d = (y(hr.astype(np.float64)) - y(sr.astype(np.float64)))[3:-3, 3:-3]
    expected = 20 * math.log10(255 / math.sqrt(np.mean(d**2)))
    assert score_image(hr, sr / 255.0, PROTOCOLS["matlab"], 3).psnr_y == pytest.approx(expected, abs=1e-9)
