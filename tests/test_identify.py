"""sr-audit identify: LR sets made here with known specs are named correctly, and so is the legacy data."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from sr_audit import backends
from sr_audit.audit.identify import (
    Method,
    MatchCriterion,
    find_pairs,
    fitting_scales,
    geometries,
    identify,
    report_text,
)
from sr_audit.cli.main import main_from_args
from sr_audit.colour import rgb_to_y
from sr_audit.degradation import modcrop
from sr_audit.errors import DataError, ImageError
from sr_audit.image_io import from_unit_float, im2double, write_image
from sr_audit.resize import resize
from sr_audit.rounding import quantize

SCALE = 3


def _hr_images() -> dict[str, np.ndarray]:
    """Three small HR images, one grayscale, sides not all multiples of the scale."""
    import skimage.data

    return {
        "cat": np.ascontiguousarray(skimage.data.chelsea()[100:163, 150:244]),  # 63x94: width needs modcrop
        "tissue": np.ascontiguousarray(skimage.data.immunohistochemistry()[200:248, 40:112]),  # 48x72
        "camera": np.ascontiguousarray(skimage.data.camera()[60:120, 200:266]),  # grayscale 60x66
    }


def _low(hr: np.ndarray, spec: str, compute: str, scale: int = SCALE) -> np.ndarray:
    hr = modcrop(hr, scale)
    size = (hr.shape[0] // scale, hr.shape[1] // scale)
    if compute == "uint8":
        return resize(hr, spec, size=size)
    return from_unit_float(resize(im2double(hr), spec, size=size))  # rounds half away from zero


def _write_set(root: Path, make_lr) -> tuple[Path, Path]:
    hr_dir, lr_dir = root / "HR", root / "LR"
    hr_dir.mkdir()
    lr_dir.mkdir()
    for name, hr in _hr_images().items():
        write_image(hr_dir / f"{name}.png", hr)
        write_image(lr_dir / f"{name}.png", make_lr(hr))
    return hr_dir, lr_dir


def _named(result, method: Method) -> bool:
    v = result.verdict
    return v.close and method in (v.method, *v.ties)


@pytest.mark.parametrize(
    ("spec", "compute", "scale"),
    [
        ("cv2:area", "uint8", 3),
        ("pil:lanczos3", "uint8", 3),
        ("torch:bicubic+aa", "uint8", 3),
        ("matlab-legacy", "uint8", 3),
        ("matlab", "float", 3),
        ("skimage:bicubic-aa", "uint8", 2),
    ],
)
def test_identifies_generated_sets(tmp_path: Path, spec: str, compute: str, scale: int) -> None:
    hr_dir, lr_dir = _write_set(tmp_path, lambda hr: _low(hr, spec, compute, scale))
    result = identify(hr_dir, lr_dir, progress=False)
    canonical = str(backends.resolve(spec))
    rounding = "library" if compute == "uint8" else "half-away-from-zero"
    expected = Method(canonical, compute, rounding, "as-is")
    assert result.scale == scale and result.scale_source == "inferred from the sizes"
    assert _named(result, expected), report_text(result)
    assert result.verdict.pairs_won == result.verdict.n_pairs == 3
    assert result.verdict.mean_exact == 1.0
    assert (result.best["exact"] == 1.0).all()
    # the cat image is 63x94: the width needs a modcrop at x2 and x3, and the geometry says so
    assert result.best.set_index("pair").loc["cat", "geometry"] == "modcrop"
    assert result.verdict.geometry == "modcrop"


def test_area_averages_tie_and_are_listed(tmp_path: Path) -> None:
    """At an integer factor OpenCV, TF and torch area and MATLAB's box (float) give the same image."""
    hr_dir, lr_dir = _write_set(tmp_path, lambda hr: _low(hr, "cv2:area", "uint8"))
    result = identify(hr_dir, lr_dir, progress=False)
    named = {m.label for m in (result.verdict.method, *result.verdict.ties)}
    assert {
        "cv2:area-aa uint8 as-is",
        "tf:area-aa uint8 as-is",
        "torch:area-aa uint8 as-is",
        "matlab:box+aa float/half-away-from-zero as-is",
    } <= named, report_text(result)
    assert "pil:box+aa uint8 as-is" not in named  # Pillow's fixed-point box rounds differently
    text = report_text(result)
    assert "the data cannot tell them apart" in text and "tf:area-aa [uint8, float/" in text


def test_unantialiased_kernels_tie_at_odd_factors(tmp_path: Path) -> None:
    """Without antialiasing at x3 every half-pixel kernel samples input pixel 3i+1 exactly: all tie,
    while OpenCV's nearest (asymmetric: pixel 3i) does not."""
    hr_dir, lr_dir = _write_set(tmp_path, lambda hr: _low(hr, "skimage:bicubic-aa", "uint8"))
    result = identify(hr_dir, lr_dir, progress=False)
    named = {m.label for m in (result.verdict.method, *result.verdict.ties)}
    assert {"skimage:bicubic-aa uint8 as-is", "matlab:nearest-aa uint8 as-is", "torch:bicubic-aa uint8 as-is"} <= named
    assert "cv2:nearest-aa uint8 as-is" not in named


def test_y_float_set_names_the_y_rule(tmp_path: Path) -> None:
    """A Y data set: MATLAB rgb2ycbcr Y (rounded), float path, modern MATLAB."""

    def make(hr: np.ndarray) -> np.ndarray:
        y = hr if hr.ndim == 2 else quantize(rgb_to_y(hr, "matlab"), np.uint8)
        return _low(y, "matlab", "float")

    hr_dir, lr_dir = _write_set(tmp_path, make)
    result = identify(hr_dir, lr_dir, progress=False)
    expected = Method("matlab:bicubic+aa", "float", "half-away-from-zero", "y:matlab")
    assert _named(result, expected), report_text(result)


