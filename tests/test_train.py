"""Recipes as data, and the training loop: reproducibility, resume, divergence, budgets, checkpoints."""
from __future__ import annotations

import math

import pytest
import torch

from sr_audit.errors import DataError, SpecError
from sr_audit.model import SRCNN, SRCNNConfig, fold_input_mean
from sr_audit.patches import PatchSet, PatchSettings
from sr_audit.recipes import RECIPES, Budget, Recipe, get_recipe
from sr_audit.train import (
    STATE_FILE,
    TrainingDivergedError,
    TrainOptions,
    init_model,
    load_state,
    loss_function,
    train_patches,
)

# --- recipes -------------------------------------------------------------------------------------


def test_paper_recipe_is_the_papers_setting():
    r = get_recipe("paper")
    assert (r.optimizer, r.momentum, r.lr, r.loss) == ("sgd", 0.9, (1e-4, 1e-4, 1e-5), "caffe-euclidean")
    assert (r.init, r.init_std, r.batch_size, r.patch) == ("gaussian", 0.001, 128, PatchSettings(33, 14))
    assert (r.model_config.name, r.model_config.padding, r.model_config.channels) == ("9-1-5", "valid", 1)
    assert r.patch.label_size(r.model_config.shrink) == 21


def test_sprint_is_fast_with_the_identity_path_whitening_larger_batches_scaled_rates_bfloat16_and_a_horizon():
    # what benchmarks/README.md measured: these eight fields, nothing else, turn fast into sprint
    fast, sprint = get_recipe("fast"), get_recipe("sprint")
    changed = {k for k, v in sprint.as_dict().items() if fast.as_dict().get(k) != v}
    assert changed == {"name", "description", "lr", "skip", "budget", "batch_size", "whiten", "lr_at_scale", "precision",
                       "horizon"}
    assert (sprint.lr, sprint.skip, sprint.budget) == ((1e-2, 1e-2, 1e-2), "identity-frozen", Budget("steps", 5_000))
    assert (sprint.batch_size, sprint.whiten, sprint.precision, sprint.horizon) == (16, 10.0, "bfloat16", 6_000)
    # the rates of the runs in benchmarks/README.md, bit for bit
    assert [sprint.rates(s)[0] for s in (2, 3, 4)] == [15e-3, 1e-2, 7.5e-3]


def test_rates_follow_the_scale_only_when_asked():
    fast, sprint = get_recipe("fast"), get_recipe("sprint")
    assert fast.rates() == fast.rates(4) == fast.lr
    assert sprint.rates(6) == (5e-3, 5e-3, 5e-3)
    with pytest.raises(SpecError, match="sets its learning rates by the SR scale"):
        sprint.rates()
    with pytest.raises(SpecError, match="sets its learning rates by the SR scale"):
        train_patches(_patches(), sprint.replace(patch=PatchSettings(21, 7), augment="none"), budget=Budget("steps", 1),
                      options=QUIET)
    for bad in (0, 2.5, True, "3"):
        with pytest.raises(SpecError, match="lr_at_scale must be null or a positive integer"):
            fast.replace(lr_at_scale=bad)
    _, summary = train_patches(_patches(), SMALL.replace(lr_at_scale=3), budget=Budget("steps", 2), options=QUIET, scale=2)
    assert summary["lr"] == [r * 1.5 for r in SMALL.lr]


def test_unknown_recipe_lists_the_known_ones():
    with pytest.raises(SpecError, match=f"unknown recipe 'fastest'; recipes: {', '.join(RECIPES)}$"):
        get_recipe("fastest")
    assert {"paper", "fast"} <= set(RECIPES)


@pytest.mark.parametrize("name", list(RECIPES))
def test_every_recipe_round_trips_through_plain_data(name):
    r = get_recipe(name)
    assert Recipe.from_dict(r.as_dict()) == r
    assert r.name == name


