"""The pairing module: the field's folder layouts and file names, paired by name, never by order."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sr_audit.errors import DataError, ImageError, SpecError
from sr_audit.image_io import write_image
from sr_audit.layouts import compile_pattern, pair_files, resolve_folder

SET5 = ("baby", "bird", "butterfly", "head", "woman")


def _touch(folder: Path, stems: list[str] | tuple[str, ...], ext: str = "png", size: int = 8) -> None:
    """Tiny distinct images (content never matters for pairing)."""
    folder.mkdir(parents=True, exist_ok=True)
    for i, stem in enumerate(stems):
        write_image(folder / f"{stem}.{ext}", np.full((size, size), i, dtype=np.uint8))


def _names(pairing) -> dict[str, tuple[str, str]]:
    return {p.name: (p.reference.name, p.other.name) for p in pairing.pairs}


def test_plain_names_pair_by_name_not_by_order(tmp_path: Path) -> None:
    # sorted orders differ: "b..." vs "z..." would pair wrongly by position
    _touch(tmp_path / "hr", ["apple", "banana"])
    _touch(tmp_path / "lr", ["banana", "apple", "zebra"])
    pairing = pair_files(tmp_path / "hr", tmp_path / "lr")
    assert _names(pairing) == {"apple": ("apple.png", "apple.png"), "banana": ("banana.png", "banana.png")}
    assert [p.name for p in pairing.unmatched] == ["zebra.png"]
    assert pairing.scale is None and {p.rule for p in pairing.pairs} == {"plain"}


def test_gt_tag_on_both_sides_is_a_plain_name(tmp_path: Path) -> None:
    # what `sr-audit resize` writes for Set5: LR files keep the _GT stem
    _touch(tmp_path / "hr", [f"{n}_GT" for n in SET5], ext="bmp")
    _touch(tmp_path / "lr", [f"{n}_GT" for n in SET5])
    pairing = pair_files(tmp_path / "hr", tmp_path / "lr")
    assert len(pairing.pairs) == 5 and all(p.rule == "plain" for p in pairing.pairs)


def test_role_tags(tmp_path: Path) -> None:
    _touch(tmp_path / "hr", [f"{n}_GT" for n in SET5])
    _touch(tmp_path / "sr", [f"{n}_SR" for n in SET5])
    pairing = pair_files(tmp_path / "hr", tmp_path / "sr", other_role="sr")
    assert sorted(_names(pairing)) == sorted(SET5)
    assert {p.rule for p in pairing.pairs} == {"role tag"}


def test_rcan_names_give_the_scale(tmp_path: Path) -> None:
    _touch(tmp_path / "HR" / "Set5" / "x2", [f"{n}_HR_x2" for n in SET5])
    _touch(tmp_path / "LR", [f"{n}_LRBI_x2" for n in SET5])
    _touch(tmp_path / "SR", [f"{n}_RCAN_x2" for n in SET5])
    lr = pair_files(tmp_path / "HR" / "Set5" / "x2", tmp_path / "LR")
    sr = pair_files(tmp_path / "HR" / "Set5" / "x2", tmp_path / "SR", other_role="sr")
    for pairing in (lr, sr):
        assert sorted(_names(pairing)) == sorted(SET5)
        assert pairing.scale == 2
    assert _names(lr)["baby"] == ("baby_HR_x2.png", "baby_LRBI_x2.png")
    with pytest.raises(DataError, match="no files paired"):
        pair_files(tmp_path / "HR" / "Set5" / "x2", tmp_path / "LR", scale=4)


def test_div2k_swinir_scale_tags_and_layout(tmp_path: Path) -> None:
    _touch(tmp_path / "HR", ["0801", "0802", "0803"])
    _touch(tmp_path / "LR_bicubic" / "X2", ["0801x2", "0802x2", "0803x2"])
    _touch(tmp_path / "LR_bicubic" / "X4", ["0801x4", "0802x4", "0803x4"])
    pairing = pair_files(tmp_path / "HR", tmp_path / "LR_bicubic", scale=4)
    assert pairing.other_dir == tmp_path / "LR_bicubic" / "X4"
    assert pairing.scale == 4 and _names(pairing)["0801"] == ("0801.png", "0801x4.png")
    assert any("layout" in n for n in pairing.notes)
    with pytest.raises(ImageError, match="--scale"):
        pair_files(tmp_path / "HR", tmp_path / "LR_bicubic")


def test_basicsr_gtmod12_lrbicx_layout(tmp_path: Path) -> None:
    root = tmp_path / "Set5"
    _touch(root / "GTmod12", SET5)
    for s in (2, 3, 4):
        _touch(root / f"LRbicx{s}", SET5)
    pairing = pair_files(root, root, scale=3)
    assert pairing.reference_dir == root / "GTmod12" and pairing.other_dir == root / "LRbicx3"
    assert pairing.scale == 3 and len(pairing.pairs) == 5
    # the folders given directly
    direct = pair_files(root / "GTmod12", root / "LRbicx2")
    assert direct.scale == 2


def test_selfexsr_one_folder_split_by_role(tmp_path: Path) -> None:
    folder = tmp_path / "image_SRF_3"
    _touch(folder, [f"img_00{i}_SRF_3_{role}" for i in range(1, 4) for role in ("HR", "LR")])
    pairing = pair_files(folder, folder)
    assert len(pairing.pairs) == 3 and pairing.scale == 3
    for p in pairing.pairs:
        assert p.reference.stem.endswith("_HR") and p.other.stem.endswith("_LR")
    assert not pairing.unmatched


def test_selfexsr_folder_as_hr_beside_an_sr_folder(tmp_path: Path) -> None:
    """The _LR files of a SelfExSR folder given as HR are set aside by role (a note), not unmatched."""
    folder = tmp_path / "image_SRF_2"
    _touch(folder, [f"img_00{i}_SRF_2_{role}" for i in range(1, 4) for role in ("HR", "LR")])
    _touch(tmp_path / "sr", [f"img_00{i}_SRF_2_SR" for i in range(1, 4)])
    pairing = pair_files(folder, tmp_path / "sr", other_role="sr")
    assert len(pairing.pairs) == 3 and not pairing.unmatched
    assert any("set aside by their role tags" in n for n in pairing.notes)


def test_selfexsr_root_of_per_scale_folders(tmp_path: Path) -> None:
    """``Set5/image_SRF_K`` holds HR and LR files: given as both sides, the scale picks the folder."""
    root = tmp_path / "Set5"
    for s in (2, 3, 4):
        _touch(root / f"image_SRF_{s}", [f"img_00{i}_SRF_{s}_{role}" for i in range(1, 4) for role in ("HR", "LR")])
    pairing = pair_files(root, root, scale=3)
    assert pairing.reference_dir == pairing.other_dir == root / "image_SRF_3"
    assert len(pairing.pairs) == 3 and pairing.scale == 3
    with pytest.raises(ImageError, match="several HR subfolders"):
        pair_files(root, root)


def test_shared_suffix_of_model_outputs(tmp_path: Path) -> None:
    _touch(tmp_path / "hr", SET5)
    _touch(tmp_path / "swinir", [f"{n}_SwinIR" for n in SET5])
    pairing = pair_files(tmp_path / "hr", tmp_path / "swinir", other_role="sr")
    assert sorted(_names(pairing)) == sorted(SET5) and {p.rule for p in pairing.pairs} == {"shared suffix"}
    _touch(tmp_path / "edsr", [f"{n}_EDSR_x4_SR" for n in SET5])
    assert pair_files(tmp_path / "hr", tmp_path / "edsr", other_role="sr").scale == 4


def test_pattern(tmp_path: Path) -> None:
    _touch(tmp_path / "hr", SET5)
    _touch(tmp_path / "sr", [f"out-{n}-s4" for n in SET5])
    with pytest.raises(DataError, match="--pattern"):
        pair_files(tmp_path / "hr", tmp_path / "sr", other_role="sr")
    pairing = pair_files(tmp_path / "hr", tmp_path / "sr", other_role="sr", pattern="out-{name}-s{scale}")
    assert sorted(_names(pairing)) == sorted(SET5) and pairing.scale == 4
    assert {p.rule for p in pairing.pairs} == {"pattern"}


def test_pattern_errors() -> None:
    for bad in ("{scale}", "{name}_{name}", "{name}_{other}", "{name}{scale}{scale}"):
        with pytest.raises(SpecError):
            compile_pattern(bad)


def test_ambiguous_files_are_listed_not_guessed(tmp_path: Path) -> None:
    _touch(tmp_path / "hr", ["baby", "bird"])
    _touch(tmp_path / "lr", ["baby_x2", "baby_x4", "bird_x2"])
    pairing = pair_files(tmp_path / "hr", tmp_path / "lr")
    assert _names(pairing) == {"bird": ("bird.png", "bird_x2.png")}
    assert pairing.ambiguous and "baby.png" in pairing.ambiguous[0]
    assert _names(pair_files(tmp_path / "hr", tmp_path / "lr", scale=4)) == {"baby": ("baby.png", "baby_x4.png")}


def test_literal_match_beats_loose_match(tmp_path: Path) -> None:
    # "a_x2" exists in HR as a name of its own: the plain match wins, "a" keeps its own partner
    _touch(tmp_path / "hr", ["a", "a_x2"])
    _touch(tmp_path / "lr", ["a_x2"])
    pairing = pair_files(tmp_path / "hr", tmp_path / "lr")
    assert _names(pairing) == {"a_x2": ("a_x2.png", "a_x2.png")}


def test_no_pairs_names_what_was_found(tmp_path: Path) -> None:
    _touch(tmp_path / "hr", ["one", "two"])
    _touch(tmp_path / "lr", ["three"])
    with pytest.raises(DataError) as err:
        pair_files(tmp_path / "hr", tmp_path / "lr")
    message = str(err.value)
    assert "\n" not in message and "one.png" in message and "three.png" in message and "RCAN" in message


def test_missing_and_empty_folders(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="no such"):
        pair_files(tmp_path / "nope", tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ImageError, match="no image"):
        resolve_folder(tmp_path / "empty", "hr")
    with pytest.raises(SpecError):
        pair_files(tmp_path, tmp_path, other_role="hr")


def test_describe_says_rules_scale_and_leftovers(tmp_path: Path) -> None:
    _touch(tmp_path / "hr", ["0801", "0802"])
    _touch(tmp_path / "lr", ["0801x3", "0802x3", "0899x3"])
    text = pair_files(tmp_path / "hr", tmp_path / "lr").describe()
    assert "2 pairs" in text and "scale tag (2)" in text and "x3" in text and "0899x3.png" in text
