"""The pairing module: the field's folder layouts and file names, paired by name, never by order."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sr_audit.errors import DataError, ImageError, SpecError
from sr_audit.image_io import write_image
from sr_audit.layouts import compile_pattern, pair_files, resolve_folder, scale_token

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


# ------------------------------------------------ several files for one image (SelfExSR's sets)

SELFEXSR_METHODS = ("A+", "Glasner", "Kim", "SRCNN", "ScSR", "SelfExSR", "nearest")


def _selfexsr(folder: Path, tags: tuple[str, ...] = ("HR", "LR", "bicubic", *SELFEXSR_METHODS), n: int = 2) -> Path:
    """``Set5/image_SRF_2`` as SelfExSR ships it: HR, LR and every method's output in one folder."""
    _touch(folder, [f"img_00{i}_SRF_2_{tag}" for i in range(1, n + 1) for tag in tags])
    return folder


def test_selfexsr_folder_as_both_sides_pairs_hr_with_the_lr_tagged_files(tmp_path: Path) -> None:
    folder = _selfexsr(tmp_path / "image_SRF_2")
    pairing = pair_files(folder, folder)
    assert _names(pairing) == {f"img_00{i}_SRF_2": (f"img_00{i}_SRF_2_HR.png", f"img_00{i}_SRF_2_LR.png") for i in (1, 2)}
    assert pairing.scale == 2 and not pairing.unmatched and not pairing.ambiguous
    note = next(n for n in pairing.notes if "preferred" in n)
    assert note.startswith("LR: 16 files set aside, the LR-tagged file of each image is preferred (img_001_SRF_2_bicubic.png")
    assert "tags A+, bicubic, Glasner" in note and note.endswith("pass --pattern '{name}_SRF_{scale}_bicubic' to audit those")
    # the pattern the note gives reads the bicubic files
    bicubic = pair_files(folder, folder, pattern="{name}_SRF_{scale}_bicubic")
    assert sorted(p.other.name for p in bicubic.pairs) == ["img_001_SRF_2_bicubic.png", "img_002_SRF_2_bicubic.png"]


def test_only_bicubic_files_beside_hr_still_pair(tmp_path: Path) -> None:
    """Down-then-up inputs: one tagged file per image pairs as any other."""
    folder = _selfexsr(tmp_path / "image_SRF_2", ("HR", "bicubic"))
    pairing = pair_files(folder, folder)
    assert sorted(p.other.name for p in pairing.pairs) == ["img_001_SRF_2_bicubic.png", "img_002_SRF_2_bicubic.png"]
    assert not any("preferred" in n for n in pairing.notes)


def test_several_outputs_per_image_name_the_tags_and_a_ready_pattern(tmp_path: Path) -> None:
    folder = _selfexsr(tmp_path / "image_SRF_2")
    with pytest.raises(DataError) as err:
        pair_files(folder, folder, other_role="sr")
    message = str(err.value)
    assert "\n" not in message and "_LR.png" not in message  # LR files are no SR outputs
    assert "this folder holds several outputs per image (tags: A+, bicubic, Glasner, Kim, nearest, ScSR, SelfExSR, SRCNN;" in message
    pattern = message.split("--pattern '")[1].rstrip("'")
    assert pattern == "{name}_SRF_{scale}_A+"
    for given in (pattern, "{name}_SRF_{scale}_SRCNN", "{name}_SRCNN"):
        tag = given.rsplit("_", 1)[1]
        pairing = pair_files(folder, folder, other_role="sr", pattern=given)
        assert sorted(p.other.name for p in pairing.pairs) == [f"img_00{i}_SRF_2_{tag}.png" for i in (1, 2)]
        assert pairing.scale == 2


def test_an_lr_file_is_never_an_sr_output_beside_others(tmp_path: Path) -> None:
    folder = _selfexsr(tmp_path / "image_SRF_2", ("HR", "LR", "SRCNN"))
    pairing = pair_files(folder, folder, other_role="sr")
    assert sorted(p.other.name for p in pairing.pairs) == ["img_001_SRF_2_SRCNN.png", "img_002_SRF_2_SRCNN.png"]
    assert any("SR: 4 files set aside by their role tags" in n and "_LR.png" in n for n in pairing.notes)
    # and an SR file is no LR input: the LR files pair
    both = _selfexsr(tmp_path / "both", ("HR", "LR", "SR"))
    assert {p.other.stem[-2:] for p in pair_files(both, both).pairs} == {"LR"}
    assert {p.other.stem[-2:] for p in pair_files(both, both, other_role="sr").pairs} == {"SR"}


