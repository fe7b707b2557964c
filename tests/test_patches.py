"""Patch extraction (against a direct slicing reference) and the content-keyed patch cache."""
from __future__ import annotations

import importlib.metadata

import numpy as np
import pytest
import torch

from sr_audit import patches as patches_mod
from sr_audit.datasets import ImageRecord
from sr_audit.degradation import Degradation, DegradedPair
from sr_audit.errors import DataError, SpecError
from sr_audit.patches import (
    PatchSet,
    PatchSettings,
    build_patch_set,
    default_cache_dir,
    extract_patches,
    prepare_patches,
)


def _reference_windows(inp: np.ndarray, tgt: np.ndarray, size: int, stride: int, shrink: int):
    """Direct slicing, one window at a time, as the authors' generate_train.m loops."""
    m, label = shrink // 2, size - shrink
    xs, ys = [], []
    for i in range(0, inp.shape[0] - size + 1, stride):
        for j in range(0, inp.shape[1] - size + 1, stride):
            xs.append(inp[i : i + size, j : j + size])
            ys.append(tgt[i + m : i + m + label, j + m : j + m + label])
    return np.array(xs), np.array(ys)


@pytest.mark.parametrize("shape", [(60, 47), (33, 33), (80, 71, 3)])
@pytest.mark.parametrize("size,stride,shrink", [(33, 14, 12), (21, 7, 0), (17, 17, 8)])
def test_extract_matches_reference(shape, size, stride, shrink):
    rng = np.random.default_rng(0)
    inp, tgt = rng.random(shape), rng.random(shape)
    x, y = extract_patches(inp, tgt, PatchSettings(size, stride), shrink)
    rx, ry = _reference_windows(inp, tgt, size, stride, shrink)
    if len(shape) == 2:
        rx, ry = rx[:, None], ry[:, None]
    else:
        rx, ry = rx.transpose(0, 3, 1, 2), ry.transpose(0, 3, 1, 2)
    assert x.dtype == y.dtype == torch.float32
    assert x.is_contiguous() and y.is_contiguous()
    np.testing.assert_array_equal(x.numpy(), rx.astype(np.float32))
    np.testing.assert_array_equal(y.numpy(), ry.astype(np.float32))


def test_paper_window_count():
    # 33x33 windows, stride 14: floor((H - 33) / 14) + 1 per axis
    x, y = extract_patches(np.zeros((255, 100)), np.zeros((255, 100)), PatchSettings(), 12)
    assert x.shape == (16 * 5, 1, 33, 33) and y.shape == (80, 1, 21, 21)


def test_small_image_gives_no_window_and_set_of_only_small_images_is_an_error():
    x, y = extract_patches(np.zeros((32, 90)), np.zeros((32, 90)), PatchSettings(), 12)
    assert x.shape == (0, 1, 33, 33) and y.shape == (0, 1, 21, 21)
    big = DegradedPair(np.ones((40, 40)), np.ones((40, 40)))
    small = DegradedPair(np.zeros((20, 40)), np.zeros((20, 40)))
    assert len(build_patch_set([small, big, small], PatchSettings(), 12)) == 1
    with pytest.raises(DataError, match="smaller than the 33x33 patch size"):
        build_patch_set([small], PatchSettings(), 12)


def test_bad_settings_are_refused():
    with pytest.raises(SpecError, match="stride"):
        PatchSettings(33, 0)
    with pytest.raises(SpecError, match="even"):
        PatchSettings().label_size(5)
    with pytest.raises(SpecError, match="at least 41"):
        PatchSettings(33, 14).label_size(40)
    with pytest.raises(DataError, match="differ in shape"):
        extract_patches(np.zeros((40, 40)), np.zeros((40, 41)), PatchSettings(), 12)


def test_patch_set_checks_shapes():
    with pytest.raises(DataError, match="same N"):
        PatchSet(torch.zeros(3, 1, 33, 33), torch.zeros(2, 1, 21, 21))
    assert PatchSet(torch.zeros(3, 1, 33, 33), torch.zeros(3, 1, 21, 21)).shrink == 12


