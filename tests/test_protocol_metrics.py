"""Protocol presets and metrics under a protocol."""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from scipy.signal import correlate2d

from sr_audit.colour import rgb_to_y
from sr_audit.errors import ImageError, SpecError
from sr_audit.metrics import (
    Scores,
    mean_scores,
    psnr,
    quantise_output,
    score_image,
    shave,
    ssim,
    y_of_gray,
    y_of_rgb,
)
from sr_audit.protocol import PROTOCOLS, Protocol, SSIMSpec, get_protocol

MATLAB = PROTOCOLS["matlab"]
BASICSR = PROTOCOLS["basicsr"]

#: MATLAB R2013a+ ``rgb2ycbcr(uint8(rgb))`` Y values (BT.601 studio range, rounded).
MATLAB_Y = {
    (255, 0, 0): 81,
    (0, 255, 0): 145,
    (0, 0, 255): 41,
    (255, 255, 255): 235,
    (0, 0, 0): 16,
    (128, 128, 128): 126,
}


def test_matlab_preset_uses_65_481_not_the_64_738_typo():
    from sr_audit.colour import luma_definition

    d = luma_definition(MATLAB.y_definition)
    assert (d.r, d.g, d.b, d.divisor, d.offset) == (65.481, 128.553, 24.966, 255.0, 16.0)
    assert 64.738 not in (d.r, d.g, d.b)


@pytest.mark.parametrize("rgb, expected", sorted(MATLAB_Y.items()))
def test_matlab_y_of_primaries_matches_matlab(rgb, expected):
    image = np.array(rgb, np.uint8).reshape(1, 1, 3)
    assert y_of_rgb(image, MATLAB)[0, 0] == expected


def test_typo_definition_would_change_y_of_red():
    typo = dataclasses.replace(MATLAB, name="typo", y_definition="typo-64.738")
    red = np.array([255, 0, 0], np.uint8).reshape(1, 1, 3)
    assert y_of_rgb(red, typo)[0, 0] != MATLAB_Y[(255, 0, 0)]


def test_basicsr_y_is_unrounded_float32():
    red = np.array([255, 0, 0], np.uint8).reshape(1, 1, 3)
    y = y_of_rgb(red, BASICSR)[0, 0]
    assert y == pytest.approx(81.481, abs=1e-4) and y != 81.481  # float32, not rounded


def test_float64_y_is_colour_rgb_to_y():
    rgb = np.random.default_rng(0).integers(0, 256, (9, 7, 3), dtype=np.uint8)
    unrounded = dataclasses.replace(MATLAB, y_rounding="none")
    np.testing.assert_array_equal(y_of_rgb(rgb, unrounded), rgb_to_y(rgb, "matlab"))


def test_grayscale_rules():
    gray = np.array([[0, 100, 255]], np.uint8)
    np.testing.assert_array_equal(y_of_gray(gray, MATLAB), [[0, 100, 255]])
    np.testing.assert_allclose(y_of_gray(gray, BASICSR), [[16, 16 + 100 * 219 / 255, 235]], atol=1e-4)


def test_quantise_output_rounding_rules_and_saturation():
    # find x with x * 255 exactly an odd half-integer in float64, so the tie rule decides
    candidates = [(2 * m + 1) / 510 for m in range(255)]
    ties = [x for x in candidates if (x * 255) % 1 == 0.5 and int(x * 255) % 2 == 0]
    assert ties, "no exact tie found"
    x = np.array([ties[0], -0.2, 1.3])
    k = int(ties[0] * 255)
    np.testing.assert_array_equal(quantise_output(x, MATLAB), [k + 1, 0, 255])  # half away from zero
    np.testing.assert_array_equal(quantise_output(x, BASICSR), [k, 0, 255])  # half to even
    raw = dataclasses.replace(MATLAB, output_rounding="none")
    np.testing.assert_allclose(quantise_output(x, raw), x * 255)


def test_psnr_known_value_and_identity():
    a = np.zeros((4, 4))
    assert psnr(a, a + 1, data_range=255) == pytest.approx(20 * math.log10(255))
    assert psnr(a, a, data_range=255) == math.inf
    with pytest.raises(ImageError, match="shapes differ"):
        psnr(a, np.zeros((4, 5)), data_range=255)


def _ssim_valid_gaussian(a: np.ndarray, b: np.ndarray) -> float:
    """Independent Wang et al. SSIM: 11x11 Gaussian (sigma 1.5), 'valid' windows, peak 255."""
    t = np.arange(-5, 6)
    g = np.exp(-(t**2) / (2 * 1.5**2))
    win = np.outer(g, g) / np.outer(g, g).sum()
    f = lambda x: correlate2d(x, win, mode="valid")  # noqa: E731
    mu_a, mu_b = f(a), f(b)
    var_a, var_b, cov = f(a * a) - mu_a**2, f(b * b) - mu_b**2, f(a * b) - mu_a * mu_b
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    s = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2))
    return float(s.mean())


