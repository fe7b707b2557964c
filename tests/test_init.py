"""The identity path of sr_audit.init: exact through the ReLUs, kept fixed when frozen, checked in recipes."""
from __future__ import annotations

import pytest
import torch

from sr_audit.errors import SpecError
from sr_audit.init import SKIP_OFFSET, IdentityPath
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

