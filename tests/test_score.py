"""``sr-audit score`` and :func:`sr_audit.audit.score.score_folders` on folders built in tmp_path."""
from __future__ import annotations

import io
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from sr_audit.audit.score import parse_protocols, score_folders
from sr_audit.cli.main import main_from_args
from sr_audit.errors import DataError, ImageError, SpecError
from sr_audit.metrics import score_image
from sr_audit.protocol import PROTOCOLS

NAMES = ("baby", "bird", "butterfly")


def _photo(name: str, shape: tuple[int, int] = (74, 67)) -> np.ndarray:
    """A different crop of scikit-image's astronaut for each name (sizes not multiples of the scales)."""
    from skimage import data

    k = NAMES.index(name) if name in NAMES else 3
    return np.ascontiguousarray(data.astronaut()[30 + 60 * k : 30 + 60 * k + shape[0], 150 : 150 + shape[1]])


def _sr_of(hr: np.ndarray, scale: int) -> np.ndarray:
    """An SR-like output for ``modcrop(hr, scale)``: Pillow bicubic down by ``scale`` and up again."""
    h, w = hr.shape[0] // scale * scale, hr.shape[1] // scale * scale
    im = Image.fromarray(hr[:h, :w])
    return np.asarray(im.resize((w // scale, h // scale), Image.BICUBIC).resize((w, h), Image.BICUBIC))


def _save(path: Path, array: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path)
    return path


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main_from_args(["score", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture()
def rcan(tmp_path):
    """RCAN test-code layout: HR/baby_HR_x2.png (modcropped) and SR/baby_RCAN_x2.png."""
    hrs, srs = {}, {}
    for name in NAMES:
        hr = _photo(name)[:72, :66]
        hrs[name], srs[name] = hr, _sr_of(hr, 2)
        _save(tmp_path / "HR" / f"{name}_HR_x2.png", hr)
        _save(tmp_path / "SR" / f"{name}_RCAN_x2.png", srs[name])
    return tmp_path, hrs, srs


def test_rcan_names_pair_scale_from_names_and_every_score_is_score_image(rcan):
    root, hrs, srs = rcan
    result = score_folders(root / "SR", root / "HR")
    assert result.scale == 2 and result.scale_source == "file/folder names"
    assert [p.name for p in result.pairing.pairs] == sorted(NAMES)
    for p in PROTOCOLS.values():
        rows = result.table[result.table["protocol"] == p.name].set_index("image")
        assert list(rows.index) == [*sorted(NAMES), "mean"]
        for name in NAMES:
            expected = score_image(hrs[name], srs[name] / 255.0, p, 2).as_dict()
            for metric, value in expected.items():
                got = rows.loc[name, metric]
                assert (value is None and math.isnan(got)) or got == pytest.approx(value, abs=1e-12)
        for metric in ("psnr_y", "ssim_y", "psnr_rgb", "ssim_rgb"):
            if rows[metric].notna().any():
                assert rows.loc["mean", metric] == pytest.approx(rows.loc[list(NAMES), metric].mean())


def test_summary_is_each_protocols_own_figure_and_differences_from_the_first(rcan):
    root, _, _ = rcan
    result = score_folders(root / "SR", root / "HR", protocols="ntire,matlab,pyiqa")
    s = result.summary.set_index("protocol")
    assert list(s.index) == ["ntire", "matlab", "pyiqa"]
    assert (s.loc["matlab", "psnr_space"], s.loc["pyiqa", "psnr_space"], s.loc["pyiqa", "ssim_space"]) == ("y", "rgb", "y")
    mean = result.table[result.table["image"] == "mean"].set_index("protocol")
    assert s.loc["matlab", "psnr"] == mean.loc["matlab", "psnr_y"] and s.loc["pyiqa", "ssim"] == mean.loc["pyiqa", "ssim_y"]
    assert s.loc["ntire", "d_psnr"] == 0 and s.loc["pyiqa", "d_psnr"] == pytest.approx(s.loc["pyiqa", "psnr"] - s.loc["ntire", "psnr"])
    assert result.spread()[0] == pytest.approx(s["psnr"].max() - s["psnr"].min()) and result.spread()[0] > 0.1


def test_cli_text_json_and_csv(rcan, capsys):
    root, _, _ = rcan
    code, out, err = _run(capsys, "--sr", str(root / "SR"), "--hr", str(root / "HR"))
    assert code == 0 and err == ""
    assert "x2 (from file/folder names)" in out and "what the protocol alone moves" in out and "spread (max - min)" in out
    for name in PROTOCOLS:
        assert f"\n{name}: " in out  # each preset's source and version
    assert "basicsr 1.4.2" in out and "pyiqa 0.1.16" in out and "torchmetrics 1.9.0" in out
    code, out, _ = _run(capsys, "--sr", str(root / "SR"), "--hr", str(root / "HR"), "--protocol", "basicsr", "--json")
    doc = json.loads(out)
    assert code == 0 and doc["scale"] == 2 and [p["name"] for p in doc["protocols"]] == ["basicsr"]
    assert len(doc["scores"]) == len(NAMES) + 1 and doc["scores"][-1]["image"] == "mean"
    assert doc["summary"][0]["d_psnr"] == 0 and doc["spread"] == {"psnr": 0.0, "ssim": 0.0}
    code, out, _ = _run(capsys, "--sr", str(root / "SR"), "--hr", str(root / "HR"), "--protocol", "matlab,torchmetrics", "--csv")
    table = pd.read_csv(io.StringIO(out))
    assert code == 0 and list(table.columns) == ["protocol", "image", "psnr_y", "ssim_y", "psnr_rgb", "ssim_rgb"]
    assert len(table) == 2 * (len(NAMES) + 1) and table[table["protocol"] == "torchmetrics"]["psnr_y"].isna().all()


def test_full_size_hr_is_modcropped_and_said_so_scale_needed_without_names(tmp_path, capsys):
    hr = _photo("baby")  # 74x67, full size
    _save(tmp_path / "HR" / "baby.png", hr)
    _save(tmp_path / "SR" / "baby_SwinIR.png", _sr_of(hr, 3))
    _save(tmp_path / "SR" / "bird_SwinIR.png", _sr_of(_photo("bird"), 3))
    code, _, err = _run(capsys, "--sr", str(tmp_path / "SR"), "--hr", str(tmp_path / "HR"))
    assert code == 2 and "pass --scale S" in err and len(err.strip().splitlines()) == 1
    result = score_folders(tmp_path / "SR", tmp_path / "HR", scale=3, protocols="matlab")
    assert "baby: HR 74x67 modcropped to 72x66 (a multiple of the scale 3)" in result.notes
    assert result.scale_source == "--scale" and any("without a partner" in w and "bird_SwinIR.png" in w for w in result.warnings)
    code, out, err = _run(capsys, "--sr", str(tmp_path / "SR"), "--hr", str(tmp_path / "HR"), "--scale", "x3")
    assert code == 0 and "modcropped to 72x66" in out and err.startswith("warning: 1 files without a partner")


def test_identical_images_are_inf_never_capped_and_the_capped_library_value_is_a_warning(tmp_path, capsys):
    hr = _photo("baby")[:72, :66]
    _save(tmp_path / "HR" / "baby_HR_x3.png", hr)
    _save(tmp_path / "SR" / "baby_SR_x3.png", hr)
    code, out, err = _run(capsys, "--sr", str(tmp_path / "SR"), "--hr", str(tmp_path / "HR"), "--json")
    doc = json.loads(out)
    assert code == 0
    scores = [r for r in doc["scores"] if r["image"] == "baby"]
    assert all(r[m] in ("inf", None) for r in scores for m in ("psnr_y", "psnr_rgb"))
    assert all(r["psnr_rgb"] == "inf" for r in scores if r["protocol"] in ("pyiqa", "torchmetrics", "ntire"))
    assert "baby: SR equals HR, PSNR inf" in err
    assert doc["spread"]["psnr"] == 0.0 and all(r["d_psnr"] == 0.0 for r in doc["summary"])
    assert "pyiqa: PSNR of baby shown as inf; the library prints 80.00 dB" in err


@pytest.mark.parametrize(
    "make_sr, scale, message",
    [
        (lambda hr: _sr_of(hr, 4), 2, "sizes differ, SR 72x64 vs HR 74x67; HR modcropped to a multiple of 4 has the SR size: pass --scale 4"),
        (lambda hr: hr[:70, :60], 2, "no modcrop of HR (to a multiple of 1..8) gives 70x60"),
        (lambda hr: np.pad(hr, ((0, 2), (0, 1), (0, 0))), 2, "the SR image is larger than its HR"),
    ],
)
def test_size_checks_name_the_modcrop_that_would_fix_them(tmp_path, capsys, make_sr, scale, message):
    hr = _photo("baby")
    _save(tmp_path / "HR" / "baby.png", hr)
    _save(tmp_path / "SR" / "baby.png", make_sr(hr))
    with pytest.raises(ImageError, match="^baby: sizes differ"):
        score_folders(tmp_path / "SR", tmp_path / "HR", scale=scale)
    code, _, err = _run(capsys, "--sr", str(tmp_path / "SR"), "--hr", str(tmp_path / "HR"), "--scale", str(scale))
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_16_bit_alpha_and_grey_against_rgb_are_one_line_errors(tmp_path, capsys):
    hr = _photo("baby")[:72, :66]
    _save(tmp_path / "HR" / "baby.png", hr)
    cases = {
        "16": (Image.fromarray(hr[..., 0].astype(np.uint16) * 257), "is 16-bit; every protocol scores 8-bit images"),
        "alpha": (Image.fromarray(np.dstack([hr, np.full(hr.shape[:2], 255, np.uint8)])), "alpha channel"),
        "grey": (Image.fromarray(hr[..., 0]), "HR is RGB but SR is grayscale"),
    }
    for key, (image, message) in cases.items():
        folder = tmp_path / f"SR-{key}"
        folder.mkdir()
        image.save(folder / "baby.png")
        code, _, err = _run(capsys, "--sr", str(folder), "--hr", str(tmp_path / "HR"), "--scale", "2")
        assert code == 2 and message in err and len(err.strip().splitlines()) == 1, (key, err)


def test_grey_content_rgb_against_grayscale_is_scored_as_grayscale_with_a_warning(tmp_path):
    grey = _photo("baby")[:72, :66, 1]
    _save(tmp_path / "HR" / "baby.png", grey)
    sr = _sr_of(grey, 2)
    _save(tmp_path / "SR" / "baby.png", np.repeat(sr[..., None], 3, axis=2))
    result = score_folders(tmp_path / "SR", tmp_path / "HR", scale=2, protocols="matlab")
    assert "baby: SR is RGB with R = G = B, its partner grayscale: scored as grayscale" in result.warnings
    row = result.table.iloc[0]
    assert row["psnr_y"] == pytest.approx(score_image(grey, sr / 255.0, PROTOCOLS["matlab"], 2).psnr_y)


def test_colour_sr_against_grayscale_hr_is_scored_against_r_g_b_with_a_warning(tmp_path):
    grey = _photo("baby")[:72, :66, 1]
    colour = _sr_of(_photo("baby")[:72, :66], 2)
    _save(tmp_path / "HR" / "baby.png", grey)
    _save(tmp_path / "SR" / "baby.png", colour)
    result = score_folders(tmp_path / "SR", tmp_path / "HR", scale=2, protocols="basicsr,ntire")
    assert any("HR is grayscale, SR is RGB" in w for w in result.warnings)
    for p in result.protocols:
        row = result.table[(result.table["protocol"] == p.name) & (result.table["image"] == "baby")].iloc[0]
        expected = score_image(np.repeat(grey[..., None], 3, axis=2), colour / 255.0, p, 2)
        assert row["psnr_rgb"] == pytest.approx(expected.psnr_rgb) and row["ssim_rgb"] == pytest.approx(expected.ssim_rgb)
        if p.name == "basicsr":
            assert row["psnr_y"] == pytest.approx(expected.psnr_y)


def test_protocol_lists():
    assert parse_protocols("all") == tuple(PROTOCOLS.values())
    assert [p.name for p in parse_protocols(" pyiqa , MATLAB ")] == ["pyiqa", "matlab"]
    with pytest.raises(SpecError, match="listed twice"):
        parse_protocols("matlab,matlab")
    with pytest.raises(SpecError, match="unknown protocol 'nope'; presets: matlab, basicsr, pyiqa, torchmetrics, ntire"):
        parse_protocols("matlab,nope")
    with pytest.raises(SpecError, match="no protocol given"):
        parse_protocols(" , ")


def test_pattern_and_missing_folders(tmp_path, capsys):
    hr = _photo("bird")[:72, :66]
    _save(tmp_path / "HR" / "bird.png", hr)
    _save(tmp_path / "SR" / "out-bird-4x.png", _sr_of(hr, 2))
    result = score_folders(tmp_path / "SR", tmp_path / "HR", pattern="out-{name}-4x", scale=2, protocols="matlab")
    assert [p.name for p in result.pairing.pairs] == ["bird"]
    with pytest.raises(DataError):
        score_folders(tmp_path / "SR", tmp_path / "HR", pattern="{name}_SR", scale=2)
    code, _, err = _run(capsys, "--sr", str(tmp_path / "nowhere"), "--hr", str(tmp_path / "HR"), "--scale", "2")
    assert code == 2 and "nowhere" in err


def test_uint8_over_255_quantises_back_exactly_under_every_rounding():
    k = np.arange(256)
    assert np.array_equal((k / 255.0) * 255.0, k.astype(np.float64))  # so score_image(hr, sr / 255) scores sr itself


def test_selfexsr_matlab_lr_set_as_shipped(shared_datasets, tmp_path, capsys):
    """The legacy MATLAB Set5 x2 folder (HR and LR files in one folder) as --hr, bicubic outputs of its LR as --sr."""
    from sr_audit.image_io import read_image
    from sr_audit.resize import resize

    folder = shared_datasets / "matlab_reference" / "legacy_selfexsr" / "Set5" / "image_SRF_2"
    if not folder.is_dir():
        pytest.skip(f"{folder} not found")
    for lr_file in sorted(folder.glob("*_LR.png")):
        sr = resize(read_image(lr_file), "matlab-legacy", scale=2)
        _save(tmp_path / "SR" / lr_file.name.replace("_LR", "_SR"), sr)
    code, out, err = _run(capsys, "--sr", str(tmp_path / "SR"), "--hr", str(folder), "--protocol", "matlab,basicsr", "--json")
    doc = json.loads(out)
    assert code == 0 and doc["scale"] == 2 and doc["scale_source"] == "file/folder names" and len(doc["pairs"]) == 5
    assert all(p["hr"].endswith("_HR.png") and p["sr"].endswith("_SR.png") for p in doc["pairs"])
    assert "without a partner" not in err  # the folder's LR files are set aside by their role tags, not unpaired
    mean = {s["protocol"]: s["psnr"] for s in doc["summary"]}
    assert 33.0 < mean["matlab"] < 34.5 and mean["basicsr"] != mean["matlab"]  # bicubic x2 on Set5, Y


def _selfexsr_folder(folder: Path) -> Path:
    """SelfExSR's ``image_SRF_2``: HR, LR and several methods' HR-sized outputs in one folder."""
    for i, name in enumerate(NAMES[:2], start=1):
        hr = _photo(name, (48, 48))
        _save(folder / f"img_00{i}_SRF_2_HR.png", hr)
        _save(folder / f"img_00{i}_SRF_2_LR.png", hr[::2, ::2])
        for tag in ("bicubic", "SRCNN", "nearest", "A+", "Glasner"):
            _save(folder / f"img_00{i}_SRF_2_{tag}.png", _sr_of(hr, 2))
    return folder


def test_selfexsr_folder_of_every_method_asks_for_one(tmp_path, capsys):
    folder = _selfexsr_folder(tmp_path / "Set5" / "image_SRF_2")
    code, out, err = _run(capsys, "--sr", str(folder), "--hr", str(folder), "--protocol", "matlab")
    assert code == 2 and not out and err.count("\n") == 1
    assert "this folder holds several outputs per image (tags: A+, bicubic, Glasner, nearest, SRCNN;" in err
    assert err.rstrip().endswith("pick one with --pattern '{name}_SRF_{scale}_A+'") and "_LR.png" not in err
    for pattern in ("{name}_SRF_{scale}_SRCNN", "{name}_SRCNN", "{name}_SRF_{scale}_A+"):
        code, out, err = _run(capsys, "--sr", str(folder), "--hr", str(folder), "--pattern", pattern,
                              "--protocol", "matlab", "--json")
        assert code == 0, err
        record = json.loads(out)
        tag = pattern.rsplit("_", 1)[1]
        assert record["scale"] == 2 and [Path(p["sr"]).name for p in record["pairs"]] == [
            f"img_00{i}_SRF_2_{tag}.png" for i in (1, 2)]


def test_scale_from_the_results_folder_name(tmp_path, capsys):
    """SwinIR's ``results/swinir_classical_sr_x2/baby_SwinIR.png``: the names say no scale, the folder does."""
    for name in NAMES:
        hr = _photo(name)[:72, :66]
        _save(tmp_path / "testsets" / "Set5" / "HR" / f"{name}.png", hr)
        _save(tmp_path / "results" / "swinir_classical_sr_x2" / f"{name}_SwinIR.png", _sr_of(hr, 2))
    sr, hr = str(tmp_path / "results" / "swinir_classical_sr_x2"), str(tmp_path / "testsets" / "Set5" / "HR")
    code, out, err = _run(capsys, "--sr", sr, "--hr", hr, "--protocol", "matlab")
    assert code == 0, err
    assert "x2 from the folder name 'swinir_classical_sr_x2'" in out
    assert "SR: scale x2 from the folder name 'swinir_classical_sr_x2' (the file names say none)" in out
    code, out, err = _run(capsys, "--sr", sr, "--hr", hr, "--scale", "3")
    assert code == 2 and err.strip() == (
        "sr-audit: error: --scale 3 but the SR folder name 'swinir_classical_sr_x2' says x2; check --scale and the folder")