def test_recipe_data_is_checked():
    data = get_recipe("fast").as_dict()
    with pytest.raises(SpecError, match="unknown recipe key.*learning_rate"):
        Recipe.from_dict({**data, "learning_rate": 1e-3})
    with pytest.raises(SpecError, match="unknown recipe patch key.*step"):
        Recipe.from_dict({**data, "patch": {"size": 33, "step": 14}})
    with pytest.raises(SpecError, match="optimizer 'rmsprop' is not one of: sgd, adam"):
        get_recipe("fast").replace(optimizer="rmsprop")
    with pytest.raises(SpecError, match="three learning rates"):
        get_recipe("fast").replace(lr=(1e-3, 1e-3))
    with pytest.raises(SpecError, match="patch size of at least 13"):
        get_recipe("fast").replace(patch=PatchSettings(11, 5))
    with pytest.raises(SpecError, match="unknown recipe field"):
        get_recipe("fast").replace(epochs=3)
    with pytest.raises(SpecError, match="budget unit 'hours'"):
        Budget("hours", 1)
    with pytest.raises(SpecError, match="whole number"):
        Budget("steps", 2.5)


def test_schedule_and_budget_arithmetic():
    r = get_recipe("fast").replace(schedule="cosine", warmup=0.1, final_lr=0.01)
    assert r.lr_factor(0.0) == 0.0 and r.lr_factor(0.05) == pytest.approx(0.5)
    assert r.lr_factor(0.1) == pytest.approx(1.0) and r.lr_factor(1.0) == pytest.approx(0.01)
    assert r.lr_factor(0.55) == pytest.approx(0.505)
    assert Budget("epochs", 2).total_steps(1000, 128) == math.ceil(2 * 1000 / 128)
    assert Budget("minutes", 1).total_steps(1000, 128) is None


def test_caffe_loss_is_mse_times_half_the_label_area():
    # the relation the recipes module documents: lr under mse = lr under caffe-euclidean * label² / 2
    out, target = torch.rand(8, 1, 21, 21), torch.rand(8, 1, 21, 21)
    caffe = loss_function(get_recipe("paper"))(out, target)
    mse = loss_function(get_recipe("fast"))(out, target)
    assert caffe.item() == pytest.approx(mse.item() * 21 * 21 / 2, rel=1e-6)
    l1 = loss_function(get_recipe("fast").replace(loss="l1"))(out, target)
    assert l1.item() == pytest.approx((out - target).abs().mean().item(), rel=1e-6)


# --- the loop ------------------------------------------------------------------------------------


def _patches(n: int = 96, seed: int = 0) -> PatchSet:
    """Windows whose targets are a smoothed copy of the inputs' centres: learnable, quick."""
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 1, 21, 21, generator=g)
    y = torch.nn.functional.avg_pool2d(x, 3, 1)[:, :, 5:-5, 5:-5].contiguous()  # centres 6..14
    return PatchSet(x, y)


# 9-1-5 valid on 21x21 windows: 9x9 targets
SMALL = get_recipe("fast").replace(patch=PatchSettings(21, 7), batch_size=16, centre=False, augment="none")
QUIET = TrainOptions(progress=False, log_every=1, checkpoint_every=Budget("steps", 5))


def test_a_horizon_ends_the_schedule_after_that_many_steps() -> None:
    r = SMALL.replace(horizon=4)
    assert r.lr_factor(0.2, step=2) == SMALL.lr_factor(0.5) and r.lr_factor(0.9, step=2) == SMALL.lr_factor(0.9)
    seen: dict[int, list[float]] = {8: [], 4: []}
    for recipe, steps in ((r, 8), (SMALL, 4)):
        train_patches(_patches(), recipe, budget=Budget("steps", steps), options=QUIET,
                      on_progress=lambda info, steps=steps: seen[steps].append(info.lr_factor))
    # the 8-step run with horizon 4 schedules its first 4 steps as a 4-step run, then holds final_lr
    assert len(seen[8]) == 8 and seen[8][:4] == seen[4] and seen[8][4:] == [SMALL.final_lr] * 4
    for bad in (0, 2.5, True, "6000"):
        with pytest.raises(SpecError, match="horizon must be null or a positive number of steps"):
            SMALL.replace(horizon=bad)
    assert "horizon" not in SMALL.as_dict()  # a recipe without one keeps its dict (and store keys)


def _same_weights(a, b) -> bool:
    return all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))


def test_same_seed_gives_identical_weights_and_another_seed_differs():
    p = _patches()
    a, sa = train_patches(p, SMALL, seed=3, budget=Budget("steps", 12), options=QUIET)
    b, sb = train_patches(p, SMALL, seed=3, budget=Budget("steps", 12), options=QUIET)
    c, _ = train_patches(p, SMALL, seed=4, budget=Budget("steps", 12), options=QUIET)
    assert _same_weights(a, b) and [h["loss"] for h in sa["history"]] == [h["loss"] for h in sb["history"]]
    assert not _same_weights(a, c)
    assert sa["steps"] == 12 and sa["final_loss"] < sa["history"][0]["loss"] * 2