def test_ssim_equals_wang_valid_window_definition():
    rng = np.random.default_rng(1)
    a = rng.integers(0, 256, (40, 33)).astype(np.float64)
    b = np.clip(a + rng.normal(0, 12, a.shape), 0, 255).round()
    assert ssim(a, b) == pytest.approx(_ssim_valid_gaussian(a, b), abs=1e-12)
    assert ssim(a, a) == pytest.approx(1.0)


def test_ssim_rgb_is_channel_mean_and_small_images_fail_clearly():
    rng = np.random.default_rng(2)
    a = rng.integers(0, 256, (20, 20, 3)).astype(np.float64)
    b = np.clip(a + rng.normal(0, 20, a.shape), 0, 255)
    assert ssim(a, b) == pytest.approx(np.mean([ssim(a[..., c], b[..., c]) for c in range(3)]))
    with pytest.raises(ImageError, match="smaller than the 11x11 SSIM window"):
        ssim(a[:10], b[:10])


def test_shave_default_is_scale():
    assert MATLAB.shave_for(3) == 3 and dataclasses.replace(MATLAB, shave=0).shave_for(3) == 0
    assert shave(np.zeros((10, 12)), 3).shape == (4, 6)
    with pytest.raises(ImageError, match="cannot shave"):
        shave(np.zeros((6, 12)), 3)


def test_score_image_y_model_on_colour_and_gray():
    rng = np.random.default_rng(3)
    hr = rng.integers(0, 256, (30, 30, 3), dtype=np.uint8)
    y = y_of_rgb(hr, MATLAB) / 255
    perfect = score_image(hr, y, MATLAB, 2, output_rgb=hr / 255)
    assert perfect.psnr_y == math.inf and perfect.ssim_y == pytest.approx(1.0) and perfect.psnr_rgb == math.inf
    with pytest.raises(ImageError, match="need output_rgb"):
        score_image(hr, y, MATLAB, 2)
    y_only = dataclasses.replace(MATLAB, spaces=("y",))
    assert score_image(hr, y, y_only, 2) == Scores(psnr_y=math.inf, ssim_y=pytest.approx(1.0))
    gray = hr[..., 0]
    off = np.clip(gray / 255 + 1 / 255, 0, 1)
    s = score_image(gray, off, MATLAB, 2)
    assert s.psnr_y == pytest.approx(s.psnr_rgb) and s.psnr_y < 60


def test_score_image_rgb_model_y_is_rounded_y_of_rounded_output():
    rng = np.random.default_rng(4)
    hr = rng.integers(0, 256, (24, 24, 3), dtype=np.uint8)
    out = np.clip(hr / 255 + rng.normal(0, 0.01, hr.shape), 0, 1)
    s = score_image(hr, out, MATLAB, 2)
    q = quantise_output(out, MATLAB)
    expected = psnr(shave(y_of_rgb(hr, MATLAB), 2), shave(y_of_rgb(q, MATLAB), 2), data_range=255)
    assert s.psnr_y == pytest.approx(expected)
    assert s.psnr_rgb == pytest.approx(psnr(shave(hr, 2), shave(q, 2), data_range=255))


def test_mean_scores_is_arithmetic_mean_of_per_image_values():
    m = mean_scores([Scores(30.0, 0.8), Scores(40.0, 0.9)])
    assert m == Scores(psnr_y=35.0, ssim_y=pytest.approx(0.85))
    with pytest.raises(ImageError, match="no scores"):
        mean_scores([])


def test_protocol_validation_and_lookup():
    assert get_protocol("MATLAB") is MATLAB
    with pytest.raises(SpecError, match="presets: matlab, basicsr, pyiqa, torchmetrics, ntire"):
        get_protocol("nope")
    with pytest.raises(SpecError, match="not one of: y, rgb"):
        Protocol(name="x", spaces=("lab",))
    with pytest.raises(SpecError, match="shave"):
        Protocol(name="x", shave=-1)
    with pytest.raises(SpecError, match="Y definition"):
        Protocol(name="x", y_definition="bt709")
    with pytest.raises(SpecError, match="positive number"):
        SSIMSpec(sigma=0)