def test_resize_to_lr_size_without_modcrop(tmp_path: Path) -> None:
    """The uncropped HR resized to round(H/s) x round(W/s) by Pillow: geometry 'full'."""

    def make(hr: np.ndarray) -> np.ndarray:
        size = (round(hr.shape[0] / SCALE), round(hr.shape[1] / SCALE))
        return resize(hr, "pil:bicubic", size=size)

    hr_dir, lr_dir = _write_set(tmp_path, make)
    result = identify(hr_dir, lr_dir, scale=SCALE, progress=False)
    assert _named(result, Method("pil:bicubic+aa", "uint8", "library", "as-is")), report_text(result)
    assert result.best.set_index("pair").loc["cat", "geometry"] == "full"


def test_no_registered_backend_matches(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)

    def make(hr: np.ndarray) -> np.ndarray:
        low = _low(hr, "matlab", "uint8").astype(np.int16)
        return np.clip(low + rng.integers(-6, 7, size=low.shape), 0, 255).astype(np.uint8)

    hr_dir, lr_dir = _write_set(tmp_path, make)
    result = identify(hr_dir, lr_dir, progress=False)
    assert not result.verdict.close
    assert result.verdict.text().startswith("no registered backend matches")
    assert not result.best["close"].any()
    # a looser criterion, given as data, accepts the same data
    loose = identify(hr_dir, lr_dir, criterion=MatchCriterion(min_exact_fraction=0.99, min_psnr=30.0), progress=False)
    assert loose.verdict.close


def test_selfexsr_names_and_scale_inference(tmp_path: Path) -> None:
    folder = tmp_path / "image_SRF_3"
    folder.mkdir()
    hr = np.ascontiguousarray(_hr_images()["tissue"])
    write_image(folder / "img_001_SRF_3_HR.png", hr)
    write_image(folder / "img_001_SRF_3_LR.png", _low(hr, "matlab-legacy", "uint8"))
    pairs, unmatched = find_pairs(folder, folder)
    assert [(p.name, p.hr.name, p.lr.name) for p in pairs] == [("img_001_SRF_3", "img_001_SRF_3_HR.png", "img_001_SRF_3_LR.png")]
    assert unmatched == []
    assert fitting_scales((48, 72), (16, 24)) == [3]
    assert geometries((48, 72), (16, 24), 3) == ["either"]
    assert geometries((49, 72), (16, 24), 3) == ["modcrop", "full"]
    assert geometries((49, 72), (17, 24), 3) == ["full"]


def test_inconsistent_sizes_are_refused(tmp_path: Path) -> None:
    hr_dir, lr_dir = tmp_path / "HR", tmp_path / "LR"
    hr_dir.mkdir()
    lr_dir.mkdir()
    images = _hr_images()
    write_image(hr_dir / "a.png", images["tissue"])
    write_image(lr_dir / "a.png", resize(images["tissue"], "pil", size=(24, 36)))  # x2
    write_image(hr_dir / "b.png", images["tissue"])
    write_image(lr_dir / "b.png", resize(images["tissue"], "pil", size=(16, 24)))  # x3
    with pytest.raises(ImageError, match="inconsistent scales"):
        identify(hr_dir, lr_dir, progress=False)
    with pytest.raises(ImageError, match=r"pair a: HR 48x72 and LR 24x36 are not related by scale 3 \(expected LR 16x24\)"):
        identify(hr_dir, lr_dir, scale=3, progress=False)
    write_image(lr_dir / "a.png", images["tissue"][:20, :21])
    with pytest.raises(ImageError, match="not related by any integer scale"):
        identify(hr_dir, lr_dir, progress=False)


def test_no_pairs_is_an_error(tmp_path: Path) -> None:
    hr_dir, lr_dir = tmp_path / "HR", tmp_path / "LR"
    hr_dir.mkdir()
    lr_dir.mkdir()
    write_image(hr_dir / "a.png", np.zeros((12, 12), np.uint8))
    write_image(lr_dir / "b.png", np.zeros((4, 4), np.uint8))
    with pytest.raises(DataError, match="no HR/LR pairs matched by name"):
        find_pairs(hr_dir, lr_dir)


def test_cli_json_and_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    hr_dir, lr_dir = _write_set(tmp_path, lambda hr: _low(hr, "matlab-legacy", "uint8"))
    assert main_from_args(["identify", "--hr", str(hr_dir), "--lr", str(lr_dir), "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["verdict"]["match"] is True
    assert record["verdict"]["spec"] == "matlab-legacy:bicubic+aa"
    assert record["pairs"][0]["psnr"] == "inf"
    assert main_from_args(["identify", "--hr", str(hr_dir), "--lr", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("sr-audit: error:") and "no such file or folder" in err and "\n" not in err


@pytest.mark.parametrize(("dataset", "scale"), [("Set5", 2), ("Set5", 3), ("Set5", 4), ("Set14", 3)])
def test_legacy_selfexsr_is_matlab_legacy_uint8(shared_datasets: Path, dataset: str, scale: int) -> None:
    folder = shared_datasets / "matlab_reference" / "legacy_selfexsr" / dataset / f"image_SRF_{scale}"
    result = identify(folder, folder, progress=False)
    v = result.verdict
    assert result.scale == scale
    assert v.close and v.method == Method("matlab-legacy:bicubic+aa", "uint8", "library", "as-is"), report_text(result)
    assert v.pairs_won == v.n_pairs == len(result.best)
    assert v.mean_exact == 1.0 and v.ties == ()
