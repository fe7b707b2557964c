"""Dihedral augmentation: the transform itself, its claim that degradation commutes with it, and its
use by the training loop."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from sr_audit.augment import AUGMENTATIONS, ORIENTATIONS, dihedral
from sr_audit.backends.selection import select_specs
from sr_audit.degradation import Degradation, degrade
from sr_audit.errors import DataError, SpecError
from sr_audit.patches import PatchSet, PatchSettings
from sr_audit.recipes import Budget, get_recipe
from sr_audit.train import TrainOptions, train_patches


def _reference(x: torch.Tensor, t: int) -> torch.Tensor:
    turned = torch.rot90(x, t % 4, (2, 3))
    return turned.flip(3) if t >= 4 else turned


@pytest.mark.parametrize("channels", [1, 3])
def test_dihedral_applies_each_samples_own_orientation(channels):
    x = torch.rand(16, channels, 7, 7, generator=torch.Generator().manual_seed(0))
    t = torch.arange(16) % 8
    out = dihedral(x, t)
    for b in range(16):
        assert torch.equal(out[b : b + 1], _reference(x[b : b + 1], int(t[b]))), f"sample {b}, orientation {int(t[b])}"
    assert torch.equal(dihedral(x, torch.zeros(16, dtype=torch.long)), x)
    assert len({tuple(dihedral(x[:1], torch.tensor([k])).flatten().tolist()) for k in range(8)}) == 8


def test_dihedral_keeps_channels_last_and_refuses_non_square():
    x = torch.rand(4, 3, 5, 5).contiguous(memory_format=torch.channels_last)
    assert dihedral(x, torch.tensor([1, 2, 5, 7])).is_contiguous(memory_format=torch.channels_last)
    with pytest.raises(SpecError, match="square"):
        dihedral(torch.rand(2, 1, 5, 6), torch.tensor([0, 1]))


def _available_defaults() -> list[str]:
    return [str(spec) for spec in select_specs("all").specs]


@pytest.mark.parametrize("spec", _available_defaults())
def test_degradation_commutes_with_flips_and_rotations(spec):
    """The module's claim for every available backend: degrading a rotated or mirrored image gives
    the rotated or mirrored degradation (up to one uint8 level where a backend rounds between passes)."""
    g = np.random.default_rng(1)
    hr = (g.random((36, 45, 3)) * 255).round().astype(np.uint8)  # sides already multiples of 3
    deg = Degradation.parse(spec, scale=3)
    base = degrade(hr, deg).input
    uint8_path = deg.compute != "float"
    for k in range(4):
        for mirror in (False, True):
            turned = np.rot90(hr, k)
            turned = turned[:, ::-1] if mirror else turned
            expected = np.rot90(base, k)
            expected = expected[:, ::-1] if mirror else expected
            got = degrade(np.ascontiguousarray(turned), deg).input
            worst = np.abs(got - expected).max()
            assert worst <= (1 / 255 + 1e-9 if uint8_path else 1e-6), f"{spec}: rot90 x{k}, mirror {mirror}: {worst}"


def test_dihedral_recipe_draws_every_window_in_every_orientation_once_per_epoch(monkeypatch):
    g = torch.Generator().manual_seed(0)
    x = torch.rand(16, 1, 21, 21, generator=g)
    patches = PatchSet(x, x[:, :, 6:-6, 6:-6].contiguous())
    recipe = get_recipe("fast").replace(patch=PatchSettings(21, 7), batch_size=16, augment="dihedral", lr=(1e-9,) * 3)
    seen = []
    original = PatchSet.batch

    def spy(self, index, generator):
        seen.append(index.clone())
        return original(self, index, generator)

    monkeypatch.setattr(PatchSet, "batch", spy)
    _, summary = train_patches(patches, recipe, budget=Budget("epochs", 1), options=TrainOptions(progress=False))
    assert summary["steps"] == 8 and summary["epoch_samples"] == 128 and summary["num_patches"] == 16
    counts = torch.bincount(torch.cat(seen), minlength=16)
    assert counts.tolist() == [8] * 16, "each window once per orientation"
    assert ORIENTATIONS["dihedral"] == 8 and set(AUGMENTATIONS) == set(ORIENTATIONS)


def test_augmentation_changes_training_and_is_checked():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(32, 1, 21, 21, generator=g)
    patches = PatchSet(x, torch.nn.functional.avg_pool2d(x, 3, 1)[:, :, 5:-5, 5:-5].contiguous())
    base = get_recipe("fast").replace(patch=PatchSettings(21, 7), batch_size=8, augment="none")
    quiet = TrainOptions(progress=False)
    a, _ = train_patches(patches, base, budget=Budget("steps", 6), options=quiet)
    b, _ = train_patches(patches, base.replace(augment="dihedral"), budget=Budget("steps", 6), options=quiet)
    assert not torch.equal(a.conv1.weight, b.conv1.weight)
    with pytest.raises(SpecError, match="augment 'mixup' is not one of: none, dihedral"):
        base.replace(augment="mixup")
    with pytest.raises(DataError, match=r"only 2 training windows \(16 in all orientations\) for a batch of 32"):
        train_patches(PatchSet(x[:2], patches.targets[:2]), base.replace(augment="dihedral", batch_size=32), options=quiet)
    assert "augment" not in get_recipe("paper").as_dict()