def test_each_roles_own_tag_wins(tmp_path: Path) -> None:
    """One rule for every role: SR over a method's tag, HR over GT, LR over LRBI."""
    sr = _selfexsr(tmp_path / "sr", ("HR", "SR", "SRCNN"))
    pairing = pair_files(sr, sr, other_role="sr")
    assert {p.other.stem[-2:] for p in pairing.pairs} == {"SR"}
    assert any("the SR-tagged file of each image is preferred" in n and "{name}_SRF_{scale}_SRCNN" in n for n in pairing.notes)
    _touch(tmp_path / "hr", ["baby_HR", "baby_GT"])
    _touch(tmp_path / "lr", ["baby_LR"])
    pairing = pair_files(tmp_path / "hr", tmp_path / "lr")
    assert _names(pairing) == {"baby": ("baby_HR.png", "baby_LR.png")}
    assert any(n.startswith("HR: 1 files set aside, the HR-tagged file") and "--pattern" not in n for n in pairing.notes)
    _touch(tmp_path / "rcan_hr", ["baby_HR_x2"])
    _touch(tmp_path / "rcan_lr", ["baby_LR_x2", "baby_LRBI_x2"])
    assert _names(pair_files(tmp_path / "rcan_hr", tmp_path / "rcan_lr"))["baby"][1] == "baby_LR_x2.png"


def test_several_lr_files_per_image_without_an_lr_tag(tmp_path: Path) -> None:
    _touch(tmp_path / "hr", SET5)
    _touch(tmp_path / "lr", [f"{n}_{tag}_x2" for n in SET5 for tag in ("LRBI", "LRBD")])
    with pytest.raises(DataError, match=r"several LR files per image \(tags: LRBD, LRBI; .*--pattern '\{name\}_LRBD_x\{scale\}'$"):
        pair_files(tmp_path / "hr", tmp_path / "lr")
    assert len(pair_files(tmp_path / "hr", tmp_path / "lr", pattern="{name}_LRBD_x{scale}").pairs) == 5


def test_tagged_files_another_file_also_fits_are_not_one_image(tmp_path: Path) -> None:
    """``foo_bar_x2`` reads as ``foo`` tagged ``bar`` and as ``foo_bar`` at x2: it is not one of foo's files."""
    _touch(tmp_path / "hr", ["foo", "foo_bar", "foo_baz"])
    _touch(tmp_path / "lr", ["foo_bar_x2", "foo_baz_x2"])
    pairing = pair_files(tmp_path / "hr", tmp_path / "lr")
    assert _names(pairing) == {"foo_bar": ("foo_bar.png", "foo_bar_x2.png"), "foo_baz": ("foo_baz.png", "foo_baz_x2.png")}


# ------------------------------------------------------------ scale tokens in folder names

@pytest.mark.parametrize("name, scale", [
    ("x2", 2), ("X4", 4), ("swinir_classical_sr_x2", 2), ("edsr_x2", 2), ("Set5_X3", 3), ("a.x3.b", 3),
    ("results-x8", 8), ("HAT_SRx4", 4), ("LRbicx4", 4), ("EDSR_Lx2_f256b32", 2), ("EDSR_Mx3_f64b16", 3),
    ("HAT_SRx4_ImageNet-pretrain", 4), ("SwinIR_SRx2_scratch_P48W8_DIV2K_500k_B4G8", 2), ("RCAN_BIX2", 2),
    ("image_SRF_4", 4), ("_x4_SR", 4), ("_RCAN_x2", 2), ("_SRF_3", 3), ("_HAT_SRx4", 4), ("x12", 12),
])
def test_scale_tokens(name: str, scale: int) -> None:
    assert scale_token(name) == scale


@pytest.mark.parametrize("name", [
    "x264", "img_x1", "Set14", "f256b32", "0801x4", "RealESRGAN_x4plus", "x2_to_x4", "x0", "visualization",
    "results-Set5", "Set5", "SwinIR", "box2car", "_Qx2_", "x100", "DIV2K",
])
def test_not_scale_tokens(name: str) -> None:
    assert scale_token(name) is None