def test_training_lowers_the_loss():
    p = _patches()
    _, s = train_patches(p, SMALL, budget=Budget("steps", 60), options=QUIET)
    losses = [h["loss"] for h in s["history"]]
    assert losses[-1] < 0.5 * losses[0]


@pytest.mark.parametrize(
    "recipe",
    [
        SMALL,
        SMALL.replace(centre=True, augment="dihedral"),
        SMALL.replace(centre=True, augment="dihedral", skip="identity-frozen", average=0.9),
    ],
    ids=["plain", "centre-dihedral", "skip-average"],
)
def test_resume_continues_bit_identically(tmp_path, recipe):
    p = _patches()
    # 6 steps per epoch (48 with 8 orientations): a resume in the middle of an epoch
    budget = Budget("epochs", 4) if recipe.augment == "none" else Budget("steps", 24)
    full, full_summary = train_patches(p, recipe, seed=1, budget=budget, options=QUIET)

    def crash(info):
        if info.step == 13:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train_patches(p, recipe, seed=1, budget=budget, options=QUIET, checkpoint_dir=tmp_path, on_progress=crash)
    assert load_state(tmp_path / STATE_FILE)["step"] == 10
    resumed, summary = train_patches(p, recipe, seed=1, budget=budget, options=QUIET, checkpoint_dir=tmp_path, resume=True)
    assert _same_weights(full, resumed)
    assert summary["steps"] == full_summary["steps"] == 24
    assert [h["loss"] for h in summary["history"]] == [h["loss"] for h in full_summary["history"]]


def test_average_is_the_moving_average_of_the_iterates():
    p = _patches()
    recipe = SMALL.replace(schedule="constant", warmup=0.0)  # iterates that do not depend on the budget
    model = SRCNN(recipe.model_config)
    init_model(model, recipe, torch.Generator().manual_seed(2))
    expected = [t.detach().clone() for t in model.parameters()]
    for steps in (1, 2, 3):
        iterate, _ = train_patches(p, recipe, seed=2, budget=Budget("steps", steps), options=QUIET)
        for kept, param in zip(expected, iterate.parameters()):
            kept.mul_(0.75).add_(param.detach(), alpha=0.25)
    averaged, _ = train_patches(p, recipe.replace(average=0.75), seed=2, budget=Budget("steps", 3), options=QUIET)
    assert all(torch.allclose(a, e, rtol=0, atol=1e-7) for a, e in zip(averaged.parameters(), expected))
    assert not torch.allclose(averaged.conv1.weight, iterate.conv1.weight, atol=1e-4)
    with pytest.raises(SpecError, match=r"average must be a number in \[0, 1\)"):
        recipe.replace(average=1.0)


def test_existing_checkpoint_needs_resume_and_must_match(tmp_path):
    p = _patches()
    train_patches(p, SMALL, budget=Budget("steps", 5), options=QUIET, checkpoint_dir=tmp_path)
    with pytest.raises(DataError, match="pass --resume"):
        train_patches(p, SMALL, budget=Budget("steps", 5), options=QUIET, checkpoint_dir=tmp_path)
    with pytest.raises(DataError, match="different run"):
        train_patches(p, SMALL, seed=9, budget=Budget("steps", 5), options=QUIET, checkpoint_dir=tmp_path, resume=True)
    with pytest.raises(DataError, match="no training checkpoint"):
        train_patches(p, SMALL, options=QUIET, checkpoint_dir=tmp_path / "other", resume=True)


