"""``identify`` on folders as public SR repositories ship them: the pairing it gets from sr_audit.layouts.

SelfExSR's classic sets hold HR, LR and every method's output in one folder
(``Set5/image_SRF_2/img_001_SRF_2_{HR,LR,bicubic,SRCNN,A+,...}.png``). Tiny images and one resize
spec, so that each test takes a fraction of a second; the pairing is what is checked.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sr_audit.audit.identify import identify
from sr_audit.errors import DataError
from sr_audit.image_io import write_image
from sr_audit.resize import resize

SPEC = "pil:bicubic"


def _selfexsr(folder: Path, tags: tuple[str, ...] = ("bicubic", "SRCNN", "nearest", "A+", "Glasner")) -> Path:
    """Two images: a 16x16 HR, its x2 LR made by ``SPEC``, and HR-sized files for the other tags."""
    folder.mkdir(parents=True)
    rng = np.random.default_rng(7)
    for i in (1, 2):
        hr = rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)
        write_image(folder / f"img_00{i}_SRF_2_HR.png", hr)
        write_image(folder / f"img_00{i}_SRF_2_LR.png", resize(hr, SPEC, size=(8, 8)))
        for tag in tags:
            write_image(folder / f"img_00{i}_SRF_2_{tag}.png", rng.integers(0, 256, (16, 16, 3), dtype=np.uint8))
    return folder


def test_one_selfexsr_folder_as_hr_and_lr_reads_the_lr_tagged_files(tmp_path: Path) -> None:
    folder = _selfexsr(tmp_path / "Set5" / "image_SRF_2")
    result = identify(folder, folder, specs=[SPEC])
    assert [p.other.name for p in result.pairing.pairs] == ["img_001_SRF_2_LR.png", "img_002_SRF_2_LR.png"]
    assert not result.pairing.ambiguous and not result.pairing.unmatched
    assert result.verdict.match and result.verdict.scale == 2 and result.mode == "down"
    assert any("the LR-tagged file of each image is preferred" in n and "'{name}_SRF_{scale}_bicubic'" in n
               for n in result.pairing.notes)


def test_the_bicubic_files_by_the_pattern_the_note_gives(tmp_path: Path) -> None:
    folder = _selfexsr(tmp_path / "image_SRF_2")
    result = identify(folder, folder, specs=[SPEC], pattern="{name}_SRF_{scale}_bicubic")
    assert [p.other.name for p in result.pairing.pairs] == ["img_001_SRF_2_bicubic.png", "img_002_SRF_2_bicubic.png"]
    assert result.mode == "down-up"  # HR-sized inputs


def test_bicubic_files_alone_beside_hr_are_down_then_up_inputs(tmp_path: Path) -> None:
    folder = tmp_path / "image_SRF_2"
    folder.mkdir()
    rng = np.random.default_rng(3)
    for i in (1, 2):
        write_image(folder / f"img_00{i}_SRF_2_HR.png", rng.integers(0, 256, (16, 16, 3), dtype=np.uint8))
        write_image(folder / f"img_00{i}_SRF_2_bicubic.png", rng.integers(0, 256, (16, 16, 3), dtype=np.uint8))
    result = identify(folder, folder, specs=[SPEC])
    assert [p.other.name for p in result.pairing.pairs] == ["img_001_SRF_2_bicubic.png", "img_002_SRF_2_bicubic.png"]
    assert result.mode == "down-up"


def test_several_lr_tags_without_the_lr_tag_is_one_line_with_a_pattern(tmp_path: Path) -> None:
    folder = tmp_path / "image_SRF_2"
    folder.mkdir()
    for i in (1, 2):
        for tag in ("HR", "bicubic", "nearest"):
            write_image(folder / f"img_00{i}_SRF_2_{tag}.png", np.zeros((16, 16), dtype=np.uint8))
    with pytest.raises(DataError, match=r"several LR files per image \(tags: bicubic, nearest; .*"
                                        r"--pattern '\{name\}_SRF_\{scale\}_bicubic'$"):
        identify(folder, folder, specs=[SPEC])


def test_down_then_up_after_resize_to_fit_is_identified(tmp_path: Path) -> None:
    """The popular PyTorch SRCNN's own data preparation: the HR resized (Pillow BICUBIC) to a
    multiple of the scale, down by 3 and up again, saved as NAME_bicubic_x3 at the fitted size."""
    import skimage.data
    from PIL import Image


    (tmp_path / "hr").mkdir()
    (tmp_path / "out").mkdir()
    for name, (h, w) in (("a", (61, 50)), ("b", (47, 59))):
        hr = Image.fromarray(np.ascontiguousarray(skimage.data.astronaut()[100:100 + h, 150:150 + w]))
        hr.save(tmp_path / "hr" / f"{name}.png")
        fit = hr.resize((w // 3 * 3, h // 3 * 3), Image.BICUBIC)
        lr = fit.resize((fit.width // 3, fit.height // 3), Image.BICUBIC)
        lr.resize(fit.size, Image.BICUBIC).save(tmp_path / "out" / f"{name}_bicubic_x3.png")
    verdict = identify(tmp_path / "hr", tmp_path / "out").verdict
    assert verdict.match and verdict.geometry == "resize-to-fit", verdict
    assert (verdict.method.spec, verdict.method.up, verdict.method.compute) == ("pil:bicubic+aa", "pil:bicubic+aa", "uint8")


def test_identify_says_a_scale_came_from_the_folder_name(tmp_path: Path) -> None:
    hr = np.ascontiguousarray(np.random.default_rng(3).integers(0, 256, (24, 20, 3), dtype=np.uint8))
    (tmp_path / "HR").mkdir()
    (tmp_path / "mine_x2").mkdir()
    for name in ("a", "b"):
        write_image(tmp_path / "HR" / f"{name}.png", hr)
        write_image(tmp_path / "mine_x2" / f"{name}_MATLAB.png", resize(hr, "pil", scale="1/2"))
    result = identify(tmp_path / "HR", tmp_path / "mine_x2")
    assert result.scale_source == "from the folder name 'mine_x2', consistent with the sizes", result.scale_source