# --- cache ---------------------------------------------------------------------------------------


@pytest.fixture
def images():
    rng = np.random.default_rng(1)
    arrays = [rng.integers(0, 256, (48, 51, 3), dtype=np.uint8), rng.integers(0, 256, (39, 60), dtype=np.uint8)]
    return [ImageRecord.from_array(f"im{i}", a, "test") for i, a in enumerate(arrays)]


@pytest.fixture
def deg():
    return Degradation.parse("pil", scale=3)


def _files(cache):
    return sorted((cache / "patches").glob("*.pt"))


def test_cache_hit_returns_identical_patches_without_degrading(tmp_path, images, deg, monkeypatch):
    first = prepare_patches(images, deg, PatchSettings(), 12, cache_dir=tmp_path)
    assert len(_files(tmp_path)) == 1

    def fail(*args, **kwargs):
        raise AssertionError("degrade called on a cache hit")

    monkeypatch.setattr(patches_mod, "degrade", fail)
    second = prepare_patches(images, deg, PatchSettings(), 12, cache_dir=tmp_path)
    assert torch.equal(first.inputs, second.inputs) and torch.equal(first.targets, second.targets)
    assert not list((tmp_path / "patches").glob("*.tmp"))


def test_every_key_part_is_a_cache_miss(tmp_path, images, deg, monkeypatch):
    prepare_patches(images, deg, PatchSettings(), 12, cache_dir=tmp_path)
    changed = images[0].image.copy()
    changed[0, 0, 0] ^= 1
    prepare_patches([ImageRecord.from_array("im0", changed, "test"), images[1]], deg, PatchSettings(), 12, cache_dir=tmp_path)
    prepare_patches(images, Degradation.parse("pil:bilinear/pil", scale=3), PatchSettings(), 12, cache_dir=tmp_path)
    prepare_patches(images, Degradation.parse("pil", scale=3, compute="uint8"), PatchSettings(), 12, cache_dir=tmp_path)
    prepare_patches(images, deg, PatchSettings(33, 7), 12, cache_dir=tmp_path)
    prepare_patches(images, deg, PatchSettings(), 16, cache_dir=tmp_path)
    real_version = importlib.metadata.version
    monkeypatch.setattr(importlib.metadata, "version", lambda dist: "999" if dist == "pillow" else real_version(dist))
    prepare_patches(images, deg, PatchSettings(), 12, cache_dir=tmp_path)
    assert len(_files(tmp_path)) == 7


def test_corrupt_cache_file_is_rebuilt(tmp_path, images, deg):
    good = prepare_patches(images, deg, PatchSettings(), 12, cache_dir=tmp_path)
    (path,) = _files(tmp_path)
    path.write_bytes(path.read_bytes()[:200])
    with pytest.warns(UserWarning, match="rebuilding unreadable patch cache"):
        rebuilt = prepare_patches(images, deg, PatchSettings(), 12, cache_dir=tmp_path)
    assert torch.equal(good.inputs, rebuilt.inputs)
    again = torch.load(path, weights_only=True)  # the rebuilt file is whole again
    assert torch.equal(again["targets"], good.targets)


def test_patches_are_the_degraded_pairs(tmp_path, images, deg):
    from sr_audit.degradation import degrade

    got = prepare_patches(images, deg, PatchSettings(21, 9), 12, use_cache=False, cache_dir=tmp_path)
    want = build_patch_set([degrade(r.image, deg) for r in images], PatchSettings(21, 9), 12)
    assert torch.equal(got.inputs, want.inputs) and torch.equal(got.targets, want.targets)
    assert not (tmp_path / "patches").exists()


def test_default_cache_dir_follows_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SR_AUDIT_CACHE", str(tmp_path / "c"))
    assert default_cache_dir() == tmp_path / "c"
    monkeypatch.delenv("SR_AUDIT_CACHE")
    assert default_cache_dir().parts[-2:] == (".cache", "sr-audit")
