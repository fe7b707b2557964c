"""The identity path of sr_audit.init: exact through the ReLUs, kept fixed when frozen, checked in recipes."""
from __future__ import annotations

import pytest
import torch

from sr_audit.errors import SpecError
from sr_audit.init import SKIP_OFFSET, IdentityPath, solve_last_layer
from sr_audit.model import PADDINGS, SRCNN, SRCNNConfig
from sr_audit.patches import PatchSet
from sr_audit.recipes import Budget, get_recipe
from sr_audit.train import TrainOptions, init_model, train_patches


def _path_only(config: SRCNNConfig) -> SRCNN:
    """A random SRCNN with the path installed and every other contribution to the output removed."""
    torch.manual_seed(0)
    model = SRCNN(config).double()
    IdentityPath.of(model).install(model)
    c = config.channels
    with torch.no_grad():
        model.conv3.weight[:, : config.n2 - c] = 0.0
        model.conv3.bias.fill_(-SKIP_OFFSET)
    return model


@pytest.mark.parametrize("padding", list(PADDINGS))
@pytest.mark.parametrize("channels", [1, 3])
def test_the_path_alone_is_the_identity_on_inputs_above_minus_the_offset(padding: str, channels: int) -> None:
    config = SRCNNConfig(f1=9, f2=5, f3=5, n1=16, n2=8, channels=channels, padding=padding)
    model = _path_only(config)
    x = torch.rand(2, channels, 30, 30, dtype=torch.float64) * 2.4 - 0.9  # [-0.9, 1.5]: centred data and overshoot
    crop = config.shrink // 2
    expected = x[..., crop : x.shape[-2] - crop, crop : x.shape[-1] - crop]
    with torch.no_grad():  # exact up to the rounding of adding and removing the offset
        assert torch.allclose(model(x), expected, rtol=0.0, atol=1e-15)
        # below -offset the ReLU cuts the carried value: the path is exact only above it
        assert (model(x - 1.5) - (expected - 1.5)).abs().max() > 0.3


def test_init_model_adds_the_path_to_the_random_network() -> None:
    recipe = get_recipe("fast")
    config = recipe.model_config
    plain, skipped = SRCNN(config).double(), SRCNN(config).double()
    init_model(plain, recipe, torch.Generator().manual_seed(3))
    init_model(skipped, recipe.replace(skip="identity"), torch.Generator().manual_seed(3))
    c, n1, n2 = 1, config.n1, config.n2
    # the other maps are the same draw; the last map of conv1 and conv2 is the path
    assert torch.equal(plain.conv1.weight[: n1 - c], skipped.conv1.weight[: n1 - c])
    assert torch.equal(plain.conv2.weight[: n2 - c], skipped.conv2.weight[: n2 - c])
    x = torch.rand(3, 1, 25, 25, dtype=torch.float64)
    with torch.no_grad():
        plain.conv3.weight[:, n2 - c :] = 0.0  # what the carried map contributed before the path replaced it
        plain.conv2.weight[:, n1 - c :] = 0.0
        skipped.conv2.weight[: n2 - c, n1 - c :] = 0.0
        plain.conv1.weight[n1 - c :] = 0.0
        plain.conv1.bias[n1 - c :] = 0.0
    crop = config.shrink // 2
    with torch.no_grad():
        assert torch.allclose(skipped(x), plain(x) + x[..., crop:-crop, crop:-crop], atol=1e-12)


def _tiny_patches() -> PatchSet:
    g = torch.Generator().manual_seed(0)
    x = torch.rand(64, 1, 17, 17, generator=g)
    return PatchSet(x, x[:, :, 6:-6, 6:-6] * 0.9 + 0.05)


