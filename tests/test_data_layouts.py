"""One data folder as public repositories ship their test sets: load_dataset reads exactly the HR images.

Tiny synthetic trees of each layout (BasicSR, EDSR/SwinIR, SelfExSR, RCAN); every HR file is 24x24 and
every LR-like file 12x12 or smaller, so a wrong file shows in the shapes.
"""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from sr_audit.cli.main import main_from_args
from sr_audit.datasets import load_dataset
from sr_audit.errors import DataError, SrAuditWarning
from sr_audit.image_io import write_image
from sr_audit.layouts import hr_files

SET5 = ("baby", "bird", "butterfly", "head", "woman")
HR_SIZE = 24


def _write(folder: Path, stems: list[str] | tuple[str, ...], size: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(len(stems) + size)
    for stem in stems:
        write_image(folder / f"{stem}.png", rng.integers(0, 256, (size, size, 3), dtype=np.uint8))


def _load(*args, **kwargs):
    """load_dataset, with the warnings it gave."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", SrAuditWarning)
        ds = load_dataset(*args, **kwargs)
    return ds, [str(w.message) for w in caught if issubclass(w.category, SrAuditWarning)]


def _is_hr(ds) -> bool:
    return all(r.image.shape[:2] == (HR_SIZE, HR_SIZE) for r in ds)


def basicsr(root: Path) -> Path:
    """``datasets/Set5/{GTmod12,LRbicx2,LRbicx3,LRbicx4}``, no images at the top."""
    set5 = root / "datasets" / "Set5"
    _write(set5 / "GTmod12", SET5, HR_SIZE)
    for s in (2, 3, 4):
        _write(set5 / f"LRbicx{s}", SET5, HR_SIZE // s)
    return set5


def test_basicsr_set5_reads_gtmod12(tmp_path: Path) -> None:
    set5 = basicsr(tmp_path)
    ds, said = _load(set5)
    assert [r.name for r in ds] == list(SET5) and _is_hr(ds)
    assert ds.name == "Set5" and Path(ds.source) == set5 / "GTmod12"
    assert len(ds.notes) == 1 and "GTmod12" in ds.notes[0] and said == [f"data Set5: {ds.notes[0]}"]


def test_edsr_swinir_benchmark_reads_hr(tmp_path: Path) -> None:
    set5 = tmp_path / "benchmark" / "Set5"
    _write(set5 / "HR", SET5, HR_SIZE)
    for s in (2, 3, 4):
        _write(set5 / "LR_bicubic" / f"X{s}", [f"{n}x{s}" for n in SET5], HR_SIZE // s)
    for data, scale in ((set5, None), (set5, 4), (set5 / "HR", None)):
        ds, _ = _load(data, scale=scale)
        assert [r.name for r in ds] == list(SET5) and _is_hr(ds) and ds.name == "Set5"
        assert Path(ds.source) == set5 / "HR"


def test_selfexsr_folder_keeps_only_its_hr_files(tmp_path: Path) -> None:
    folder = tmp_path / "Set5" / "image_SRF_2"
    _write(folder, [f"img_00{i}_SRF_2_HR" for i in range(1, 6)], HR_SIZE)
    _write(folder, [f"img_00{i}_SRF_2_{tag}" for i in range(1, 6) for tag in ("LR", "bicubic", "SRCNN")], HR_SIZE // 2)
    ds, said = _load(folder)
    assert [r.name for r in ds] == [f"img_00{i}" for i in range(1, 6)] and _is_hr(ds)
    assert all(r.source.endswith("_HR.png") for r in ds) and ds.name == "Set5"
    assert any("15 files set aside by their role tags" in n for n in ds.notes)
    assert any("img_001_SRF_2_HR -> img_001" in n for n in ds.notes)
    assert len(said) == len(ds.notes) >= 3  # the scale the names say, too
    assert hr_files(folder).scale == 2


def test_selfexsr_per_scale_folders_need_the_scale(tmp_path: Path) -> None:
    set5 = tmp_path / "Set5"
    for s in (2, 3, 4):
        _write(set5 / f"image_SRF_{s}", [f"img_00{i}_SRF_{s}_HR" for i in range(1, 4)], HR_SIZE)
        _write(set5 / f"image_SRF_{s}", [f"img_00{i}_SRF_{s}_LR" for i in range(1, 4)], HR_SIZE // s)
    with pytest.raises(DataError, match=r"several HR subfolders \(image_SRF_2, image_SRF_3, image_SRF_4\); pass --scale"):
        load_dataset(set5)
    ds, _ = _load(set5, scale=3)
    assert Path(ds.source) == set5 / "image_SRF_3" and [r.name for r in ds] == ["img_001", "img_002", "img_003"]
    assert _is_hr(ds) and all("_SRF_3_HR" in r.source for r in ds)


def test_rcan_names_and_scale(tmp_path: Path) -> None:
    set5 = tmp_path / "HR" / "Set5"
    for s in (2, 3):
        _write(set5 / f"x{s}", [f"{n}_HR_x{s}" for n in SET5], HR_SIZE)
    ds, _ = _load(set5 / "x2")
    assert [r.name for r in ds] == list(SET5) and ds.name == "Set5"
    assert any("named for x2" in n or "filed for x2" in n for n in ds.notes)
    assert hr_files(set5 / "x2").scale == 2
    assert [r.name for r in _load(set5 / "x2", scale=2)[0]] == list(SET5)
    with pytest.raises(DataError, match=r"for x2 .*not x3; pass --scale 2 or the folder of x3 HR images"):
        load_dataset(set5 / "x2", scale=3)
    assert Path(_load(set5, scale=3)[0].source) == set5 / "x3"
    with pytest.raises(DataError, match="pass --scale"):
        load_dataset(set5)


def test_standard_set_name_finds_a_layout_under_the_data_root(tmp_path: Path) -> None:
    set5 = basicsr(tmp_path)
    set5.rename(set5.parent / "set5")  # the data root lookup is case-insensitive
    ds, said = _load("Set5", data_root=tmp_path / "datasets")
    assert ds.name == "Set5" and [r.name for r in ds] == list(SET5) and _is_hr(ds)
    assert Path(ds.source) == tmp_path / "datasets" / "set5" / "GTmod12" and said


def test_plain_folders_and_files_are_as_before(tmp_path: Path) -> None:
    _write(tmp_path / "Set5", [f"{n}_GT" for n in SET5], HR_SIZE)
    ds, said = _load(tmp_path / "Set5")
    assert [r.name for r in ds] == [f"{n}_GT" for n in SET5] and not ds.notes and not said
    one, said = _load(tmp_path / "Set5" / "baby_GT.png")
    assert [r.name for r in one] == ["baby_GT"] and one.name == "baby_GT.png" and not said
    assert one.source == str(tmp_path / "Set5" / "baby_GT.png")


def test_what_cannot_be_read_as_hr_is_one_line_naming_the_fix(tmp_path: Path) -> None:
    both = tmp_path / "both"
    _write(both / "GTmod12", SET5, HR_SIZE)
    _write(both / "original", SET5, HR_SIZE + 1)
    (tmp_path / "other" / "misc").mkdir(parents=True)
    _write(tmp_path / "lr_only", [f"{n}_LR" for n in SET5], HR_SIZE // 2)
    cases = (
        (both, r"several HR subfolders \(GTmod12, original\)"),
        (tmp_path / "other", r"no HR subfolder \(subfolders: misc\); name the folder of images itself"),
        (tmp_path / "lr_only", r"every image file is tagged LR or SR \(baby_LR.png, .*give the folder of HR images"),
    )
    for data, message in cases:
        with pytest.raises(DataError, match=message) as err:
            load_dataset(data)
        assert "\n" not in str(err.value)


def test_names_that_would_clash_keep_their_stems(tmp_path: Path) -> None:
    _write(tmp_path / "x2", ["baby_GT_x2", "baby_HR_x2", "bird_HR_x2"], HR_SIZE)
    ds, _ = _load(tmp_path / "x2")
    assert [r.name for r in ds] == ["baby_GT_x2", "baby_HR_x2", "bird"]


def test_untagged_files_beside_hr_tagged_ones_are_set_aside(tmp_path: Path) -> None:
    """The role split of pairing: a folder with HR-tagged files reads only those."""
    _write(tmp_path / "mixed", ["baby_HR", "bird_HR"], HR_SIZE)
    _write(tmp_path / "mixed", ["baby", "bird_LR"], HR_SIZE // 2)
    ds, _ = _load(tmp_path / "mixed")
    assert [r.name for r in ds] == ["baby_HR", "bird_HR"] and _is_hr(ds)
    assert any("2 files set aside by their role tags (baby.png, bird_LR.png)" in n for n in ds.notes)


def test_compare_cli_on_a_basicsr_tree(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    set5 = basicsr(tmp_path)
    code = main_from_args(["compare", "--data", str(set5), "--scale", "2", "--backends",
                           "pil:bicubic+aa,pil:bilinear+aa", "--out", str(tmp_path / "out")])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    # the layout note, one line (not Python's "compare.py:180: SrAuditWarning: ..." and its source line)
    assert captured.err == f"sr-audit: note: data Set5: HR folder {set5} -> {set5 / 'GTmod12'} (layout)\n"
    rows = (tmp_path / "out" / "roundtrip.csv").read_text().splitlines()[1:]
    assert sorted({row.split(",")[0] for row in rows}) == sorted(SET5) and "5 images" in captured.out


def test_eval_cli_picks_the_selfexsr_folder_of_its_scale(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    set5 = tmp_path / "Set5"
    for s in (2, 3):
        _write(set5 / f"image_SRF_{s}", [f"img_00{i}_SRF_{s}_HR" for i in range(1, 3)], HR_SIZE)
        _write(set5 / f"image_SRF_{s}", [f"img_00{i}_SRF_{s}_LR" for i in range(1, 3)], HR_SIZE // s)
    code = main_from_args(["eval", "--model", "bicubic", "--data", str(set5), "--scale", "2", "--backend", "pil", "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "image_SRF_2" in captured.err and "set aside by their role tags" in captured.err
    assert '"img_001"' in captured.out and '"img_002"' in captured.out and "_LR" not in captured.out


def test_a_folder_named_hr_wins_over_per_scale_folders(tmp_path: Path) -> None:
    _write(tmp_path / "Set5" / "HR", SET5, HR_SIZE)
    _write(tmp_path / "Set5" / "x4", [f"{n}_SR" for n in SET5], HR_SIZE)
    ds, _ = _load(tmp_path / "Set5", scale=4)
    assert Path(ds.source) == tmp_path / "Set5" / "HR" and [r.name for r in ds] == list(SET5)
