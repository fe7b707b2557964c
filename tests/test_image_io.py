"""Tests of sr_audit.image_io: what is read, what is refused, and lossless atomic writes."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from sr_audit.errors import ImageError
from sr_audit.image_io import (
    from_unit_float,
    im2double,
    is_gray_content,
    list_images,
    read_image,
    write_array,
    write_image,
)

RNG = np.random.default_rng(20240611)


def _rgb8(h: int = 6, w: int = 7) -> np.ndarray:
    return RNG.integers(0, 256, (h, w, 3), dtype=np.uint8)


def _rgb16(h: int = 6, w: int = 7) -> np.ndarray:
    # values whose low byte differs from the high byte, so an 8-bit reduction cannot pass
    return RNG.integers(0, 65536, (h, w, 3), dtype=np.uint16)


# ---------------------------------------------------------------- reading what is accepted


@pytest.mark.parametrize("ext", ["png", "bmp", "tif"])
def test_rgb8_round_trip(tmp_path: Path, ext: str) -> None:
    a = _rgb8()
    write_image(tmp_path / f"a.{ext}", a)
    b = read_image(tmp_path / f"a.{ext}")
    assert b.dtype == np.uint8 and b.shape == a.shape
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("ext", ["png", "bmp", "tif"])
def test_gray8_round_trip_stays_2d(tmp_path: Path, ext: str) -> None:
    a = RNG.integers(0, 256, (5, 9), dtype=np.uint8)
    write_image(tmp_path / f"g.{ext}", a)
    b = read_image(tmp_path / f"g.{ext}")
    assert b.shape == (5, 9) and b.dtype == np.uint8
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("ext", ["png", "tif"])
def test_48bit_rgb_keeps_16_bits_and_rgb_order(tmp_path: Path, ext: str) -> None:
    a = _rgb16()
    # written by OpenCV (BGR order in memory), independently of write_image
    assert cv2.imwrite(str(tmp_path / f"a.{ext}"), a[:, :, ::-1])
    # Pillow alone would give uint8 here: the reason read_image goes through OpenCV
    assert np.asarray(Image.open(tmp_path / f"a.{ext}")).dtype == np.uint8
    b = read_image(tmp_path / f"a.{ext}")
    assert b.dtype == np.uint16 and b.shape == a.shape
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("ext", ["png", "tif"])
def test_gray16_read(tmp_path: Path, ext: str) -> None:
    a = RNG.integers(0, 65536, (4, 6), dtype=np.uint16)
    assert cv2.imwrite(str(tmp_path / f"g.{ext}"), a)
    b = read_image(tmp_path / f"g.{ext}")
    assert b.dtype == np.uint16 and b.shape == (4, 6)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("ext", ["png", "tif"])
def test_uint16_round_trip_through_write_image(tmp_path: Path, ext: str) -> None:
    for a in (_rgb16(), _rgb16()[:, :, 0]):
        write_image(tmp_path / f"x.{ext}", a)
        np.testing.assert_array_equal(read_image(tmp_path / f"x.{ext}"), a)


def test_gray_palette_bmp_reads_gray_values(tmp_path: Path) -> None:
    # palette of grays in reverse order: indices differ from the gray values they stand for
    idx = RNG.integers(0, 256, (5, 5), dtype=np.uint8)
    im = Image.fromarray(idx, mode="P")
    im.putpalette([v for g in range(255, -1, -1) for v in (g, g, g)])
    im.save(tmp_path / "p.bmp")
    b = read_image(tmp_path / "p.bmp")
    assert b.shape == (5, 5)
    np.testing.assert_array_equal(b, 255 - idx)


def test_colour_palette_png_reads_rgb(tmp_path: Path) -> None:
    idx = np.array([[0, 1], [1, 0]], np.uint8)
    im = Image.fromarray(idx, mode="P")
    im.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    im.save(tmp_path / "p.png")
    b = read_image(tmp_path / "p.png")
    assert b.shape == (2, 2, 3)
    np.testing.assert_array_equal(b[0, 0], [255, 0, 0])
    np.testing.assert_array_equal(b[0, 1], [0, 0, 255])


def test_jpeg_reads_rgb(tmp_path: Path) -> None:
    Image.fromarray(_rgb8(16, 16)).save(tmp_path / "a.jpg", quality=95)
    b = read_image(tmp_path / "a.jpg")
    assert b.shape == (16, 16, 3) and b.dtype == np.uint8


def test_shared_set14_bridge_is_2d_and_man_is_gray_content(shared_datasets: Path) -> None:
    bridge = read_image(shared_datasets / "Set14" / "bridge.bmp")
    assert bridge.shape == (512, 512) and bridge.dtype == np.uint8
    man = read_image(shared_datasets / "Set14" / "man.bmp")
    assert man.ndim == 3 and is_gray_content(man)
    assert not is_gray_content(read_image(shared_datasets / "Set5" / "baby_GT.bmp"))


# ---------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("mode", "shape", "words"),
    [
        ("RGBA", (4, 4, 4), ["RGBA", "convert it to RGB"]),
        ("LA", (4, 4, 2), ["LA", "grayscale"]),
        ("1", None, ["1-bit", "grayscale"]),
        ("I", None, ["32-bit integers"]),
        ("F", None, ["32-bit floats"]),
        ("CMYK", (4, 4, 4), ["CMYK", "convert it to RGB"]),
    ],
)
def test_refused_modes_name_mode_and_fix(tmp_path: Path, mode: str, shape: tuple | None, words: list[str]) -> None:
    ext = "jpg" if mode == "CMYK" else ("tif" if mode in ("I", "F") else "png")
    target = tmp_path / f"x.{ext}"
    if shape is not None:
        Image.fromarray(RNG.integers(0, 256, shape, dtype=np.uint8), mode=mode).save(target)
    else:
        Image.new(mode, (4, 4)).save(target)
    with pytest.raises(ImageError) as info:
        read_image(target)
    message = str(info.value)
    assert str(target) in message and "\n" not in message
    for word in words:
        assert word in message


def test_rgba_16bit_png_refused(tmp_path: Path) -> None:
    assert cv2.imwrite(str(tmp_path / "a.png"), RNG.integers(0, 65536, (3, 3, 4), dtype=np.uint16))
    with pytest.raises(ImageError, match="alpha"):
        read_image(tmp_path / "a.png")


def test_palette_with_transparency_refused(tmp_path: Path) -> None:
    im = Image.fromarray(np.zeros((3, 3), np.uint8), mode="P")
    im.putpalette([0, 0, 0] * 256)
    im.save(tmp_path / "t.png", transparency=0)
    with pytest.raises(ImageError, match="transparency"):
        read_image(tmp_path / "t.png")


def test_not_an_image(tmp_path: Path) -> None:
    (tmp_path / "notes.png").write_text("hello, not a PNG")
    with pytest.raises(ImageError, match=r"notes\.png.*not an image"):
        read_image(tmp_path / "notes.png")


@pytest.mark.parametrize("ext", ["png", "bmp"])
def test_truncated_file(tmp_path: Path, ext: str) -> None:
    write_image(tmp_path / f"full.{ext}", _rgb8(64, 64))
    data = (tmp_path / f"full.{ext}").read_bytes()
    (tmp_path / f"cut.{ext}").write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageError, match=rf"cut\.{ext}.*truncated or corrupt"):
        read_image(tmp_path / f"cut.{ext}")


def test_truncated_16bit_png(tmp_path: Path) -> None:
    assert cv2.imwrite(str(tmp_path / "full.png"), _rgb16(64, 64))
    data = (tmp_path / "full.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageError, match=r"cut\.png"):
        read_image(tmp_path / "cut.png")


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="no such file"):
        read_image(tmp_path / "absent.png")
    with pytest.raises(ImageError, match="not a file"):
        read_image(tmp_path)


# ---------------------------------------------------------------- writing


def test_write_refuses_float_and_names_quantize(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="quantise"):
        write_image(tmp_path / "f.png", np.zeros((3, 3), np.float64))
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("name", "array", "pattern"),
    [
        ("a.jpg", np.zeros((3, 3), np.uint8), "lossy"),
        ("a.gif", np.zeros((3, 3), np.uint8), "unknown image extension"),
        ("a.bmp", np.zeros((3, 3), np.uint16), "BMP holds uint8"),
        ("a.png", np.zeros((3, 3), np.int32), "not int32"),
        ("a.png", np.zeros((3, 3, 4), np.uint8), "shape"),
    ],
)
def test_write_refusals(tmp_path: Path, name: str, array: np.ndarray, pattern: str) -> None:
    with pytest.raises(ImageError, match=pattern):
        write_image(tmp_path / name, array)


def test_write_into_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="does not exist"):
        write_image(tmp_path / "no" / "a.png", np.zeros((2, 2), np.uint8))


def test_write_is_atomic_and_replaces(tmp_path: Path) -> None:
    target = tmp_path / "a.png"
    write_image(target, np.zeros((4, 4), np.uint8))
    write_image(target, np.full((4, 4), 7, np.uint8))
    assert [p.name for p in tmp_path.iterdir()] == ["a.png"]  # no temporary file left behind
    assert read_image(target).max() == 7
    umask = os.umask(0)
    os.umask(umask)
    assert (target.stat().st_mode & 0o777) == (0o666 & ~umask)


def test_write_png_is_deterministic(tmp_path: Path) -> None:
    a = _rgb8()
    write_image(tmp_path / "1.png", a)
    write_image(tmp_path / "2.png", a)
    digest = [hashlib.sha256((tmp_path / n).read_bytes()).hexdigest() for n in ("1.png", "2.png")]
    assert digest[0] == digest[1]


def test_write_array_npy(tmp_path: Path) -> None:
    a = RNG.random((3, 4))
    write_array(tmp_path / "a.npy", a)
    np.testing.assert_array_equal(np.load(tmp_path / "a.npy"), a)
    with pytest.raises(ImageError, match=r"\.npy"):
        write_array(tmp_path / "a.png", a)


# ---------------------------------------------------------------- helpers


def test_im2double_and_back() -> None:
    np.testing.assert_array_equal(im2double(np.array([0, 255], np.uint8)), [0.0, 1.0])
    np.testing.assert_array_equal(im2double(np.array([0, 65535], np.uint16)), [0.0, 1.0])
    # ties go away from zero (MATLAB), not to even: 0.5/255 -> 1, 2.5/255 -> 3
    x = np.array([0.5, 2.5, 254.5]) / 255
    np.testing.assert_array_equal(from_unit_float(x), [1, 3, 255])
    np.testing.assert_array_equal(from_unit_float(np.array([-1.0, 2.0]), np.uint16), [0, 65535])
    with pytest.raises(ImageError):
        im2double(np.array([1], np.int32))


def test_is_gray_content() -> None:
    g = np.zeros((3, 3, 3), np.uint8)
    assert is_gray_content(g) and is_gray_content(g[:, :, 0])
    g[1, 1, 2] = 1
    assert not is_gray_content(g)
    with pytest.raises(ImageError):
        is_gray_content(np.zeros((3, 3, 4)))


def test_list_images(tmp_path: Path) -> None:
    for name in ("b.PNG", "a.bmp", "c.tiff", "notes.txt", "d.jpeg"):
        (tmp_path / name).write_bytes(b"")
    (tmp_path / "sub.png").mkdir()
    assert [p.name for p in list_images(tmp_path)] == ["a.bmp", "b.PNG", "c.tiff", "d.jpeg"]
    assert list_images(tmp_path / "a.bmp") == [tmp_path / "a.bmp"]
    with pytest.raises(ImageError, match="not an image file name"):
        list_images(tmp_path / "notes.txt")
    with pytest.raises(ImageError, match="no such file"):
        list_images(tmp_path / "absent")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ImageError, match="no image files"):
        list_images(tmp_path / "empty")
