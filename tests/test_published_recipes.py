"""Published recipes: the pipelines they claim, random-crop sampling, `sr-audit train --recipe`, RGB
matrices with network-space keys, and the published-vs-measured report table.

Everything runs on tiny images and a few steps (two CPU cores in CI).
"""
from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import skimage.data
import torch
from PIL import Image

from sr_audit.cli.main import main_from_args
from sr_audit.crops import CropSource, RandomCrops, build_crop_source, center_square, prepare_crops
from sr_audit.datasets import ImageRecord, load_dataset
from sr_audit.degradation import Degradation, DegradedPair, degrade, modcrop
from sr_audit.errors import DataError, SpecError
from sr_audit.evaluation import evaluate
from sr_audit.matrix import MatrixPlan, run_matrix
from sr_audit.matrix.work import find_official
from sr_audit.model import SRCNN
from sr_audit.patches import PatchSettings
from sr_audit.protocol import get_protocol
from sr_audit.published import Pipeline, ReportedFigure, TrainingData
from sr_audit.recipes import LATER_FIELDS, Budget, Recipe, get_recipe
from sr_audit.report import write_report
from sr_audit.io_util import content_hash
from sr_audit.matrix.store import CellRecord, Store, cell_key
from sr_audit.train import STATE_FILE, TrainOptions, init_model, load_state, train_patches
from sr_audit.weights import load_model

QUIET = TrainOptions(progress=False, log_every=1, checkpoint_every=Budget("steps", 4))


@pytest.fixture(autouse=True)
def _patch_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Training data is cached in the test's own folder."""
    monkeypatch.setenv("SR_AUDIT_CACHE", str(tmp_path / "cache"))