def _outputs(folder: Path, suffix: str) -> Path:
    _touch(folder, [f"{n}{suffix}" for n in SET5])
    return folder


def test_scale_from_the_sr_folder_name_or_a_parent(tmp_path: Path) -> None:
    _touch(tmp_path / "testsets" / "Set5" / "HR", SET5)
    hr = tmp_path / "testsets" / "Set5" / "HR"
    cases = (  # the layouts of SwinIR, HAT, BasicSR, RCAN and EDSR, and the scale each says
        ("results/swinir_classical_sr_x2", "_SwinIR", 2, "the folder name 'swinir_classical_sr_x2'"),
        ("results/HAT_SRx4/visualization/Set5", "_HAT_SRx4", 4, "the names"),
        ("results/EDSR_Lx2_f256b32/visualization/Set5", "_EDSR_Lx2_f256b32", 2, "the names"),
        ("SR/BI/RCAN/Set5/x2", "_RCAN_x2", 2, "the names"),
        ("experiment/edsr_x3/results-Set5", "_x3_SR", 3, "the names"),
        ("results/HAT_SRx4/visualization/Set14", "_HAT", 4, "the folder name 'HAT_SRx4'"),
    )
    for folder, suffix, scale, source in cases:
        pairing = pair_files(hr, _outputs(tmp_path / folder, suffix), other_role="sr")
        assert (len(pairing.pairs), pairing.scale, pairing.scale_source) == (5, scale, source), folder
        assert f"x{scale} from {source}" in pairing.describe()
        if source != "the names":
            assert f"SR: scale x{scale} from {source} (the file names say none)" in pairing.notes
            assert {p.scale for p in pairing.pairs} == {scale}


def test_a_folder_name_scale_never_overrides(tmp_path: Path) -> None:
    _touch(tmp_path / "HR", SET5)
    swinir = _outputs(tmp_path / "swinir_sr_x2", "_SwinIR")
    assert pair_files(tmp_path / "HR", swinir, other_role="sr", scale=2).scale == 2
    with pytest.raises(DataError, match=r"^--scale 4 but the SR folder name 'swinir_sr_x2' says x2; check --scale and the folder$"):
        pair_files(tmp_path / "HR", swinir, other_role="sr", scale=4)
    edsr = _outputs(tmp_path / "edsr_x4", "_x2_SR")
    with pytest.raises(DataError, match=r"^the SR file names say x2 \(baby_x2_SR.png\) but the folder name 'edsr_x4' says x4"):
        pair_files(tmp_path / "HR", edsr, other_role="sr")


def test_scale_wins_over_a_parent_folder_name(tmp_path: Path) -> None:
    """A parent's token is weak evidence (``runs/x4_tries/``): --scale wins and a note says so."""
    _touch(tmp_path / "HR", SET5)
    outputs = _outputs(tmp_path / "runs_x4" / "swinir", "_SwinIR")
    assert pair_files(tmp_path / "HR", outputs, other_role="sr").scale == 4
    pairing = pair_files(tmp_path / "HR", outputs, other_role="sr", scale=2)
    assert {p.scale for p in pairing.pairs} == {None}
    assert "SR: --scale 2 used; the parent folder name 'runs_x4' says x4" in pairing.notes


def test_folder_name_scale_depth_and_roles(tmp_path: Path) -> None:
    """Three names are read (the folder and two parents); an HR folder's parents never."""
    _touch(tmp_path / "HR", SET5)
    deep = _outputs(tmp_path / "run_x4" / "a" / "b" / "c", "_SwinIR")
    assert pair_files(tmp_path / "HR", deep, other_role="sr").scale is None
    near = _outputs(tmp_path / "run_x4" / "a" / "b", "_SwinIR")
    assert pair_files(tmp_path / "HR", near, other_role="sr").scale == 4
    _touch(tmp_path / "exp_x3" / "Set5" / "HR", SET5)
    plain = _outputs(tmp_path / "plain", "_SwinIR")
    assert pair_files(tmp_path / "exp_x3" / "Set5" / "HR", plain, other_role="sr").scale is None
