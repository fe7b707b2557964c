"""The whitened conv1 (sr_audit.whiten): the moment, the whitening, the gradient, and a plain SRCNN at the end."""
from __future__ import annotations

import pytest
import torch

from sr_audit.crops import CropSource
from sr_audit.errors import DataError, SpecError
from sr_audit.init import IdentityPath
from sr_audit.model import SRCNN, SRCNNConfig
from sr_audit.patches import PatchSet, PatchSettings
from sr_audit.recipes import Budget, get_recipe
from sr_audit.train import STATE_FILE, TrainOptions, load_state, train_patches
from sr_audit.whiten import MOMENT_GRID, WhitenedConv1, patch_moment, whitening_matrix

QUIET = TrainOptions(progress=False, log_every=1, checkpoint_every=Budget("steps", 5))
SMALL = get_recipe("fast").replace(patch=PatchSettings(21, 7), batch_size=16, centre=False, augment="none")


def _patches(n: int = 96, seed: int = 0) -> PatchSet:
    g = torch.Generator().manual_seed(seed)
    x = torch.nn.functional.avg_pool2d(torch.rand(n, 1, 23, 23, generator=g), 3, 1)  # correlated neighbours
    y = torch.nn.functional.avg_pool2d(x, 3, 1)[:, :, 5:-5, 5:-5].contiguous()
    return PatchSet(x.contiguous(), y)


def test_patch_moment_is_the_mean_outer_product_of_the_grid_patches():
    x = torch.rand(5, 2, 12, 14, dtype=torch.float64)
    shift = torch.tensor([0.3, 0.6], dtype=torch.float64)[None, :, None, None]
    rows = torch.linspace(0, 12 - 3, MOMENT_GRID).round().long().unique()
    cols = torch.linspace(0, 14 - 3, MOMENT_GRID).round().long().unique()
    flat = torch.stack([(x - shift)[:, :, r : r + 3, q : q + 3].reshape(5, -1) for r in rows for q in cols]).reshape(-1, 18)
    assert torch.allclose(patch_moment(x, 3, shift), flat.T @ flat / len(flat), rtol=0, atol=1e-12)
    with pytest.raises(DataError, match="smaller than conv1's 15x15 filter"):
        patch_moment(x, 15)


def test_whitening_matrix_inverts_the_floored_moment():
    a = torch.randn(40, 9, dtype=torch.float64) @ torch.diag(torch.logspace(0, -3, 9, dtype=torch.float64))
    m = a.T @ a / 40
    z = whitening_matrix(m, 10.0)
    floored = m + 10.0 * torch.linalg.eigvalsh(m).mean() * torch.eye(9, dtype=torch.float64)
    assert torch.allclose(z, z.T, atol=1e-12)
    assert torch.allclose(z @ floored @ z, torch.eye(9, dtype=torch.float64), atol=1e-10)


def test_the_gradient_of_v_is_the_chain_rule_through_w_equals_v_z():
    torch.manual_seed(0)
    model = SRCNN(SRCNNConfig(padding="valid", n1=6, n2=4))
    z = whitening_matrix(patch_moment(torch.rand(8, 1, 17, 17), 9), 0.5).float()
    whitened = WhitenedConv1(model, z, keep=1)
    x, y = torch.rand(3, 1, 17, 17), torch.rand(3, 1, 5, 5)
    torch.nn.functional.mse_loss(model(x), y).backward()
    whitened.pull_gradient()
    assert model.conv1.weight.grad is None  # cleared: no optimizer sees W's gradient
    # the same loss written with W as a function of V, differentiated by autograd
    v = whitened.v.detach().clone().requires_grad_(True)
    flat = v.flatten(1)
    w = torch.cat((flat[:5] @ z, flat[5:])).view_as(v)
    h = torch.relu(torch.nn.functional.conv2d(x, w, model.conv1.bias))
    h = torch.relu(model.conv2(h))
    torch.nn.functional.mse_loss(model.conv3(h), y).backward()
    assert torch.allclose(whitened.v.grad, v.grad, rtol=1e-4, atol=1e-6 * float(v.grad.abs().max()))
    assert torch.equal(model.conv1.weight.detach(), w.detach())  # the model holds W = V Z


def test_a_whitened_run_saves_a_plain_srcnn_holding_v_z(tmp_path):
    recipe = SMALL.replace(whiten=10.0)
    model, _ = train_patches(_patches(), recipe, seed=1, budget=Budget("steps", 10), options=QUIET, checkpoint_dir=tmp_path)
    assert set(model.state_dict()) == set(SRCNN(recipe.model_config).state_dict())
    state = load_state(tmp_path / STATE_FILE)
    z = whitening_matrix(_patches().input_moment(9, None), 10.0).float()
    expected = (state["whitened"].flatten(1) @ z).view_as(model.conv1.weight)
    assert torch.allclose(model.conv1.weight, expected, rtol=1e-5, atol=1e-7)
    assert torch.equal(state["model"]["conv1.weight"], model.conv1.weight)
    plain, _ = train_patches(_patches(), SMALL, seed=1, budget=Budget("steps", 10), options=QUIET)
    assert not torch.allclose(plain.conv1.weight, model.conv1.weight, atol=1e-3)  # whitening changes the run


def test_the_identity_path_stays_exact_when_whitened():
    recipe = SMALL.replace(whiten=10.0, skip="identity-frozen", centre=True)
    model, _ = train_patches(_patches(), recipe, seed=0, budget=Budget("steps", 8), options=QUIET)
    path = IdentityPath.of(model).weights(torch.float32)
    assert torch.equal(model.conv1.weight[-1:].detach(), path["w1"])  # passed through, restored after every step


def test_a_whitened_run_resumes_bit_identically(tmp_path):
    recipe = SMALL.replace(whiten=10.0, skip="identity-frozen", centre=True, augment="dihedral")
    full, _ = train_patches(_patches(), recipe, seed=2, budget=Budget("steps", 16), options=QUIET)

    def crash(info):
        if info.step == 8:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train_patches(_patches(), recipe, seed=2, budget=Budget("steps", 16), options=QUIET, checkpoint_dir=tmp_path,
                      on_progress=crash)
    resumed, _ = train_patches(_patches(), recipe, seed=2, budget=Budget("steps", 16), options=QUIET,
                               checkpoint_dir=tmp_path, resume=True)
    assert all(torch.equal(a, b) for a, b in zip(full.state_dict().values(), resumed.state_dict().values()))


def test_crop_sources_measure_the_moment_of_their_top_left_crops():
    g = torch.Generator().manual_seed(0)
    planes = (torch.rand(3, 1, 30, 30, generator=g) * 255).to(torch.uint8)
    source = CropSource(planes, planes.clone(), torch.tensor([[30, 30], [25, 28], [21, 21]]), 21, 12)
    crops = planes[:, :, :21, :21].float() / 255
    assert torch.allclose(source.input_moment(9, None), patch_moment(crops, 9), atol=1e-12)


@pytest.mark.parametrize("value", [-1.0, float("nan"), True, "10"])
def test_whiten_and_weight_decay_must_be_finite_numbers_at_least_zero(value):
    with pytest.raises(SpecError, match="recipe whiten must be a finite number >= 0"):
        SMALL.replace(whiten=value)
    with pytest.raises(SpecError, match="recipe weight_decay must be a finite number >= 0"):
        SMALL.replace(weight_decay=value)
