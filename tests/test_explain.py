"""sr-audit explain: one factor per step, steps that add up exactly, the paper setup equal to sr-audit eval."""
from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sr_audit.audit.explain import FACTORS, SETUPS, default_weights, explain, parse_order, parse_setup, report_text
from sr_audit.cli.main import main_from_args
from sr_audit.datasets import load_dataset
from sr_audit.degradation import Degradation, modcrop, resample
from sr_audit.errors import SpecError
from sr_audit.evaluation import evaluate
from sr_audit.image_io import write_image
from sr_audit.metrics import psnr, shave
from sr_audit.protocol import PROTOCOLS

SCALE = 3


@pytest.fixture(scope="module")
def small_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two small images: RGB with sides not multiples of 3, and grayscale."""
    import skimage.data

    folder = tmp_path_factory.mktemp("explain_data")
    write_image(folder / "cat.png", np.ascontiguousarray(skimage.data.chelsea()[90:157, 140:232]))  # 67x92
    write_image(folder / "camera.png", np.ascontiguousarray(skimage.data.camera()[50:110, 180:246]))  # 60x66
    return folder


def _explain(data: Path, start: str, end: str, **kwargs) -> "object":
    return explain(start, end, data=str(data), scale=SCALE, weights="bicubic", progress=False, **kwargs)


def test_steps_sum_exactly_to_the_total(small_data: Path) -> None:
    result = _explain(small_data, "paper", "typical-pytorch")
    steps = result.steps
    deltas = steps["delta_psnr"].iloc[1:].tolist()
    assert math.fsum(deltas) == result.total_psnr
    assert sum(deltas) == result.total_psnr
    assert math.fsum(steps["delta_ssim"].iloc[1:].tolist()) == result.total_ssim
    assert result.total_psnr == steps["psnr"].iloc[-1] - steps["psnr"].iloc[0]
    # one step per factor that differs, in the default order
    differing = [f for f in FACTORS if SETUPS["paper"].value(f) != SETUPS["typical-pytorch"].value(f)]
    assert steps["factor"].tolist() == ["start", *differing]
    assert math.isnan(steps["delta_psnr"].iloc[0])
    text = report_text(result)
    assert "| 0 | start | paper |" in text and "| total | paper → typical-pytorch |" in text
    assert "order of the walk" in text


def test_chain_ends_at_the_end_setup(small_data: Path) -> None:
    walked = _explain(small_data, "paper", "typical-pytorch")
    alone = _explain(small_data, "typical-pytorch", "typical-pytorch")
    assert alone.steps["factor"].tolist() == ["start"] and alone.total_psnr == 0.0
    assert walked.steps["psnr"].iloc[-1] == alone.steps["psnr"].iloc[0]
    assert walked.steps["ssim"].iloc[-1] == alone.steps["ssim"].iloc[0]


def test_order_changes_the_steps_not_the_total(small_data: Path) -> None:
    default = _explain(small_data, "paper", "typical-pytorch")
    reordered = _explain(small_data, "paper", "typical-pytorch", order="shave,fit")
    assert reordered.order[:2] == ("shave", "fit")
    assert reordered.steps["factor"].tolist()[1:3] == ["shave", "fit"]
    assert reordered.total_psnr == default.total_psnr
    by_factor = lambda r: r.steps.set_index("factor")["delta_psnr"]  # noqa: E731
    assert by_factor(reordered)["shave"] != by_factor(default)["shave"]


def test_paper_setup_is_sr_audit_eval(small_data: Path) -> None:
    """The paper setup with the identity model scores exactly what evaluate() scores under the
    matlab protocol (Y only) with the legacy MATLAB degradation in double."""
    result = _explain(small_data, "paper", "paper")
    reference = evaluate(
        None,
        load_dataset(str(small_data)),
        Degradation.parse("matlab-legacy", scale=SCALE, space="y", compute="float"),
        dataclasses.replace(PROTOCOLS["matlab"], spaces=("y",)),
    )
    assert result.steps["psnr"].iloc[0] == pytest.approx(reference.mean.psnr_y, abs=1e-9)
    assert result.steps["ssim"].iloc[0] == pytest.approx(reference.mean.ssim_y, abs=1e-9)


def test_single_factor_steps_by_hand(small_data: Path) -> None:
    result = _explain(small_data, "paper", "paper,metric_space=rgb,shave=0")
    assert result.steps["factor"].tolist() == ["start", "shave", "metric_space"]
    images = load_dataset(str(small_data))
    deg = Degradation.parse("matlab-legacy", scale=SCALE, compute="float")
    values = []
    for record in images:
        gt = modcrop(record.image, SCALE)
        out = np.clip(np.floor(resample(gt, deg) * 255.0 + 0.5), 0, 255)  # bicubic RGB, uint8(x*255)
        values.append(psnr(shave(gt.astype(np.float64), 0), out, data_range=255.0))
    assert result.steps["psnr"].iloc[-1] == pytest.approx(float(np.mean(values)), abs=1e-9)


def test_parse_setup_and_errors() -> None:
    assert parse_setup("paper") is SETUPS["paper"]
    custom = parse_setup("typical-pytorch,shave=scale,backend=cv2")
    assert custom.shave is None and custom.backend == "cv2:bicubic-aa" and custom.fit == "resize-to-fit"
    with pytest.raises(SpecError, match="unknown setup 'nope'; presets: paper, typical-pytorch"):
        parse_setup("nope")
    with pytest.raises(SpecError, match="expected FACTOR=VALUE"):
        parse_setup("paper,colour=rgb")
    with pytest.raises(SpecError, match="y_definition 'rec709' is not one of"):
        parse_setup("paper,y_definition=rec709")
    with pytest.raises(SpecError, match="distinct factors"):
        parse_order("shave,shave")
    assert parse_order(None) == tuple(FACTORS)


def test_default_weights_are_the_authors(shared_datasets: Path) -> None:
    assert default_weights(3, shared_datasets) == str(shared_datasets / "srcnn_official_weights" / "9-1-5_T91" / "x3.mat")
    assert default_weights(5, shared_datasets) == "bicubic"


def test_cli(small_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["explain", "--from", "paper", "--to", "paper,ssim=uniform", "--data", str(small_data), "--weights", "bicubic", "--json"]
    assert main_from_args(argv) == 0
    record = json.loads(capsys.readouterr().out)
    assert [s["factor"] for s in record["steps"]] == ["start", "ssim"]
    assert record["steps"][0]["delta_psnr"] is None
    assert record["steps"][1]["delta_psnr"] == 0.0 and record["total_ssim"] != 0.0
    assert main_from_args(["explain", "--from", "paper", "--to", "nope", "--weights", "bicubic"]) == 2
    assert "unknown setup 'nope'" in capsys.readouterr().err


def test_paper_walk_on_set5_with_authors_weights(shared_datasets: Path) -> None:
    """Step 0 is the published SRCNN 9-1-5 x3 Set5 figure (32.39 dB)."""
    result = explain("paper", "paper,shave=0", data="Set5", data_root=shared_datasets, scale=3, progress=False)
    assert result.model.endswith("x3.mat")
    assert round(result.steps["psnr"].iloc[0], 2) == 32.39
    assert isinstance(result.steps, pd.DataFrame) and len(result.steps) == 2