def _save_crops(folder: Path, size: int, count: int) -> Path:
    """``count`` RGB crops of scikit-image's photos, ``size`` px square, in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    photos = [skimage.data.astronaut(), skimage.data.coffee(), skimage.data.rocket(), skimage.data.chelsea()]
    for i in range(count):
        photo = photos[i % len(photos)]
        y, x = 37 * (i // len(photos)) + 20, 41 * (i // len(photos)) + 30
        Image.fromarray(photo[y : y + size, x : x + size]).save(folder / f"im{i:02d}.png")
    return folder


# --------------------------------------------------------------------------------------------
# Recipes as data


def test_recipes_without_the_later_fields_keep_their_dict() -> None:
    # keys of stores hash recipe.as_dict(): a recipe that does not use n1/n2/pipeline/reported
    # must give the dict it gave before those fields existed
    d = get_recipe("quick").as_dict()
    assert not set(LATER_FIELDS) & set(d)
    assert d["patch"] == {"size": 33, "stride": 14}
    assert set(LATER_FIELDS) & set(get_recipe("fast").as_dict()) == {"centre", "augment"}
    assert {"pipeline", "reported"} <= set(get_recipe("paper").as_dict())


@pytest.mark.parametrize("name", ["paper", "pytorch-pil", "tf-crops", "div2k-small"])
def test_published_recipes_round_trip_through_json(name: str) -> None:
    r = get_recipe(name)
    assert Recipe.from_dict(json.loads(json.dumps(r.as_dict()))) == r
    assert r.pipeline is not None and r.description


def test_nested_recipe_data_is_checked() -> None:
    data = get_recipe("div2k-small").as_dict()
    with pytest.raises(SpecError, match="unknown recipe patch key.*stride; keys: crop_size, center_crop"):
        Recipe.from_dict({**data, "patch": {"crop_size": 224, "stride": 3}})
    with pytest.raises(SpecError, match="unknown recipe pipeline key.*spec"):
        Recipe.from_dict({**data, "pipeline": {**data["pipeline"], "spec": "pil"}})
    with pytest.raises(SpecError, match="unknown recipe pipeline data key.*url"):
        Recipe.from_dict({**data, "pipeline": {**data["pipeline"], "data": {"name": "x", "shipped": False, "url": "u"}}})
    with pytest.raises(SpecError, match="unknown recipe reported figure key.*psnr_db"):
        Recipe.from_dict({**data, "reported": [{"dataset": "Set5", "scale": 2, "space": "y", "psnr_db": 30, "source": "s"}]})
    with pytest.raises(SpecError, match="shipped training data must be a standard set"):
        TrainingData("DIV2K_train_HR", shipped=True)
    with pytest.raises(SpecError, match="reported space 'lab' is not one of: y, rgb"):
        ReportedFigure("Set5", 3, "lab", 30.0, "s")
    with pytest.raises(SpecError, match="reported ssim must be a number in"):
        ReportedFigure("Set5", 3, "y", 30.0, "s", ssim=1.5)
    with pytest.raises(SpecError, match="pipeline compute 'double'"):
        Pipeline("pil", "pil", 2, "double", TrainingData("T91", shipped=True))
    with pytest.raises(SpecError, match="unknown backend|not one of"):
        Pipeline("nolib", "pil", 2, "float", TrainingData("T91", shipped=True))
    with pytest.raises(SpecError, match="center_crop must be an integer of at least crop_size"):
        RandomCrops(128, center_crop=100)
    with pytest.raises(SpecError, match="crop size 12 leaves no target pixel.*at least 13"):
        get_recipe("fast").replace(patch=RandomCrops(12))  # 9-1-5 valid loses 12 pixels


def test_paper_recipe_is_the_authors_pipeline_and_figures() -> None:
    r = get_recipe("paper")
    assert r.pipeline is not None and r.pipeline.data.shipped and r.default_train_data() == "T91"
    assert r.pipeline.degradation(r.space) == Degradation.parse("matlab-legacy", scale=3, space="y", compute="float")
    assert (r.model_config.name, r.model_config.padding, r.space, r.patch) == ("9-1-5", "valid", "y", PatchSettings(33, 14))
    [set5] = [f for f in r.reported if f.matches("set5", 3)]
    assert (set5.space, set5.psnr, set5.bicubic_psnr, set5.bicubic_ssim) == ("y", 32.39, 30.39, 0.8682)
    assert "doi:10.1007/978-3-319-10593-2_13" in set5.source


def test_paper_figures_are_the_published_table(shared_datasets: Path) -> None:
    with open(shared_datasets / "paper_results.csv", newline="") as f:
        rows = list(csv.DictReader(line for line in f if not line.startswith("#")))
    srcnn = {(r["dataset"], int(r["scale"])): float(r["psnr"]) for r in rows if r["method"] == "srcnn-9-1-5"}
    bicubic = {(r["dataset"], int(r["scale"])): (float(r["psnr"]), float(r["ssim"])) for r in rows if r["method"] == "bicubic"}
    figures = {(f.dataset, f.scale): f for f in get_recipe("paper").reported}
    assert set(figures) == set(srcnn)
    for key, f in figures.items():
        assert (f.psnr, (f.bicubic_psnr, f.bicubic_ssim)) == (srcnn[key], bicubic[key])


def test_pytorch_pil_builds_its_model_degradation_and_sampler() -> None:
    r = get_recipe("pytorch-pil")
    deg = r.pipeline.degradation(r.space)  # type: ignore[union-attr]
    assert str(deg) == "pil:lanczos3+aa/pil:bicubic+aa x3 rgb uint8"
    config = r.model_config
    assert (config.name, config.padding, config.channels, config.shrink) == ("9-5-5", "valid", 3, 16)
    assert r.patch == PatchSettings(33, 14) and r.patch.label_size(config.shrink) == 17
    assert (r.optimizer, r.momentum, r.lr, r.init, r.loss, r.budget) == ("sgd", 0.9, (1e-3, 1e-3, 1e-4), "he", "mse",
                                                                          Budget("epochs", 150))
    assert {(f.dataset, f.space): f.psnr for f in r.reported} == {
        ("Set5", "rgb"): 29.55, ("Set5", "y"): 31.45, ("Set14", "rgb"): 26.40, ("Set14", "y"): 28.39}
    model = SRCNN(r.model_config)
    assert model(torch.zeros(1, 3, 33, 33)).shape == (1, 3, 17, 17)


def test_tf_crops_builds_its_model_degradation_and_sampler() -> None:
    r = get_recipe("tf-crops")
    model = SRCNN(r.model_config)
    assert (r.model_config.n1, r.model_config.n2, r.model_config.padding) == (64, 64, "same-zero")
    assert model.conv2.out_channels == 64 and model.conv3.in_channels == 64
    assert model(torch.zeros(1, 3, 128, 128)).shape == (1, 3, 128, 128)
    assert r.patch == RandomCrops(128) and r.patch.label_size(r.model_config.shrink) == 128
    assert str(r.pipeline.degradation(r.space)) == "tf:bilinear-aa/tf:bicubic-aa x2 rgb float"  # type: ignore[union-attr]
    assert (r.optimizer, r.lr, r.init) == ("adam", (1e-3, 1e-3, 1e-3), "glorot-uniform") and not r.reported


def test_div2k_small_needs_a_user_folder() -> None:
    r = get_recipe("div2k-small")
    assert r.patch == RandomCrops(224, center_crop=800) and str(r.pipeline.degradation("rgb")).endswith("x2 rgb uint8")  # type: ignore[union-attr]
    [figure] = r.reported
    assert (figure.psnr, figure.bicubic_psnr, figure.space) == (26.44, 23.23, "rgb")
    with pytest.raises(SpecError, match=r"^recipe 'div2k-small' trains on DIV2K_train_HR, which sr-audit does not ship: "
                                        r"pass --data FOLDER \(.*DIV2K"):
        r.default_train_data()


@pytest.mark.parametrize("init", ["glorot-uniform", "torch-default"])
def test_uniform_initialisations_stay_in_their_bounds(init: str) -> None:
    recipe = get_recipe("tf-crops").replace(init=init)
    model = SRCNN(recipe.model_config)
    init_model(model, recipe, torch.Generator().manual_seed(0))
    conv = model.conv1
    fan_in, fan_out = 3 * 81, 64 * 81
    bound = (6 / (fan_in + fan_out)) ** 0.5 if init == "glorot-uniform" else fan_in ** -0.5
    w = conv.weight.abs().max().item()
    assert 0.9 * bound < w <= bound
    assert (conv.bias.abs().max().item() > 0) == (init == "torch-default")


# --------------------------------------------------------------------------------------------
# Random crops


def _pairs(shapes: list[tuple[int, int]], seed: int = 0) -> list[DegradedPair]:
    rng = np.random.default_rng(seed)
    return [DegradedPair(rng.random((h, w, 3)), rng.integers(0, 256, (h, w, 3)) / 255.0) for h, w in shapes]


def test_crop_source_leaves_out_small_images_and_pads_the_others() -> None:
    pairs = _pairs([(20, 25), (9, 40), (30, 18)])
    source = build_crop_source(pairs, RandomCrops(12), 4, uint8_inputs=False)
    assert len(source) == 2 and source.sizes.tolist() == [[20, 25], [30, 18]]
    assert tuple(source.inputs.shape) == (2, 3, 30, 25) and source.targets.dtype == torch.uint8
    with pytest.raises(DataError, match="every image is smaller than the 50x50 crop"):
        build_crop_source(pairs, RandomCrops(50), 0, uint8_inputs=False)


def test_random_crops_are_seeded_inside_the_images_and_cover_them() -> None:
    source = build_crop_source(_pairs([(20, 25), (30, 18)]), RandomCrops(12), 4, uint8_inputs=False)
    index = torch.tensor([0, 1] * 500)
    top, left = source.corners(index, torch.Generator().manual_seed(7))
    again = source.corners(index, torch.Generator().manual_seed(7))
    other = source.corners(index, torch.Generator().manual_seed(8))
    assert torch.equal(top, again[0]) and torch.equal(left, again[1]) and not torch.equal(top, other[0])
    h, w = source.sizes[index, 0], source.sizes[index, 1]
    assert bool((top >= 0).all() and (left >= 0).all() and (top + 12 <= h).all() and (left + 12 <= w).all())
    # every position is reachable: image 0 has 9 x 14 of them, image 1 has 19 x 7
    assert sorted(set(top[index == 0].tolist())) == list(range(9)) and sorted(set(left[index == 1].tolist())) == list(range(7))


def test_gathered_crops_are_the_pairs_sliced_by_hand() -> None:
    pairs = _pairs([(20, 25), (30, 18)])
    source = build_crop_source(pairs, RandomCrops(12), 4, uint8_inputs=False)
    index = torch.tensor([1, 0, 1])
    x, y = source.batch(index, torch.Generator().manual_seed(3))
    top, left = source.corners(index, torch.Generator().manual_seed(3))
    assert x.shape == (3, 3, 12, 12) and y.shape == (3, 3, 8, 8) and x.dtype == y.dtype == torch.float32
    for k, (i, t, l) in enumerate(zip(index.tolist(), top.tolist(), left.tolist())):
        want_x = pairs[i].input[t : t + 12, l : l + 12].transpose(2, 0, 1).astype(np.float32)
        want_y = pairs[i].target[t + 2 : t + 10, l + 2 : l + 10].transpose(2, 0, 1).astype(np.float32)
        assert np.array_equal(x[k].numpy(), want_x)
        np.testing.assert_allclose(y[k].numpy(), want_y, rtol=0, atol=1e-7)


def test_uint8_inputs_are_stored_exactly() -> None:
    rng = np.random.default_rng(1)
    planes = rng.integers(0, 256, (16, 16, 3))
    source = build_crop_source([DegradedPair(planes / 255.0, planes / 255.0)], RandomCrops(16), 0, uint8_inputs=True)
    assert source.inputs.dtype == torch.uint8 and np.array_equal(source.inputs[0].numpy().transpose(1, 2, 0), planes)


def test_center_square_and_prepare_crops_through_the_cache(tmp_path: Path) -> None:
    image = np.arange(7 * 9 * 3, dtype=np.uint8).reshape(7, 9, 3)
    assert np.array_equal(center_square(image, 4, "x"), image[1:5, 2:6])
    with pytest.raises(DataError, match="is 7x9, smaller than the 8x8 centre crop"):
        center_square(image, 8, "x")
    records = [ImageRecord.from_array(p.stem, np.asarray(Image.open(p)), str(p))
               for p in sorted(_save_crops(tmp_path / "im", 48, 2).iterdir())]
    crops = RandomCrops(16, center_crop=40)
    deg = Degradation.parse("pil", scale=2, space="rgb", compute="uint8")
    first = prepare_crops(records, deg, crops, 0, cache_dir=tmp_path / "c")
    second = prepare_crops(records, deg, crops, 0, cache_dir=tmp_path / "c")
    assert first.sizes.tolist() == [[40, 40], [40, 40]] and first.inputs.dtype == torch.uint8
    assert torch.equal(first.inputs, second.inputs) and torch.equal(first.targets, second.targets)
    want = degrade(np.ascontiguousarray(records[1].image[4:44, 4:44]), deg)
    assert np.array_equal(first.targets[1].numpy().transpose(1, 2, 0), modcrop(records[1].image[4:44, 4:44], 2))
    assert np.array_equal(first.inputs[1].numpy().transpose(1, 2, 0) / 255.0, want.input)


def _tiny_source() -> CropSource:
    rng = np.random.default_rng(2)
    pairs = [DegradedPair(p, np.round(p * 255) / 255) for p in (rng.random((h, w, 3)) for h, w in [(24, 30), (28, 22), (20, 26)])]
    return build_crop_source(pairs, RandomCrops(13), 0, uint8_inputs=False)


def test_training_on_random_crops_is_reproducible_and_resumes_bit_identically(tmp_path: Path) -> None:
    recipe = get_recipe("tf-crops").replace(batch_size=2, n1=8, n2=8)
    source = _tiny_source()
    budget = Budget("steps", 9)
    a, sa = train_patches(source, recipe, seed=1, budget=budget, options=QUIET)
    b, _ = train_patches(source, recipe, seed=1, budget=budget, options=QUIET)
    c, _ = train_patches(source, recipe, seed=2, budget=budget, options=QUIET)
    same = lambda m, n: all(torch.equal(x, y) for x, y in zip(m.state_dict().values(), n.state_dict().values()))  # noqa: E731
    assert same(a, b) and not same(a, c) and sa["epochs"] == 9.0  # one epoch = one batch of two of the 3 images

    def crash(info):
        if info.step == 6:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train_patches(source, recipe, seed=1, budget=budget, options=QUIET, checkpoint_dir=tmp_path, on_progress=crash)
    assert load_state(tmp_path / STATE_FILE)["step"] == 4
    resumed, summary = train_patches(source, recipe, seed=1, budget=budget, options=QUIET, checkpoint_dir=tmp_path, resume=True)
    assert same(a, resumed) and [h["loss"] for h in summary["history"]] == [h["loss"] for h in sa["history"]]
    with pytest.raises(DataError, match="only 3 training images \\(one random crop each per epoch\\) for a batch of 4"):
        train_patches(source, recipe.replace(batch_size=4), options=QUIET)


@pytest.mark.gpu
def test_random_crops_on_cuda_draw_the_cpu_corners() -> None:
    source = _tiny_source()
    index = torch.tensor([2, 0, 1])
    x_cpu, y_cpu = source.batch(index, torch.Generator().manual_seed(5))
    x_gpu, y_gpu = source.resident("cuda").batch(index.cuda(), torch.Generator().manual_seed(5))
    assert torch.equal(x_cpu, x_gpu.cpu()) and torch.equal(y_cpu, y_gpu.cpu())
    recipe = get_recipe("tf-crops").replace(batch_size=2, n1=8, n2=8)
    model, summary = train_patches(source, recipe, device="cuda", budget=Budget("steps", 3), options=QUIET)
    assert summary["device"].startswith("cuda") and next(model.parameters()).device.type == "cpu"


# --------------------------------------------------------------------------------------------
# sr-audit train --recipe


@pytest.fixture
def set5_like(tmp_path: Path) -> Path:
    """An eval folder *named* Set5 (two small crops), so the recipes' Set5 figures apply to it."""
    return _save_crops(tmp_path / "eval" / "Set5", 36, 2)


