"""Data sets: folders, standard names under the data root, the embedded default."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sr_audit.datasets import (
    DATA_ENV,
    EMBEDDED_EVAL,
    EMBEDDED_TRAIN,
    find_data_root,
    image_sha256,
    load_dataset,
)
from sr_audit.errors import DataError
from sr_audit.image_io import write_image


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    (tmp_path / "Set5").mkdir()
    write_image(tmp_path / "Set5" / "b.png", rng.integers(0, 256, (12, 10, 3), dtype=np.uint8))
    write_image(tmp_path / "Set5" / "a.bmp", rng.integers(0, 256, (8, 9), dtype=np.uint8))
    (tmp_path / "Set5" / "notes.txt").write_text("not an image")
    return tmp_path


def test_folder_is_loaded_sorted_with_hashes(folder: Path):
    ds = load_dataset(folder / "Set5")
    assert [r.name for r in ds] == ["a", "b"] and len(ds) == 2
    a, b = ds.images
    assert a.image.shape == (8, 9) and b.image.shape == (12, 10, 3)
    assert a.sha256 == image_sha256(a.image) and a.sha256 != b.sha256
    assert not a.image.flags.writeable


def test_sha256_covers_shape_and_dtype():
    x = np.zeros((4, 6), np.uint8)
    assert image_sha256(x) != image_sha256(x.reshape(6, 4)) != image_sha256(x.astype(np.uint16))
    assert image_sha256(x) == image_sha256(np.zeros((4, 6), np.uint8))


def test_standard_name_lookup_order(folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(DATA_ENV, str(folder))
    ds = load_dataset("SET5")  # case-insensitive, from $SR_AUDIT_DATA
    assert ds.name == "Set5" and Path(ds.source) == folder / "Set5"
    other = tmp_path / "other"
    other.mkdir()
    with pytest.raises(DataError, match=r"set Set5 not found at .*other/Set5 \(data root from --data-root\)"):
        load_dataset("set5", data_root=other)  # --data-root wins over the environment
    monkeypatch.delenv(DATA_ENV)
    root, how = find_data_root()
    assert root is None and "does not exist" in how
    with pytest.raises(DataError, match="pass --data-root DIR or set"):
        load_dataset("set14")
    (tmp_path / "work" / "cwd").mkdir(parents=True)
    (tmp_path / "work" / "shared" / "datasets").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "work" / "cwd")
    root, how = find_data_root()
    assert root == (tmp_path / "work" / "shared" / "datasets").resolve() and how.startswith("default")


def test_unknown_name_lists_known_names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DataError, match=r"known names: T91, Set5, Set14, embedded-train, embedded-eval"):
        load_dataset("set6")


def test_non_8bit_images_are_refused(tmp_path: Path):
    write_image(tmp_path / "deep.png", np.zeros((4, 4), np.uint16))
    with pytest.raises(DataError, match="convert the image to 8-bit"):
        load_dataset(tmp_path)


def test_embedded_default_splits_are_disjoint_and_bundled():
    assert not set(EMBEDDED_TRAIN) & set(EMBEDDED_EVAL)
    ev = load_dataset(None)
    assert [r.name for r in ev] == list(EMBEDDED_EVAL) and ev.name == "embedded-eval"
    assert any(r.image.ndim == 2 for r in ev), "the eval split should exercise the grayscale rule"
    assert all(r.image.dtype == np.uint8 for r in ev)
    assert [r.name for r in load_dataset("embedded-train")] == list(EMBEDDED_TRAIN)
    with pytest.raises(DataError, match="train, eval"):
        load_dataset(None, embedded_split="test")


def test_shared_set14_keeps_grayscale_bridge(shared_datasets: Path):
    ds = load_dataset("Set14", data_root=shared_datasets)
    by_name = {r.name: r.image for r in ds}
    assert len(ds) == 14 and by_name["bridge"].ndim == 2
    man = by_name["man"]
    assert man.ndim == 3 and np.array_equal(man[..., 0], man[..., 2])