def test_protocol_description_names_every_choice():
    text = MATLAB.describe()
    for needle in ("65.481", "rounded (half-away-from-zero)", "shave s (= the scale) px", "Gaussian sigma=1.5", "Cb/Cr", "its own Y"):
        assert needle in text
    d = BASICSR.as_dict()
    assert d["y_rounding"] == "none" and d["grayscale"] == "as-rgb" and d["ssim"]["use_sample_covariance"] is False


def test_added_fields_validate_and_enter_as_dict_only_when_set():
    with pytest.raises(SpecError, match="psnr_spaces must be None or a non-empty tuple"):
        Protocol(name="x", spaces=("y",), psnr_spaces=("rgb",))
    with pytest.raises(SpecError, match="shave_offset"):
        Protocol(name="x", shave_offset=-1)
    with pytest.raises(SpecError, match="psnr_eps"):
        Protocol(name="x", psnr_eps=-1e-8)
    with pytest.raises(SpecError, match="SSIMSpec.pad 'same' is not one of: none, reflect"):
        SSIMSpec(pad="same")
    with pytest.raises(SpecError, match="clip_negative must be a boolean"):
        SSIMSpec(clip_negative=1)
    plain = Protocol(name="x").as_dict()
    assert not {"psnr_spaces", "ssim_spaces", "shave_offset", "psnr_eps"} & set(plain)
    assert not {"pad", "clip_negative"} & set(plain["ssim"])
    d = Protocol(name="x", psnr_spaces=("rgb",), shave_offset=6, psnr_eps=1e-8, ssim=SSIMSpec(pad="reflect")).as_dict()
    assert d["psnr_spaces"] == ["rgb"] and d["shave_offset"] == 6 and d["psnr_eps"] == 1e-8 and d["ssim"]["pad"] == "reflect"
    assert "ssim_spaces" not in d and "clip_negative" not in d["ssim"]
    assert Protocol(name="x", shave_offset=6).shave_for(4) == 10 and Protocol(name="x", shave=2, shave_offset=6).shave_for(4) == 2


def test_psnr_eps_on_the_unit_scale_and_identical_images_stay_inf():
    a = np.zeros((4, 4))
    mse = 1.0  # on 0..255
    assert psnr(a, a + 1, data_range=255, eps=1e-8) == pytest.approx(-10 * math.log10(mse / 255**2 + 1e-8))
    assert psnr(a, a + 1, data_range=255, eps=1e-8) < psnr(a, a + 1, data_range=255)
    assert psnr(a, a, data_range=255, eps=1e-8) == math.inf


def test_clip_negative_ssim_averages_the_valid_map_clipped_at_zero():
    from skimage.metrics import structural_similarity

    rng = np.random.default_rng(5)
    a = rng.integers(0, 256, (30, 30)).astype(np.float64)
    b = 255 - a  # anticorrelated: most of the map is negative
    _, full = structural_similarity(a, b, full=True, **SSIMSpec().kwargs())
    clipped = ssim(a, b, spec=SSIMSpec(clip_negative=True))
    assert clipped == pytest.approx(np.maximum(full[5:-5, 5:-5], 0).mean()) and ssim(a, b) < 0 <= clipped


def test_reflect_padded_ssim_averages_every_pixel_of_the_original():
    rng = np.random.default_rng(6)
    a = rng.integers(0, 256, (24, 20)).astype(np.float64)
    b = np.clip(a + rng.normal(0, 20, a.shape), 0, 255)
    padded = np.pad(a, 5, mode="reflect"), np.pad(b, 5, mode="reflect")
    assert ssim(a, b, spec=SSIMSpec(pad="reflect")) == pytest.approx(_ssim_valid_gaussian(*padded), abs=1e-12)


def test_y_only_output_under_another_y_definition_is_scored_through_its_rgb():
    rng = np.random.default_rng(7)
    hr = rng.integers(0, 256, (30, 30, 3), dtype=np.uint8)
    out_rgb = np.clip(hr / 255 + rng.normal(0, 0.02, hr.shape), 0, 1)
    y_matlab = y_of_rgb(quantise_output(out_rgb, MATLAB), MATLAB) / 255
    pyiqa = PROTOCOLS["pyiqa"]
    s = score_image(hr, y_matlab, pyiqa, 2, output_rgb=out_rgb)
    assert s.ssim_y == pytest.approx(score_image(hr, out_rgb, pyiqa, 2).ssim_y)  # YIQ Y of the RGB, not the MATLAB Y
    with pytest.raises(ImageError, match="takes Y as yiq, a Y-only output is matlab Y; pass output_rgb"):
        score_image(hr, y_matlab, dataclasses.replace(pyiqa, spaces=("y",), ssim_spaces=None, psnr_spaces=None), 2)