def test_cli_trains_pytorch_pil_with_its_own_pipeline_and_prints_the_figures(
        tmp_path: Path, set5_like: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _save_crops(tmp_path / "train", 100, 1)  # 25 windows of 33x33 for batches of 16
    out = tmp_path / "run"
    argv = ["train", "--recipe", "pytorch-pil", "--data", str(data), "--eval-data", str(set5_like), "--out", str(out),
            "--steps", "3", "--device", "cpu", "--no-progress"]
    assert main_from_args(argv) == 0
    text = capsys.readouterr().out
    assert "pil:lanczos3+aa/pil:bicubic+aa x3 rgb uint8" in text and "3 steps" in text
    assert "published Set5 ×3 RGB PSNR 29.55 dB" in text and "published Set5 ×3 Y PSNR 31.45 dB" in text
    assert "Set14" not in text and "changed the recipe's pipeline" not in text
    meta = load_model(out / "model.pt").metadata
    assert meta["recipe_pipeline"] is True and meta["degradation"]["space"] == "rgb"
    assert meta["train_data"]["name"] == "train" and meta["recipe"]["name"] == "pytorch-pil"
    scores = meta["eval"]["scores"]
    assert f"ours {scores['psnr_rgb']:.2f} dB" in text and meta["eval"]["psnr"] == scores["psnr_rgb"]
    assert load_model(out / "model.pt").model.config.channels == 3


def test_cli_options_override_the_recipe_pipeline(tmp_path: Path, set5_like: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _save_crops(tmp_path / "train", 100, 1)
    out = tmp_path / "run"
    argv = ["train", "--recipe", "pytorch-pil", "--backend", "cv2", "--scale", "3", "--compute", "float", "--data", str(data),
            "--eval-data", str(set5_like), "--out", str(out), "--steps", "1", "--device", "cpu", "--no-progress"]
    assert main_from_args(argv) == 0
    text = capsys.readouterr().out
    assert "cv2:bicubic-aa/cv2:bicubic-aa x3 rgb float" in text and "changed the recipe's pipeline" in text
    assert load_model(out / "model.pt").metadata["recipe_pipeline"] is False


def test_cli_trains_tf_crops_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("tensorflow", reason="the tf-crops pipeline resizes with tf.image.resize")
    data = _save_crops(tmp_path / "train", 130, 16)  # one 128x128 crop of each per epoch, batches of 16
    evals = _save_crops(tmp_path / "eval", 40, 1)
    out = tmp_path / "run"
    argv = ["train", "--recipe", "tf-crops", "--data", str(data), "--eval-data", str(evals), "--out", str(out),
            "--steps", "3", "--device", "cpu", "--no-progress"]
    assert main_from_args(argv) == 0
    assert "tf:bilinear-aa/tf:bicubic-aa x2 rgb float" in capsys.readouterr().out
    loaded = load_model(out / "model.pt")
    assert loaded.metadata["steps"] == 3 and loaded.metadata["epochs"] == 3.0
    assert (loaded.model.config.n2, loaded.model.config.padding) == (64, "same-zero")


def test_cli_errors_name_the_missing_pipeline_or_data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main_from_args(["train", "--recipe", "fast", "--out", str(tmp_path / "a")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.endswith("recipe 'fast' has no pipeline of its own: pass --backend SPEC and --scale S") and "\n" not in err
    assert main_from_args(["train", "--recipe", "div2k-small", "--out", str(tmp_path / "b")]) == 2
    err = capsys.readouterr().err.strip()
    assert "does not ship: pass --data FOLDER" in err and "\n" not in err
    assert main_from_args(["matrix", "--recipe", "div2k-small", "--train", "pil", "--eval", "pil",
                           "--out", str(tmp_path / "c"), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert "recipe 'div2k-small' trains on DIV2K_train_HR, which sr-audit does not ship: pass --data FOLDER" in err
    assert "\n" not in err


# --------------------------------------------------------------------------------------------
# The matrix in RGB, keys and the report


def test_matrix_defaults_come_from_the_recipe() -> None:
    plan = MatrixPlan.from_options(train="pil", eval="pil", recipe="pytorch-pil")
    assert (plan.scales, plan.train_data, plan.eval_data, plan.space) == ((3,), "T91", ("Set5", "Set14"), "rgb")
    quick = MatrixPlan.from_options(train="pil", eval="pil")
    assert (quick.scales, quick.train_data, quick.eval_data, quick.space) == ((3,), "embedded-train", ("embedded-eval",), "y")
    tf = MatrixPlan.from_options(train="pil", eval="pil", recipe="tf-crops", data="embedded-train", scales="4")
    assert (tf.scales, tf.eval_data) == ((4,), ("embedded-eval",))
    official, notes = find_official(plan)
    assert official == () and notes == ("authors' weights skipped: they are Y models and recipe 'pytorch-pil' trains in rgb",)


def test_y_cell_keys_are_unchanged_and_rgb_keys_differ() -> None:
    inputs = {"kind": "bicubic", "model_key": None, "eval_spec": "pil:bicubic+aa", "eval_set": "Set5", "scale": 3,
              "protocol": {"name": "matlab"}, "data": {"baby": "ab"}, "versions": {"torch": "2"}}
    before = content_hash(inputs)  # how every key was made before cells had a space
    assert cell_key(inputs) == cell_key({**inputs, "space": "y"}) == before
    assert cell_key({**inputs, "space": "rgb"}) != before


@pytest.fixture(scope="module")
def rgb_run(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("rgb-matrix")
    train = _save_crops(root / "train", 60, 2)
    evals = _save_crops(root / "eval" / "Set5", 36, 2)
    recipe = get_recipe("pytorch-pil").replace(budget=Budget("steps", 4), batch_size=8)
    plan = MatrixPlan(train_specs=("pil",), eval_specs=("pil",), recipe=recipe, train_data=str(train),
                      eval_data=(str(evals),), data_root=str(root), device="cpu", crop_size=16, crop_images=1)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SR_AUDIT_CACHE", str(root / "cache"))
        result = run_matrix(plan, root / "store", progress=False)
    return plan, result, write_report(Store(result.store))


def test_rgb_matrix_stores_rgb_cells_equal_to_evaluate(rgb_run) -> None:
    plan, result, _ = rgb_run
    store = Store(result.store)
    cells = {c.kind: c for c in store.cell_records()}
    assert set(cells) == {"trained", "bicubic"} and {c.space for c in cells.values()} == {"rgb"}
    for c in cells.values():
        assert c.key == cell_key({**c.key_inputs()}) and "space" in c.key_inputs()
    [model_record] = store.model_records()
    model = load_model(store.checkpoint_path(model_record.key)).model
    assert model.config.channels == 3 and model.config.padding == "same-replicate"
    deg = Degradation.parse("pil", scale=3, space="rgb", compute="float")
    want = evaluate(model, load_dataset(plan.eval_data[0]), deg, get_protocol("matlab"))
    got = cells["trained"]
    assert [round(i.psnr_rgb, 9) for i in got.images] == [round(r.scores.psnr_rgb, 9) for r in want.images]
    assert [round(i.psnr_y, 9) for i in got.images] == [round(r.scores.psnr_y, 9) for r in want.images]
    bicubic = evaluate(None, load_dataset(plan.eval_data[0]), deg, get_protocol("matlab"))
    assert cells["bicubic"].means["psnr_rgb"] == pytest.approx(bicubic.mean.psnr_rgb, abs=1e-9)
    old = {k: v for k, v in cells["bicubic"].as_dict().items() if k not in ("space", "key", "means")}
    assert CellRecord.from_dict({**old, "schema": 1}).space == "y"  # a cell.json written before spaces is Y


def test_report_shows_published_figures_beside_the_measured_cells(rgb_run) -> None:
    _, result, report = rgb_run
    store = Store(result.store)
    trained = next(c for c in store.cell_records() if c.kind == "trained")
    bicubic = next(c for c in store.cell_records() if c.kind == "bicubic")
    markdown = report.markdown.read_text(encoding="utf-8")
    section = markdown.split("## Published vs measured", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| pytorch-pil")]
    assert len(rows) == 4  # Set5 RGB and Y measured; Set14 RGB and Y not measured here
    rgb_row = next(r for r in rows if "| Set5 | ×3 | RGB |" in r)
    ours = trained.means["psnr_rgb"]
    cells = [c.strip() for c in rgb_row.strip("|").split("|")]
    assert cells[4] == "29.55" and cells[6] == "pil:bicubic+aa" and cells[9] == f"{ours:.2f}"
    assert cells[11] == f"{ours - 29.55:+.2f}".replace("-", "−") and cells[13] == f"{bicubic.means['psnr_rgb']:.2f}"
    assert sum("not measured in this store" in r for r in rows) == 2 and "1. a PyTorch + Pillow" in section
    html = report.html.read_text(encoding="utf-8")
    assert 'id="published"' in html and "29.55" in html and "SRCNN 9-5-5 RGB" in html
