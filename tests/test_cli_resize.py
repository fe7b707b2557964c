"""``sr-audit resize``: MATLAB reference files reproduced pixel-exactly, outputs, and error paths."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from sr_audit import backends
from sr_audit.backends.selection import backend_status
from sr_audit.cli.main import main_from_args
from sr_audit.image_io import from_unit_float, im2double, read_image, write_image
from sr_audit.resize import resize

RNG = np.random.default_rng(7)


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main_from_args(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def require_backend(name: str) -> None:
    """Skip the calling test, with the reason, unless backend ``name`` is registered and available."""
    status = {s.name: s for s in backend_status()}
    if name not in status:
        pytest.skip(f"backend {name!r} is not registered")
    if status[name].reason is not None:
        pytest.skip(f"backend {name!r} is unavailable: {status[name].reason}")


def assert_same_pixels(produced: Path, reference: Path) -> None:
    a, b = read_image(produced), read_image(reference)
    assert a.shape == b.shape and a.dtype == b.dtype
    diff = a != b
    assert not diff.any(), f"{produced.name}: {int(diff.sum())} values differ from {reference}"


# ------------------------------------------------ MATLAB reference files (real MATLAB imresize output)


@pytest.mark.parametrize(
    ("scale", "reference"),
    [
        ("1/2", "baboon_down_x2_matlab.png"),
        ("1/3", "baboon_down_x3_matlab.png"),
        ("1/4", "baboon_down_x4_matlab.png"),
        ("2", "baboon_up_x2_matlab.png"),
        ("3", "baboon_up_x3_matlab.png"),
    ],
)
def test_matlab_r2017b_baboon_float_path(
    shared_datasets: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], scale: str, reference: str
) -> None:
    """R2017b: imwrite(imresize(im2double(imread('baboon.png')), k, 'bicubic'))."""
    require_backend("matlab")
    folder = shared_datasets / "matlab_reference" / "r2017b_baboon"
    code, out, err = run_cli(capsys, "resize", str(folder / "baboon.png"), "--backend", "matlab",
                             "--scale", scale, "--compute", "float", "--out-dir", str(tmp_path))
    assert code == 0, err
    assert out.splitlines()[0].startswith("matlab:bicubic+aa: kernel bicubic, cubic a=-0.5")
    assert_same_pixels(tmp_path / "baboon.png", folder / reference)


@pytest.mark.parametrize(("compute", "reference"), [(None, "lena_123x234_uint8.png"), ("float", "lena_123x234_double.png")])
def test_matlab_r2015b_lena_irregular_size(
    shared_datasets: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], compute: str | None, reference: str
) -> None:
    """R2015b: imresize(lena, [123 234]) from uint8 input and from im2double input."""
    require_backend("matlab")
    folder = shared_datasets / "matlab_reference" / "r2015b_lena"
    extra = ["--compute", compute] if compute else []
    code, _, err = run_cli(capsys, "resize", str(folder / "lena_512x512.png"), "--backend", "matlab",
                           "--size", "123x234", *extra, "--out-dir", str(tmp_path))
    assert code == 0, err
    assert_same_pixels(tmp_path / "lena_512x512.png", folder / reference)


@pytest.mark.parametrize("srf", [2, 3, 4])
def test_matlab_legacy_set5_lr(shared_datasets: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], srf: int) -> None:
    """Legacy MATLAB: LR = imresize(HR uint8, 1/s, 'bicubic'), for every Set5 pair at this scale."""
    require_backend("matlab-legacy")
    folder = shared_datasets / "matlab_reference" / "legacy_selfexsr" / "Set5" / f"image_SRF_{srf}"
    hr = sorted(folder.glob("*_HR.png"))
    assert len(hr) == 5
    code, _, err = run_cli(capsys, "resize", *map(str, hr), "--backend", "matlab-legacy",
                           "--scale", f"1/{srf}", "--out-dir", str(tmp_path))
    assert code == 0, err
    for path in hr:
        assert_same_pixels(tmp_path / path.name, folder / path.name.replace("_HR", "_LR"))


def test_matlab_legacy_set14_lr_x3(shared_datasets: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Legacy MATLAB on Set14 (includes grayscale images) at x3, given as a folder plus a filter of names."""
    require_backend("matlab-legacy")
    folder = shared_datasets / "matlab_reference" / "legacy_selfexsr" / "Set14" / "image_SRF_3"
    hr = sorted(folder.glob("*_HR.png"))
    code, _, err = run_cli(capsys, "resize", *map(str, hr), "--backend", "matlab-legacy",
                           "--scale", "1/3", "--compute", "uint8", "--out-dir", str(tmp_path))
    assert code == 0, err
    for path in hr:
        assert_same_pixels(tmp_path / path.name, folder / path.name.replace("_HR", "_LR"))


# ------------------------------------------------ outputs with the always-present Pillow backend