def test_resume_with_a_larger_budget_extends_the_run(tmp_path):
    p = _patches()
    _, first = train_patches(p, SMALL, budget=Budget("steps", 5), options=QUIET, checkpoint_dir=tmp_path)
    assert first["budget_extended_from"] is None and load_state(tmp_path / STATE_FILE)["step"] == 5
    _, extended = train_patches(p, SMALL, budget=Budget("steps", 9), options=QUIET, checkpoint_dir=tmp_path, resume=True)
    assert extended["steps"] == 9 and extended["budget_extended_from"] == "5 steps"
    assert [h["step"] for h in extended["history"]][: len(first["history"])] == [h["step"] for h in first["history"]]
    with pytest.raises(SpecError, match="already at step 9, past a budget of 6 steps"):
        train_patches(p, SMALL, budget=Budget("steps", 6), options=QUIET, checkpoint_dir=tmp_path, resume=True)
    with pytest.raises(SpecError, match="resume it with a budget in steps"):
        train_patches(p, SMALL, budget=Budget("epochs", 3), options=QUIET, checkpoint_dir=tmp_path, resume=True)
    _, again = train_patches(p, SMALL, budget=Budget("steps", 9), options=QUIET, checkpoint_dir=tmp_path, resume=True)
    assert again["steps"] == 9 and again["budget_extended_from"] is None


def test_divergence_stops_with_one_line_and_keeps_the_last_good_checkpoint(tmp_path):
    p = _patches()
    wild = SMALL.replace(optimizer="sgd", loss="caffe-euclidean", lr=(10.0, 10.0, 10.0), schedule="constant", warmup=0.0)
    options = TrainOptions(progress=False, log_every=1, checkpoint_every=Budget("steps", 1))
    with pytest.raises(TrainingDivergedError, match=r"diverged by step \d+ .*lower the learning rates.*last good checkpoint kept") as info:
        train_patches(p, wild, budget=Budget("steps", 50), options=options, checkpoint_dir=tmp_path)
    assert "\n" not in str(info.value)
    state = load_state(tmp_path / STATE_FILE)
    assert 1 <= state["step"] < 50
    assert all(torch.isfinite(v).all() for v in state["model"].values())


def test_time_budget_stops_on_time():
    _, s = train_patches(_patches(), SMALL, budget=Budget("minutes", 0.01), options=QUIET)
    assert s["train_seconds"] >= 0.6 and s["steps"] >= 1


def test_evaluator_runs_at_the_checkpoint_cadence_and_at_the_end():
    calls = []

    def evaluator(model):
        assert not model.training
        calls.append(1)
        return 30.0 + len(calls)

    _, s = train_patches(_patches(), SMALL, budget=Budget("steps", 12), options=QUIET, evaluator=evaluator)
    assert [h["step"] for h in s["history"]] == [5, 10, 12]
    assert s["psnr"] == 33.0 and [h["psnr"] for h in s["history"]] == [31.0, 32.0, 33.0]


def test_patch_set_must_fit_the_recipe():
    with pytest.raises(DataError, match="do not fit recipe"):
        train_patches(PatchSet(torch.zeros(40, 1, 21, 21), torch.zeros(40, 1, 21, 21)), SMALL, options=QUIET)
    with pytest.raises(DataError, match="smaller batch_size"):
        train_patches(_patches(8), SMALL, options=QUIET)


@pytest.mark.gpu
def test_cuda_training_runs_with_resident_data():
    m, s = train_patches(_patches(), SMALL, device="cuda", budget=Budget("steps", 10), options=QUIET)
    assert s["device"].startswith("cuda") and next(m.parameters()).device.type == "cpu"


# --- centring ------------------------------------------------------------------------------------


@pytest.mark.parametrize("padding", ["valid", "same-replicate"])
@pytest.mark.parametrize("channels", [1, 3])
def test_folded_mean_computes_on_raw_inputs_what_the_model_does_on_centred_ones(padding, channels):
    torch.manual_seed(0)
    model = SRCNN(SRCNNConfig.from_name("9-1-5", channels=channels, padding=padding, n1=8, n2=4)).double()
    mean = [0.45, 0.3, 0.6][:channels]
    x = torch.rand(2, channels, 30, 31, dtype=torch.float64)
    m = torch.tensor(mean, dtype=torch.float64)[None, :, None, None]
    folded = fold_input_mean(model, mean)
    assert torch.allclose(folded(x), model(x - m) + m, atol=1e-12)
    assert not torch.equal(folded.conv1.bias, model.conv1.bias), "nothing was folded"


def test_folding_refuses_zero_padding_and_a_wrong_channel_count():
    with pytest.raises(SpecError, match="zero-padded"):
        fold_input_mean(SRCNN(SRCNNConfig.from_name("9-1-5", padding="same-zero")), [0.5])
    with pytest.raises(SpecError, match="needs 3 values"):
        fold_input_mean(SRCNN(SRCNNConfig.from_name("9-1-5", channels=3)), [0.5])


