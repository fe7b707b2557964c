"""sr-audit pitfalls: each mistake measured against its correct pipeline, cross-checked by hand."""
from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import pytest

from sr_audit.audit.pitfalls import PITFALLS, Pipeline, down_up, pitfalls, read_as, report_text
from sr_audit.cli.main import main_from_args
from sr_audit.datasets import load_dataset
from sr_audit.degradation import Degradation, modcrop, resample
from sr_audit.errors import SpecError
from sr_audit.evaluation import evaluate
from sr_audit.image_io import write_image
from sr_audit.metrics import psnr, shave
from sr_audit.protocol import PROTOCOLS

SCALE = 3
Y_ONLY = dataclasses.replace(PROTOCOLS["matlab"], spaces=("y",))


@pytest.fixture(scope="module")
def small_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A non-square colour image, a square colour image, a grayscale image."""
    import skimage.data

    folder = tmp_path_factory.mktemp("pitfall_data")
    write_image(folder / "cat.png", np.ascontiguousarray(skimage.data.chelsea()[90:150, 140:230]))  # 60x90
    write_image(folder / "tissue.png", np.ascontiguousarray(skimage.data.immunohistochemistry()[100:160, 100:160]))
    write_image(folder / "camera.png", np.ascontiguousarray(skimage.data.camera()[50:110, 180:246]))  # 60x66 gray
    return folder


@pytest.fixture(scope="module")
def result(small_data: Path):
    return pitfalls(str(small_data), scale=SCALE, weights="bicubic", progress=False)


def test_one_row_per_pitfall_on_the_images_it_applies_to(result) -> None:
    t = result.table.set_index("pitfall")
    assert list(t.index) == [p.name for p in PITFALLS]
    assert t.loc["width/height swap", "images"] == 2  # cat 60x90, camera 60x66 (tissue is square)
    assert t.loc["BGR as RGB", "images"] == 2 and t.loc["grayscale read as RGB", "images"] == 1
    assert t.loc["uint8 vs float", "images"] == 3
    assert (t["delta"] == t["wrong_psnr"] - t["correct_psnr"]).all()
    # the identity model's output is its input: scoring against the input is infinitely "good"
    assert math.isinf(t.loc["bicubic reference", "wrong_psnr"])
    assert t.loc["missing antialias", "delta"] < -0.5  # aliasing costs (on these small crops ~0.9 dB)
    text = report_text(result)
    assert "| width/height swap | 2 non-square |" in text and "+inf" in text


def test_uint8_and_antialias_rows_equal_evaluate(small_data: Path, result) -> None:
    """The rows whose pipelines are plain degradations score exactly what evaluate() scores."""
    data = load_dataset(str(small_data))
    t = result.table.set_index("pitfall")
    for pitfall, spec, compute, column in (
        ("uint8 vs float", "matlab-legacy", "float", "correct_psnr"),
        ("uint8 vs float", "matlab-legacy", "uint8", "wrong_psnr"),
        ("missing antialias", "torch:bicubic+aa/torch:bicubic-aa", "float", "correct_psnr"),
        ("missing antialias", "torch:bicubic-aa", "float", "wrong_psnr"),
    ):
        ev = evaluate(None, data, Degradation.parse(spec, scale=SCALE, compute=compute), Y_ONLY)
        assert t.loc[pitfall, column] == pytest.approx(ev.mean.psnr_y, abs=1e-9), (pitfall, column)


def test_grayscale_as_rgb_by_hand(small_data: Path, result) -> None:
    gray = modcrop(load_dataset(str(small_data)).images[0].image, SCALE)  # camera (sorted first)
    assert gray.ndim == 2
    y = np.floor(16.0 + 219.0 / 255.0 * gray.astype(np.float64) + 0.5).astype(np.uint8)  # rgb2ycbcr of (g, g, g)
    out = np.floor(resample(y, Degradation.parse("matlab-legacy", scale=SCALE)) * 255.0 + 0.5)
    expected = psnr(shave(y.astype(np.float64), SCALE), shave(out, SCALE), data_range=255.0)
    assert result.table.set_index("pitfall").loc["grayscale read as RGB", "wrong_psnr"] == pytest.approx(expected, abs=1e-9)


def test_bgr_changes_nothing_when_red_equals_blue() -> None:
    rng = np.random.default_rng(1)
    image = rng.integers(0, 256, size=(12, 12, 3), dtype=np.uint8)
    image[..., 2] = image[..., 0]
    assert np.array_equal(read_as(image, Pipeline()), read_as(image, Pipeline(channel_order="bgr")))
    image[..., 2] = 255 - image[..., 0]
    bgr = read_as(image, Pipeline(channel_order="bgr"))
    assert not np.array_equal(read_as(image, Pipeline()), bgr) and np.array_equal(bgr[..., ::-1], image)
    gray = image[..., 0]
    assert read_as(gray, Pipeline()) is gray and read_as(gray, Pipeline(grayscale="as-rgb")).shape == (12, 12, 3)


def test_swap_and_align_corners_pipelines() -> None:
    rng = np.random.default_rng(2)
    square = rng.integers(0, 256, size=(12, 12), dtype=np.uint8)
    assert np.array_equal(down_up(square, Pipeline(swap_size=True), SCALE), down_up(square, Pipeline(), SCALE))
    wide = rng.integers(0, 256, size=(12, 18), dtype=np.uint8)
    swapped = down_up(wide, Pipeline(swap_size=True), SCALE)
    assert swapped.shape == wide.shape and not np.allclose(swapped, down_up(wide, Pipeline(), SCALE))
    # align_corners=True without antialiasing keeps the corner pixels where they were
    corners = Pipeline(down="torch:bicubic-aa", up="torch:bicubic-aa", align_corners=True)
    out = down_up(wide, corners, SCALE)
    assert out[0, 0] == pytest.approx(wide[0, 0] / 255.0) and out[-1, -1] == pytest.approx(wide[-1, -1] / 255.0)
    with pytest.raises(SpecError, match="only modelled for torch bicubic"):
        down_up(wide, dataclasses.replace(corners, down="pil"), SCALE)
    with pytest.raises(SpecError, match="pipeline reference 'lr' is not one of: hr, input"):
        Pipeline(reference="lr")


def test_no_applicable_image_gives_an_empty_row(tmp_path: Path) -> None:
    write_image(tmp_path / "square.png", np.full((30, 30, 3), 120, np.uint8))
    t = pitfalls(str(tmp_path), scale=SCALE, weights="bicubic", progress=False).table.set_index("pitfall")
    assert t.loc["width/height swap", "images"] == 0 and math.isnan(t.loc["width/height swap", "delta"])


def test_cli_json(small_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main_from_args(["pitfalls", "--data", str(small_data), "--weights", "bicubic", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    rows = {r["pitfall"]: r for r in record["pitfalls"]}
    assert rows["bicubic reference"]["wrong_psnr"] == "inf" and len(rows) == len(PITFALLS)
    assert main_from_args(["pitfalls", "--data", str(small_data), "--scale", "1", "--weights", "bicubic"]) == 2
    assert "not an integer super-resolution factor of at least 2" in capsys.readouterr().err


def test_with_the_authors_model(shared_datasets: Path, small_data: Path) -> None:
    """With a real model the output is not its input: scoring against the input is finite and flattering."""
    weights = shared_datasets / "srcnn_official_weights" / "9-1-5_T91" / "x3.mat"
    t = pitfalls(str(small_data), scale=SCALE, weights=str(weights), progress=False).table.set_index("pitfall")
    row = t.loc["bicubic reference"]
    assert math.isfinite(row["wrong_psnr"]) and row["delta"] > 0