def test_names_formats_and_values_follow_inputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "in"
    src.mkdir()
    rgb = RNG.integers(0, 256, (30, 45, 3), dtype=np.uint8)
    gray = RNG.integers(0, 256, (30, 45), dtype=np.uint8)
    write_image(src / "a.png", rgb)
    write_image(src / "b.bmp", gray)
    code, out, err = run_cli(capsys, "resize", str(src), "--backend", "pil", "--scale", "1/3",
                             "--out-dir", str(tmp_path / "out"))
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("pil:bicubic+aa: ") and lines[-1] == f"wrote 2 files to {tmp_path / 'out'}"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.png", "b.bmp"]
    assert Image.open(tmp_path / "out" / "a.png").format == "PNG"
    assert Image.open(tmp_path / "out" / "b.bmp").format == "BMP"
    np.testing.assert_array_equal(read_image(tmp_path / "out" / "a.png"), resize(rgb, "pil", scale="1/3"))
    np.testing.assert_array_equal(read_image(tmp_path / "out" / "b.bmp"), resize(gray, "pil", scale="1/3"))


@pytest.mark.parametrize("name", backends.names())
def test_every_available_backend_through_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str) -> None:
    """Each registered backend's default spec: the CLI writes what the library computes, 8-bit and float."""
    require_backend(name)
    rgb = RNG.integers(0, 256, (21, 30, 3), dtype=np.uint8)
    write_image(tmp_path / "a.png", rgb)
    write_image(tmp_path / "g.png", rgb[:, :, 0])
    for compute, convert in ((None, lambda x: x), ("float", im2double)):
        out = tmp_path / f"out-{compute}"
        extra = ["--compute", compute] if compute else []
        code, stdout, err = run_cli(capsys, "resize", str(tmp_path / "a.png"), str(tmp_path / "g.png"),
                                    "--backend", name, "--size", "7x10", *extra, "--out-dir", str(out))
        assert code == 0, err
        assert stdout.startswith(f"{backends.resolve(name)}: kernel ")
        for file, source in (("a.png", rgb), ("g.png", rgb[:, :, 0])):
            expected = resize(convert(source), name, size=(7, 10))
            got = read_image(out / file)
            assert got.shape == source.shape[:0] + (7, 10) + source.shape[2:]
            np.testing.assert_array_equal(got, from_unit_float(expected) if compute else expected)