def test_centre_recipe_checks_and_keeps_old_recipe_dicts():
    with pytest.raises(SpecError, match="centre needs valid or same-replicate padding"):
        SMALL.replace(centre=True, eval_padding="same-zero")
    with pytest.raises(SpecError, match="centre must be true or false"):
        SMALL.replace(centre=1)
    assert "centre" not in get_recipe("paper").as_dict(), "store keys of recipes without centring must not change"
    assert Recipe.from_dict(SMALL.replace(centre=True).as_dict()).centre is True


def test_centre_trains_on_centred_windows_and_returns_the_folded_model(tmp_path):
    p = _patches()
    mean = p.input_mean()
    assert mean == pytest.approx([float(p.inputs.double().mean())])
    scored = []

    def evaluator(model):
        scored.append({k: v.detach().cpu().clone() for k, v in model.state_dict().items()})
        return 30.0

    centred = SMALL.replace(centre=True)
    a, summary = train_patches(
        p, centred, seed=2, budget=Budget("steps", 12), options=QUIET, evaluator=evaluator, checkpoint_dir=tmp_path
    )
    assert summary["input_mean"] == mean
    # the same run by hand: shifted windows, a plain recipe, then the fold
    m = torch.tensor(mean, dtype=torch.float32)[None, :, None, None]
    b, _ = train_patches(PatchSet(p.inputs - m, p.targets - m), SMALL, seed=2, budget=Budget("steps", 12), options=QUIET)
    assert _same_weights(a, fold_input_mean(b, mean))
    assert all(torch.equal(v, a.state_dict()[k]) for k, v in scored[-1].items()), "evaluation saw another model"
    # the checkpoint holds the unfolded training weights, which the resumed run folds again
    unfolded = load_state(tmp_path / STATE_FILE)["model"]
    assert all(torch.equal(v, b.state_dict()[k]) for k, v in unfolded.items())
    plain, _ = train_patches(p, SMALL, seed=2, budget=Budget("steps", 12), options=QUIET)
    assert not _same_weights(a, plain)


def test_crop_source_mean_counts_image_pixels_not_padding():
    from sr_audit.crops import CropSource

    g = torch.Generator().manual_seed(0)
    small, large = torch.randint(0, 256, (1, 20, 24), generator=g), torch.randint(0, 256, (1, 30, 28), generator=g)
    planes = torch.zeros(2, 1, 30, 28, dtype=torch.uint8)
    planes[0, :, :20, :24], planes[1] = small, large
    planes[0, :, 20:, :] = 255  # whatever lies outside an image must not count
    source = CropSource(planes, planes.clone(), torch.tensor([[20, 24], [30, 28]]), 16, 12)
    expected = torch.cat([small.flatten(), large.flatten()]).double().mean() / 255
    assert source.input_mean() == pytest.approx([float(expected)], abs=1e-12)


# --- train_model and the command line ------------------------------------------------------------


@pytest.fixture
def image_folder(tmp_path):
    from sr_audit.image_io import write_image

    g = torch.Generator().manual_seed(5)
    folder = tmp_path / "images"
    folder.mkdir()
    for i in range(3):
        smooth = torch.nn.functional.interpolate(torch.rand(1, 3, 12, 13, generator=g), size=(120, 123), mode="bilinear")
        write_image(folder / f"im{i}.png", (smooth[0].permute(1, 2, 0) * 255).round().to(torch.uint8).numpy())
    return folder


def test_train_model_saves_the_model_with_metadata(tmp_path, image_folder):
    from sr_audit.datasets import load_dataset
    from sr_audit.degradation import Degradation
    from sr_audit.train import MODEL_FILE, train_model
    from sr_audit.weights import load_model

    data = load_dataset(image_folder)
    deg = Degradation.parse("pil", scale=3)
    recipe = get_recipe("fast").replace(batch_size=4)
    result = train_model(
        deg, data, recipe, device="cpu", budget=Budget("steps", 3), checkpoint_dir=tmp_path / "run",
        eval_images=data, progress=False, cache_dir=tmp_path / "cache",
    )
    loaded = load_model(tmp_path / "run" / MODEL_FILE)
    assert loaded.model.config == recipe.eval_config and loaded.model.config.padding == "same-replicate"
    assert all(torch.equal(a, b) for a, b in zip(loaded.model.state_dict().values(), result.model.state_dict().values()))
    meta = loaded.metadata
    assert meta["recipe"] == recipe.as_dict() and meta["seed"] == 0 and meta["steps"] == 3
    assert meta["degradation_spec"] == str(deg)
    assert [i["sha256"] for i in meta["train_data"]["images"]] == [r.sha256 for r in data]
    assert meta["eval"]["protocol"] == "matlab" and 5 < meta["eval"]["psnr"] < 60
    assert meta["versions"]["backend pil"].startswith("Pillow") and meta["wall_seconds"] >= meta["train_seconds"]


