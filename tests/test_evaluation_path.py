"""The one evaluation path (sr_audit.evaluation: prepare -> run_model -> score_prepared) and its four
callers: eval (evaluate), the matrix Worker, explain and pitfalls give the same scores."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import skimage.data
from factory_models import near_identity_srcnn

from sr_audit.audit.explain import SETUPS, _Runner
from sr_audit.audit.pitfalls import Pipeline, _Scorer
from sr_audit.datasets import load_dataset
from sr_audit.degradation import Degradation, degrade, modcrop, resample
from sr_audit.errors import ImageError, SpecError
from sr_audit.evaluation import (
    Preparation,
    colour_output,
    evaluate,
    prepare,
    run_model,
    score_prepared,
)
from sr_audit.image_io import write_image
from sr_audit.matrix.plan import MatrixPlan
from sr_audit.matrix.work import Worker, build_workload
from sr_audit.model import SRCNN, SRCNNConfig
from sr_audit.protocol import PROTOCOLS
from sr_audit.recipes import Budget, Recipe
from sr_audit.matrix.store import Store

SCALE = 3
SPEC = "matlab-legacy"


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A non-square colour image and a grayscale image, not multiples of the scale."""
    folder = tmp_path_factory.mktemp("path-data")
    write_image(folder / "cat.png", np.ascontiguousarray(skimage.data.chelsea()[90:151, 140:231]))  # 61x91
    write_image(folder / "camera.png", np.ascontiguousarray(skimage.data.camera()[50:110, 180:247]))  # 60x67
    return folder


@pytest.fixture(scope="module")
def model() -> SRCNN:
    return near_identity_srcnn(SRCNNConfig(f1=5, f2=1, f3=3, n1=8, n2=4))


def test_four_callers_give_identical_scores(data: Path, model: SRCNN, tmp_path: Path) -> None:
    dataset = load_dataset(str(data))
    protocol = PROTOCOLS["matlab"]
    ev = evaluate(model, dataset, Degradation.parse(SPEC, scale=SCALE), protocol)

    recipe = Recipe(name="tiny", description="test", optimizer="adam", lr=(1e-3, 1e-3, 1e-4), loss="mse", init="he",
                    batch_size=16, budget=Budget("steps", 1))
    plan = MatrixPlan(train_specs=(SPEC,), eval_specs=(SPEC,), recipe=recipe, train_data=str(data), eval_data=(str(data),),
                      data_root=str(tmp_path), device="cpu", crop_size=16, crop_images=0)  # type: ignore[arg-type]
    workload = build_workload(plan, Store(tmp_path / "store", create=True))
    task = next(t for job in workload.jobs for t in job.cells)  # scoring uses only its eval spec and set
    matrix, _ = Worker(workload, "cpu").score(model, task, SCALE)

    explained = _Runner(dataset, SCALE, model).scores(SETUPS["paper"]).set_index("image")
    scorer = _Scorer(SCALE, model)
    for result, cell in zip(ev.images, matrix):
        assert result.name == cell.name
        s = result.scores
        assert (s.psnr_y, s.ssim_y, s.psnr_rgb, s.ssim_rgb) == (cell.psnr_y, cell.ssim_y, cell.psnr_rgb, cell.ssim_rgb)
        assert (explained.loc[result.name, "psnr"], explained.loc[result.name, "ssim"]) == (s.psnr_y, s.ssim_y)
        image = next(r.image for r in dataset if r.name == result.name)
        assert scorer.psnr(result.name, image, Pipeline()) == s.psnr_y
    assert 20.0 < ev.mean.psnr_y < 40.0  # a real score, not a degenerate one


