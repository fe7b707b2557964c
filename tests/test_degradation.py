"""Degradation: parsing, modcrop, the float and uint8 paths, validation."""
from __future__ import annotations

import numpy as np
import pytest

from sr_audit.conventions import ResizeSpec
from sr_audit.degradation import Degradation, degrade, modcrop, network_plane, resample
from sr_audit.errors import ImageError, SpecError
from sr_audit.resize import resize

RNG = np.random.default_rng(0)
RGB = RNG.integers(0, 256, (31, 26, 3), dtype=np.uint8)


def test_parse_one_spec_for_both_and_separate_down_up():
    same = Degradation.parse("pil", scale=3)
    assert same.down == same.up == ResizeSpec("pil", "bicubic", True)
    split = Degradation.parse("pil:lanczos/pil:bilinear", scale="2", space="rgb", compute="uint8")
    assert (str(split.down), str(split.up), split.scale) == ("pil:lanczos3+aa", "pil:bilinear+aa", 2)
    assert str(split) == "pil:lanczos3+aa/pil:bilinear+aa x2 rgb uint8"
    assert split.as_dict() == {
        "down": "pil:lanczos3+aa", "up": "pil:bilinear+aa", "scale": 2, "space": "rgb", "compute": "uint8"
    }
    # equal degradations compare (and hash) equal whatever the spelling
    assert Degradation.parse("pil:cubic", scale=3) == same and hash(Degradation.parse("PIL", scale=3)) == hash(same)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"text": "pil", "scale": 1}, "integer >= 2"),
        ({"text": "pil", "scale": 2.5}, "integer >= 2"),
        ({"text": "pil", "scale": True}, "integer >= 2"),
        ({"text": "pil", "scale": "x3"}, "integer >= 2"),
        ({"text": "pil/pil/pil", "scale": 2}, "DOWN or DOWN/UP"),
        ({"text": "pil/", "scale": 2}, "DOWN or DOWN/UP"),
        ({"text": "pil", "scale": 2, "space": "lab"}, "not one of: y, rgb"),
        ({"text": "pil", "scale": 2, "compute": "half"}, "not one of: float, uint8"),
        ({"text": "nosuchlib", "scale": 2}, "unknown backend"),
    ],
)
def test_parse_errors(kwargs, match):
    with pytest.raises(SpecError, match=match):
        Degradation.parse(**kwargs)


def test_modcrop_keeps_top_left():
    img = np.arange(70).reshape(10, 7)
    np.testing.assert_array_equal(modcrop(img, 3), img[:9, :6])
    assert modcrop(RGB, 4).shape == (28, 24, 3)
    with pytest.raises(ImageError, match="smaller than the scale 4"):
        modcrop(np.zeros((3, 9)), 4)


def test_network_plane_y_is_rounded_matlab_y_and_gray_is_kept():
    y = network_plane(RGB, "y")
    assert y.dtype == np.uint8 and y.shape == RGB.shape[:2]
    red = np.array([[[255, 0, 0]]], np.uint8)
    assert network_plane(red, "y")[0, 0] == 81  # MATLAB rgb2ycbcr
    gray = RGB[..., 1]
    assert network_plane(gray, "y") is gray
    np.testing.assert_array_equal(network_plane(gray, "rgb"), np.repeat(gray[..., None], 3, axis=2))


def test_float_path_is_im2double_down_up_without_rounding():
    deg = Degradation.parse("pil", scale=2)
    x, t = degrade(RGB, deg)
    plane = network_plane(modcrop(RGB, 2), "y")
    low = resize(plane / 255.0, "pil", size=(15, 13))
    np.testing.assert_array_equal(x, resize(low, "pil", size=(30, 26)))
    np.testing.assert_array_equal(t, plane / 255.0)
    assert x.dtype == t.dtype == np.float64 and x.shape == (30, 26)
    assert not np.allclose(x * 255, np.round(x * 255))  # nothing rounded between or after


def test_uint8_path_rounds_after_each_resize():
    deg = Degradation.parse("pil", scale=2, space="rgb", compute="uint8")
    x, t = degrade(RGB, deg)
    expected = resize(resize(modcrop(RGB, 2), "pil", size=(15, 13)), "pil", size=(30, 26))
    np.testing.assert_array_equal(x, expected / 255.0)
    assert x.shape == t.shape == (30, 26, 3)
    assert not np.array_equal(x, degrade(RGB, Degradation.parse("pil", scale=2, space="rgb")).input)


def test_separate_down_and_up_specs_are_used():
    a = degrade(RGB, Degradation.parse("pil:lanczos/pil", scale=2)).input
    b = degrade(RGB, Degradation.parse("pil/pil", scale=2)).input
    c = degrade(RGB, Degradation.parse("pil:lanczos/pil:lanczos", scale=2)).input
    assert not np.array_equal(a, b) and not np.array_equal(a, c)


def test_validation_of_images_and_receptive_field():
    deg = Degradation.parse("pil", scale=3)
    with pytest.raises(ImageError, match="uint8"):
        degrade(RGB.astype(np.float32), deg)
    with pytest.raises(ImageError, match="HxWx3"):
        degrade(np.zeros((9, 9, 4), np.uint8), deg)
    with pytest.raises(ImageError, match="smaller than the scale"):
        degrade(np.zeros((2, 9), np.uint8), deg)
    with pytest.raises(ImageError, match="receptive field of 13 px"):
        degrade(np.zeros((12, 40), np.uint8), deg, receptive_field=13)
    assert degrade(np.zeros((14, 40), np.uint8), deg, receptive_field=12).input.shape == (12, 39)
    with pytest.raises(ImageError, match="modcrop it first"):
        resample(np.zeros((10, 9), np.uint8), deg)