def test_training_leaves_the_allocator_to_the_program_and_records_it(monkeypatch, image_folder):
    import sr_audit.allocator as allocator
    import sr_audit.train as train
    from sr_audit.datasets import load_dataset
    from sr_audit.degradation import Degradation

    calls = []
    monkeypatch.setattr(allocator, "retain_freed_memory", lambda: calls.append("tuned") or True)
    monkeypatch.setattr(train, "freed_memory_retained", lambda: True)  # as after the command opted in
    train_patches(_patches(), SMALL, budget=Budget("steps", 2), options=QUIET)
    recipe = get_recipe("quick").replace(batch_size=8)
    result = train.train_model(
        Degradation.parse("pil", scale=3), load_dataset(str(image_folder)), recipe, budget=Budget("steps", 2), device="cpu", progress=False
    )
    assert calls == [] and result.metadata["freed_memory_retained"] is True


@pytest.mark.parametrize("command", ["train", "matrix"])
def test_the_commands_opt_in_to_the_allocator_tuning_on_the_cpu(monkeypatch, command):
    """``sr-audit train`` and ``sr-audit matrix`` own their process, so they tune it (the library does not)."""
    import importlib

    module = importlib.import_module(f"sr_audit.cli.{command}_cmd")
    calls = []

    class Stop(Exception):
        pass

    def stop(*args, **kwargs):
        raise Stop

    monkeypatch.setattr(module, "retain_freed_memory", lambda: calls.append("tuned") or True)
    monkeypatch.setattr(module, "train_model" if command == "train" else "run_matrix", stop)
    from sr_audit.cli.main import main_from_args

    args = ["train", "--backend", "pil", "--scale", "3", "--out", "unused"] if command == "train" else ["matrix", "--out", "unused"]
    with pytest.raises(Stop):
        main_from_args([*args, "--device", "cpu"])
    assert calls == ["tuned"]


def test_train_model_refuses_a_degradation_in_the_wrong_space(image_folder):
    from sr_audit.datasets import load_dataset
    from sr_audit.degradation import Degradation
    from sr_audit.train import train_model

    with pytest.raises(SpecError, match="needs a degradation in space 'y'"):
        train_model(Degradation.parse("pil", scale=3, space="rgb"), load_dataset(image_folder), "fast", progress=False)


def test_cli_trains_refuses_to_overwrite_and_resumes(tmp_path, image_folder, capsys):
    from sr_audit.cli.main import main_from_args

    out = tmp_path / "run"
    argv = [
        "train", "--backend", "pil", "--scale", "3", "--data", str(image_folder), "--eval-data", "none",
        "--out", str(out), "--steps", "2", "--device", "cpu", "--no-progress", "--cache-dir", str(tmp_path / "c"),
        "--recipe", "paper",
    ]
    assert main_from_args(argv) == 0
    assert "2 steps" in capsys.readouterr().out and (out / "model.pt").is_file()
    assert main_from_args(argv) == 2
    assert "pass --resume" in capsys.readouterr().err
    assert main_from_args(argv + ["--resume"]) == 0
    assert main_from_args([*argv[:-1], "nope"]) == 2
    assert f"unknown recipe 'nope'; recipes: {', '.join(RECIPES)}" in capsys.readouterr().err


def test_a_damaged_training_checkpoint_is_one_line(tmp_path) -> None:
    """load_state reads through the one torch-file reader: a damaged file is a one-line DataError."""
    from sr_audit.errors import DataError
    from sr_audit.train import load_state

    path = tmp_path / "state.pt"
    path.write_bytes(b"not a torch file")
    with pytest.raises(DataError) as err:
        load_state(path)
    assert "\n" not in str(err.value) and "an sr-audit training checkpoint" in str(err.value)
    with pytest.raises(DataError, match="run without --resume"):
        load_state(tmp_path / "missing.pt")