def test_default_preparation_is_the_degradation(data: Path) -> None:
    """prepare() with a bare Degradation is degrade(): modcrop, the authors' Y or RGB, resample."""
    for record in load_dataset(str(data)):
        for space in ("y", "rgb"):
            for compute in ("float", "uint8"):
                deg = Degradation.parse("pil", scale=SCALE, space=space, compute=compute)
                p = prepare(record.image, deg, name=record.name)
                pair = degrade(record.image, deg)
                assert np.array_equal(p.upsampled, pair.input) and p.input is p.upsampled
                assert np.array_equal(p.reference, modcrop(record.image, SCALE))
        if record.image.ndim == 3:
            assert p.colour_planes is None, "an RGB network needs no chroma"


def test_lr_input_and_colour_rules() -> None:
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, size=(31, 25, 3), dtype=np.uint8)
    deg = Degradation.parse("pil", scale=SCALE)
    p = prepare(image, Preparation(deg, model_input="lr"))
    assert p.input.shape == (10, 8) and p.upsampled.shape == (30, 24)
    # the chroma of Y_MODEL_RGB: each Cb/Cr plane resampled; Y with them gives back RGB
    assert p.colour_planes is not None and p.colour_planes.shape == (30, 24, 2)
    rgb = colour_output(p, p.upsampled)
    assert rgb is not None and rgb.shape == (30, 24, 3)
    shift = prepare(image, Preparation(deg, colour="luma-shift"))
    assert np.array_equal(shift.colour_planes, resample(modcrop(image, SCALE), deg))
    assert np.array_equal(colour_output(shift, shift.upsampled), shift.colour_planes), "no correction, no change"
    assert prepare(image, Preparation(deg, colour=None)).colour_planes is None


def test_resize_to_fit_and_rgb_resize_space() -> None:
    rng = np.random.default_rng(1)
    image = rng.integers(0, 256, size=(31, 25, 3), dtype=np.uint8)
    deg = Degradation.parse("pil", scale=SCALE, compute="uint8")
    fit = prepare(image, Preparation(deg, fit="resize-to-fit"))
    assert fit.reference.shape == (30, 24, 3) and not np.array_equal(fit.reference, modcrop(image, SCALE))
    rgb_first = prepare(image, Preparation(deg, resize_space="rgb", y_definition="bt601-256", y_rounding="none"))
    y_first = prepare(image, Preparation(deg, y_definition="bt601-256", y_rounding="none"))
    assert rgb_first.upsampled.shape == y_first.upsampled.shape == (30, 24)
    assert not np.array_equal(rgb_first.upsampled, y_first.upsampled)


def test_scores_of_a_valid_model_use_the_cropped_reference(model: SRCNN) -> None:
    rng = np.random.default_rng(2)
    image = rng.integers(0, 256, size=(45, 45, 3), dtype=np.uint8)
    valid = SRCNN(dataclasses.replace(model.config, padding="valid"))
    valid.load_state_dict(model.state_dict())
    p = prepare(image, Degradation.parse("pil", scale=SCALE))
    out = run_model(valid, p)
    assert out.shape == (45 - 6, 45 - 6)
    s = score_prepared(p, out, PROTOCOLS["matlab"], crop=3)
    assert s.psnr_y is not None and s.psnr_rgb is not None


def test_bad_input_is_one_line() -> None:
    deg = Degradation.parse("pil", scale=SCALE)
    with pytest.raises(ImageError, match="expected a uint8"):
        prepare(np.zeros((30, 30), dtype=np.float64), deg)
    with pytest.raises(ImageError, match="receptive field of 13 px"):
        prepare(np.zeros((12, 30), dtype=np.uint8), deg, receptive_field=13)
    with pytest.raises(SpecError, match="preparation fit 'stretch' is not one of: modcrop, resize-to-fit"):
        Preparation(deg, fit="stretch")
    with pytest.raises(SpecError, match="resampler replaces the resize of a Y plane"):
        prepare(np.zeros((30, 30), dtype=np.uint8), Preparation(deg, model_input="lr"), resampler=lambda x: x)
    with pytest.raises(SpecError, match="precision 'half'"):
        run_model(None, prepare(np.zeros((30, 30), dtype=np.uint8), deg), precision="half")