@pytest.mark.parametrize("skip", ["identity", "identity-frozen"])
def test_frozen_path_stays_fixed_and_free_path_trains(skip: str) -> None:
    recipe = get_recipe("fast").replace(skip=skip, n1=8, n2=4, batch_size=8)
    model, _ = train_patches(_tiny_patches(), recipe, budget=Budget("steps", 30), options=TrainOptions(progress=False))
    path = IdentityPath.of(model)
    fixed = {k: v.float() for k, v in path.weights().items()}
    # fold_input_mean moved conv1's bias of the carried map by the mean; the weights are the test
    entries = {
        "w1": model.conv1.weight[-1:],
        "w2": model.conv2.weight[-1:],
        "b2": model.conv2.bias[-1:],
        "w3": model.conv3.weight[:, -1:],
    }
    same = all(torch.equal(entries[k], fixed[k]) for k in entries)
    assert same is (skip == "identity-frozen")


def test_recipes_check_the_skip() -> None:
    with pytest.raises(SpecError, match="skip 'residual' is not one of: none, identity, identity-frozen"):
        get_recipe("fast").replace(skip="residual")
    with pytest.raises(SpecError, match="n1 and n2 must exceed 1, got 64 and 1"):
        get_recipe("fast").replace(skip="identity", n2=1)
    assert "skip" not in get_recipe("paper").as_dict()  # store keys of recipes without it are unchanged
    with pytest.raises(SpecError, match="more than 3 maps"):
        IdentityPath(3, 3, 8, 9, 1, 5)


@pytest.mark.parametrize("frozen", [False, True])
def test_least_squares_recovers_a_last_layer_that_made_the_targets(frozen: bool) -> None:
    config = SRCNNConfig(n1=16, n2=6, padding="valid")
    torch.manual_seed(1)
    teacher = SRCNN(config).double()
    path = IdentityPath.of(teacher) if frozen else None
    if path is not None:
        path.install(teacher)
    x = torch.rand(40, 1, 17, 17, dtype=torch.float64)
    mean = torch.full((1, 1, 1, 1), 0.4, dtype=torch.float64)
    with torch.no_grad():
        y = teacher(x - mean) + mean  # targets as a centred recipe sees them: y - mean = teacher(x - mean)
    student = SRCNN(config).double()
    student.load_state_dict(teacher.state_dict())
    with torch.no_grad():
        student.conv3.weight[:, : config.n2 - (1 if frozen else 0)].normal_()
        student.conv3.bias.normal_()
    solve_last_layer(student, x, y, torch.Generator().manual_seed(0), rows=2000, mean=mean, frozen=path)
    with torch.no_grad():  # weights on maps that are never active are free; the function is not
        assert torch.allclose(student(x - mean), y - mean, rtol=0.0, atol=1e-6)  # the ridge
    if path is not None:
        assert torch.equal(student.conv3.weight[:, -1:], path.weights()["w3"])


def test_solve_last_needs_valid_grid_windows() -> None:
    with pytest.raises(SpecError, match="solve_last 'end' fits conv3 on grid windows with valid padding"):
        get_recipe("fast").replace(solve_last="end", padding="same-replicate")
    with pytest.raises(SpecError, match="solve_last 'always' is not one of: never, start, end, both"):
        get_recipe("fast").replace(solve_last="always")


def test_solve_at_the_end_refits_only_conv3_and_lowers_the_loss() -> None:
    recipe = get_recipe("fast").replace(n1=8, n2=4, batch_size=8)
    patches = _tiny_patches()
    run = {
        solve: train_patches(patches, recipe.replace(solve_last=solve), budget=Budget("steps", 20), options=TrainOptions(progress=False))[0]
        for solve in ("never", "end")
    }
    assert torch.equal(run["never"].conv1.weight, run["end"].conv1.weight)
    assert torch.equal(run["never"].conv2.weight, run["end"].conv2.weight)
    assert not torch.equal(run["never"].conv3.weight, run["end"].conv3.weight)
    with torch.no_grad():
        mse = {k: float((m(patches.inputs) - patches.targets).square().mean()) for k, m in run.items()}
    assert mse["end"] < 0.9 * mse["never"]
