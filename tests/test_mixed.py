"""Training arithmetic (sr_audit.mixed): the float32 pass-through of a frozen identity path under
bfloat16 autocast, the fallback where a device has no native bfloat16, and training with it."""
from __future__ import annotations

import pytest
import torch

from sr_audit import mixed
from sr_audit.errors import SpecError
from sr_audit.init import IdentityPath
from sr_audit.mixed import MixedForward, training_precision
from sr_audit.model import PADDINGS, SRCNN, SRCNNConfig
from sr_audit.patches import PatchSet, PatchSettings
from sr_audit.recipes import Budget, get_recipe
from sr_audit.train import TrainOptions, train_patches

CPU = torch.device("cpu")


def _model_with_path(padding: str, channels: int) -> tuple[SRCNN, IdentityPath]:
    torch.manual_seed(3)
    model = SRCNN(SRCNNConfig(f1=5, f2=1, f3=3, n1=12, n2=6, channels=channels, padding=padding))
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(0.05)  # a small residual, as in a trained network
    path = IdentityPath.of(model)
    path.install(model)
    return model.to(memory_format=torch.channels_last), path


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("padding", list(PADDINGS))
def test_pass_through_in_float32_is_the_same_function(padding: str, channels: int):
    model, path = _model_with_path(padding, channels)
    x = (torch.rand(4, channels, 17, 15) - 0.5).contiguous(memory_format=torch.channels_last)
    with torch.no_grad():
        plain = model(x)
        split = MixedForward(model, path)(x)
        assert split.dtype == torch.float32 and split.shape == plain.shape
        torch.testing.assert_close(split, plain, rtol=0, atol=1e-6)
        # under bfloat16 only the residual is rounded: far closer to float32 than the plain network
        with torch.autocast("cpu", dtype=torch.bfloat16):
            rounded_split, rounded_plain = MixedForward(model, path)(x), model(x).float()
    assert (rounded_split - plain).abs().max() < (rounded_plain - plain).abs().max() / 4


def test_gradients_of_the_trained_weights_match_float32():
    model, path = _model_with_path("valid", 1)
    x = (torch.rand(3, 1, 13, 13) - 0.5).contiguous(memory_format=torch.channels_last)
    target = torch.rand(3, 1, 7, 7)
    grads = []
    for forward in (model, MixedForward(model, path)):
        model.zero_grad()
        torch.nn.functional.mse_loss(forward(x), target).backward()
        grads.append([p.grad.clone() for p in model.parameters()])
    c1, c2 = path.n1 - path.channels, path.n2 - path.channels
    for g in grads:  # the path's entries differ (only the plain network routes the output through them): frozen
        w1, b1, w2, b2, w3, _ = g
        w1[c1:], b1[c1:], w2[c2:], b2[c2:], w3[:, c2:] = 0, 0, 0, 0, 0
    for a, b in zip(*grads):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-7)


def test_training_precision_falls_back_without_native_bfloat16(monkeypatch):
    assert training_precision("float32", CPU) == (None, "float32")
    monkeypatch.setattr(mixed, "native_bfloat16", lambda device: False)
    dtype, said = training_precision("bfloat16", CPU)
    assert dtype is None and said == "float32 (recipe precision bfloat16: this CPU has no native bfloat16)"
    monkeypatch.setattr(mixed, "native_bfloat16", lambda device: True)
    assert training_precision("bfloat16", CPU) == (torch.bfloat16, "bfloat16 autocast")
    with pytest.raises(SpecError, match="not one of: float32, bfloat16"):
        training_precision("float16", CPU)
    with pytest.raises(SpecError, match="recipe precision 'half' is not one of"):
        get_recipe("fast").replace(precision="half")


def test_bfloat16_training_is_reproducible_and_recorded(monkeypatch):
    monkeypatch.setattr(mixed, "native_bfloat16", lambda device: True)  # emulated where the CPU lacks it
    g = torch.Generator().manual_seed(0)
    x = torch.rand(64, 1, 21, 21, generator=g)
    patches = PatchSet(x, torch.nn.functional.avg_pool2d(x, 3, 1)[:, :, 5:-5, 5:-5].contiguous())
    recipe = get_recipe("sprint").replace(patch=PatchSettings(21, 7), batch_size=8, augment="none")
    assert recipe.precision == "bfloat16"
    options = TrainOptions(progress=False)
    runs = [train_patches(patches, recipe, budget=Budget("steps", 6), options=options, scale=3) for _ in range(2)]
    (m1, s1), (m2, _) = runs
    assert s1["precision"] == "bfloat16 autocast" and all(torch.equal(a, b) for a, b in zip(m1.parameters(), m2.parameters()))
    assert next(m1.parameters()).dtype == torch.float32
    m32, s32 = train_patches(patches, recipe.replace(precision="float32"), budget=Budget("steps", 6), options=options,
                             scale=3)
    assert s32["precision"] == "float32" and not all(torch.equal(a, b) for a, b in zip(m1.parameters(), m32.parameters()))