def test_size_is_height_first(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_image(tmp_path / "a.png", RNG.integers(0, 256, (20, 20, 3), dtype=np.uint8))
    code, _, err = run_cli(capsys, "resize", str(tmp_path / "a.png"), "--backend", "pil", "--size", "7x11",
                           "--out-dir", str(tmp_path / "out"))
    assert code == 0, err
    assert read_image(tmp_path / "out" / "a.png").shape == (7, 11, 3)


def test_float_compute_and_npy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rgb = RNG.integers(0, 256, (24, 24, 3), dtype=np.uint8)
    write_image(tmp_path / "a.png", rgb)
    expected = resize(im2double(rgb), "pil", scale=2)
    code, _, err = run_cli(capsys, "resize", str(tmp_path / "a.png"), "--backend", "pil", "--scale", "2",
                           "--compute", "float", "--npy", "--out-dir", str(tmp_path / "npy"))
    assert code == 0, err
    saved = np.load(tmp_path / "npy" / "a.npy")
    assert saved.dtype == np.float64
    np.testing.assert_array_equal(saved, expected)
    # the image written from the float path is that array rounded half away from zero
    code, _, err = run_cli(capsys, "resize", str(tmp_path / "a.png"), "--backend", "pil", "--scale", "2",
                           "--compute", "float", "--out-dir", str(tmp_path / "png"))
    assert code == 0, err
    np.testing.assert_array_equal(read_image(tmp_path / "png" / "a.png"), from_unit_float(expected))


def test_16bit_input_keeps_its_depth(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = RNG.integers(0, 65536, (12, 12, 3), dtype=np.uint16)
    assert cv2.imwrite(str(tmp_path / "a.png"), a[:, :, ::-1])
    code, _, err = run_cli(capsys, "resize", str(tmp_path / "a.png"), "--backend", "pil", "--scale", "1/2",
                           "--compute", "float", "--out-dir", str(tmp_path / "out"))
    assert code == 0, err
    got = read_image(tmp_path / "out" / "a.png")
    assert got.dtype == np.uint16
    np.testing.assert_array_equal(got, from_unit_float(resize(im2double(a), "pil", scale="1/2"), np.uint16))
    code, _, err = run_cli(capsys, "resize", str(tmp_path / "a.png"), "--backend", "pil", "--scale", "1/2",
                           "--compute", "uint8", "--out-dir", str(tmp_path / "out"))
    assert code == 2 and "--compute uint8 needs an 8-bit image" in err


def test_jpeg_input_is_read_and_written_as_png(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Image.fromarray(RNG.integers(0, 256, (16, 16, 3), dtype=np.uint8)).save(tmp_path / "a.jpg")
    code, out, err = run_cli(capsys, "resize", str(tmp_path / "a.jpg"), "--backend", "pil", "--scale", "2",
                             "--out-dir", str(tmp_path / "out"))
    assert code == 0, err
    assert "JPEG" in out and "lossy" in out and "written as .png" in out
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.png"]
    np.testing.assert_array_equal(read_image(tmp_path / "out" / "a.png"), resize(read_image(tmp_path / "a.jpg"), "pil", scale=2))
    code, _, err = run_cli(capsys, "resize", str(tmp_path / "a.jpg"), "--backend", "pil", "--scale", "2",
                           "--npy", "--out-dir", str(tmp_path / "npy"))
    assert code == 0, err
    assert np.load(tmp_path / "npy" / "a.npy").shape == (32, 32, 3)


def test_refuses_to_overwrite_input_or_clash(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_image(tmp_path / "a.png", np.zeros((8, 8), np.uint8))
    code, _, err = run_cli(capsys, "resize", str(tmp_path / "a.png"), "--backend", "pil", "--scale", "2",
                           "--out-dir", str(tmp_path))
    assert code == 2 and "overwrite the input" in err
    write_image(tmp_path / "a.bmp", np.zeros((8, 8), np.uint8))
    code, _, err = run_cli(capsys, "resize", str(tmp_path / "a.png"), str(tmp_path / "a.bmp"), "--backend", "pil",
                           "--scale", "2", "--npy", "--out-dir", str(tmp_path / "out"))
    assert code == 2 and "would both write" in err


# ------------------------------------------------ error paths: exit 2, one stderr line, no traceback


def _bad_files(tmp_path: Path) -> dict[str, Path]:
    Image.fromarray(np.zeros((4, 4, 4), np.uint8), mode="RGBA").save(tmp_path / "rgba.png")
    (tmp_path / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 40)
    write_image(tmp_path / "good.png", np.zeros((8, 8, 3), np.uint8))
    return {"rgba": tmp_path / "rgba.png", "corrupt": tmp_path / "corrupt.png",
            "missing": tmp_path / "missing.png", "good": tmp_path / "good.png"}


@pytest.mark.parametrize(
    ("file", "options", "expected"),
    [
        ("good", ["--backend", "pil", "--scale", "0"], "--scale '0' is not a positive number"),
        ("good", ["--backend", "pil", "--scale", "1/0"], "--scale '1/0' is not a positive number"),
        ("good", ["--backend", "pil", "--scale", "abc"], "--scale 'abc' is not a positive number"),
        ("good", ["--backend", "pil", "--scale", "2", "--size", "3x3"], "not allowed with argument"),
        ("good", ["--backend", "pil"], "one of the arguments --scale --size is required"),
        ("good", ["--backend", "pil", "--size", "3x0"], "--size '3x0' is not HEIGHTxWIDTH"),
        ("good", ["--backend", "pil", "--size", "big"], "--size 'big' is not HEIGHTxWIDTH"),
        ("good", ["--backend", "nosuchlib", "--scale", "2"], "--backend: unknown backend 'nosuchlib'; available backends: pil"),
        ("good", ["--backend", "pil:mitchellcubic", "--scale", "2"], "has no kernel 'mitchellcubic'"),
        ("good", ["--backend", "pil", "--scale", "1/100"], "use a larger scale"),
        ("rgba", ["--backend", "pil", "--scale", "2"], "alpha channel (mode RGBA); convert it to RGB"),
        ("corrupt", ["--backend", "pil", "--scale", "2"], "corrupt.png"),
        ("missing", ["--backend", "pil", "--scale", "2"], "missing.png: no such file"),
    ],
)
def test_errors_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], file: str, options: list[str], expected: str
) -> None:
    path = _bad_files(tmp_path)[file]
    code, _, err = run_cli(capsys, "resize", str(path), *options, "--out-dir", str(tmp_path / "out"))
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("sr-audit: error: "), err
    assert expected in err
    assert "Traceback" not in err


def test_console_script_error_has_no_traceback(tmp_path: Path) -> None:
    path = _bad_files(tmp_path)["rgba"]
    proc = subprocess.run(
        [sys.executable, "-m", "sr_audit", "resize", str(path), "--backend", "pil", "--scale", "2",
         "--out-dir", str(tmp_path / "out")],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "RGBA" in proc.stderr and "Traceback" not in proc.stderr


def test_out_is_the_option_name_and_out_dir_its_alias(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_image(tmp_path / "a.png", RNG.integers(0, 256, (12, 12, 3), dtype=np.uint8))
    for option in ("--out", "--out-dir"):
        code, _, err = run_cli(capsys, "resize", str(tmp_path / "a.png"), "--backend", "pil", "--scale", "1/2",
                               option, str(tmp_path / option.strip("-")))
        assert code == 0, err
        assert read_image(tmp_path / option.strip("-") / "a.png").shape == (6, 6, 3)
