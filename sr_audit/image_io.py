"""Validated image files in and out: :func:`read_image`, :func:`write_image`, :func:`list_images`.

Arrays returned by :func:`read_image`
-------------------------------------
* 8-bit files: ``uint8``, shape ``(H, W, 3)`` in RGB order, or ``(H, W)`` for grayscale. An 8-bit
  palette image (BMP/PNG mode ``P``) is looked up through its palette: a palette of grays gives
  ``(H, W)`` gray values (not palette indices, unlike MATLAB ``imread``), any other palette ``(H, W, 3)``.
  8-bit grayscale BMPs such as Set14's ``bridge.bmp`` therefore stay ``(H, W)``.
* 16-bit PNG and TIFF: ``uint16`` in its own depth, ``(H, W)`` or ``(H, W, 3)``. Pillow silently
  reduces 48-bit RGB files to 8 bits, so files whose header says 16 bits per sample are decoded with
  OpenCV (``IMREAD_UNCHANGED``) and turned from BGR to RGB.
* Everything else is refused with an :class:`~sr_audit.errors.ImageError` naming the file, the
  problem and the fix: alpha channels (RGBA, LA, PA, palette transparency), CMYK, 1-bit, 32-bit
  integer and float images, files that are not images or are truncated, missing files.

The EXIF orientation tag is ignored (as MATLAB ``imread`` ignores it): pixels come in file order.

Files written by :func:`write_image`
------------------------------------
Lossless formats only, chosen by the extension: PNG (uint8 and uint16), BMP (uint8), TIFF (uint8
and uint16). Float arrays are refused: quantise them first with :func:`from_unit_float` or
:func:`sr_audit.rounding.quantize`, so that the rounding rule is always named by the caller. Writes
are atomic (a temporary file in the target folder, then :func:`os.replace`).
"""
from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np

from sr_audit.errors import ImageError
from sr_audit.io_util import atomic_write_bytes
from sr_audit.rounding import quantize

#: Extensions :func:`list_images` picks up (lower case, without the dot).
IMAGE_EXTENSIONS: tuple[str, ...] = ("png", "bmp", "jpg", "jpeg", "tif", "tiff")

#: Lossless formats :func:`write_image` writes: extension -> (format name, dtypes it can hold).
WRITE_FORMATS: dict[str, tuple[str, tuple[str, ...]]] = {
    "png": ("PNG", ("uint8", "uint16")),
    "bmp": ("BMP", ("uint8",)),
    "tif": ("TIFF", ("uint8", "uint16")),
    "tiff": ("TIFF", ("uint8", "uint16")),
}

#: Pillow modes that are refused, and the fix the message gives.
_REFUSED_MODES: dict[str, str] = {
    "RGBA": "has an alpha channel (mode RGBA); convert it to RGB first (flatten or drop the alpha)",
    "RGBa": "has an alpha channel (mode RGBa); convert it to RGB first (flatten or drop the alpha)",
    "LA": "has an alpha channel (mode LA); convert it to 8-bit grayscale (mode L) first",
    "La": "has an alpha channel (mode La); convert it to 8-bit grayscale (mode L) first",
    "PA": "is a palette image with an alpha channel (mode PA); convert it to RGB first",
    "CMYK": "is a CMYK image; convert it to RGB first",
    "1": "is a 1-bit black-and-white image; convert it to 8-bit grayscale (mode L) first",
    "I": "holds 32-bit integers (mode I); convert it to 8- or 16-bit grayscale first",
    "F": "holds 32-bit floats (mode F); quantise it to an 8- or 16-bit image first",
}

#: The largest value of each integer dtype :func:`im2double` divides by.
_UNIT_MAX: dict[str, float] = {"uint8": 255.0, "uint16": 65535.0}


def _file_bits_per_sample(path: Path, image_format: str | None, tiff_tags: object) -> int | None:
    """Bits per sample from the file header (PNG IHDR, TIFF tag 258), None for other formats."""
    if image_format == "PNG":
        with open(path, "rb") as fh:
            header = fh.read(26)
        # 8-byte signature, 4-byte length, b"IHDR", width, height, then the bit depth byte
        return header[24] if len(header) >= 26 and header[12:16] == b"IHDR" else None
    if image_format == "TIFF" and tiff_tags is not None:
        bits = tiff_tags.get(258)  # type: ignore[attr-defined]
        if bits is None:
            return None
        return int(max(bits)) if isinstance(bits, tuple) else int(bits)
    return None


def _read_16bit(path: Path) -> np.ndarray:
    import cv2

    data = np.fromfile(path, dtype=np.uint8)
    array = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
    if array is None:
        raise ImageError(f"{path}: cannot decode this 16-bit image (truncated or corrupt); re-save it as PNG")
    if array.dtype != np.uint16:
        raise ImageError(f"{path}: header says 16 bits per sample but it decodes as {array.dtype}; re-save it as PNG")
    if array.ndim == 3 and array.shape[2] == 3:
        array = np.ascontiguousarray(array[:, :, ::-1])
    elif array.ndim != 2:
        raise ImageError(f"{path}: 16-bit image with {array.shape[2]} channels; convert it to RGB or grayscale first")
    return array


def read_image(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an image file into a validated array.

    Parameters
    ----------
    path : str or PathLike
        An image file Pillow can open (PNG, BMP, JPEG, TIFF, ...).

    Returns
    -------
    ndarray
        ``uint8`` ``(H, W, 3)`` RGB or ``(H, W)`` grayscale; ``uint16`` of the same shapes for 16-bit
        PNG/TIFF files. See the module docstring for palette images.

    Raises
    ------
    ImageError
        The file is missing, not an image, truncated, or of a mode that is refused (alpha, CMYK,
        1-bit, 32-bit); the message names the file and the fix.
    """
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    if not path.exists():
        raise ImageError(f"{path}: no such file; check the path")
    if not path.is_file():
        raise ImageError(f"{path}: not a file; give an image file (a folder is only accepted where listed)")
    try:
        with Image.open(path) as im:
            mode, image_format = im.mode, im.format
            if mode in _REFUSED_MODES and not (mode == "I" and image_format in ("PNG", "TIFF")):
                raise ImageError(f"{path}: {_REFUSED_MODES[mode]}")
            if mode == "P" and "transparency" in im.info:
                raise ImageError(f"{path}: is a palette image with transparency; convert it to RGB first")
            bits = _file_bits_per_sample(path, image_format, getattr(im, "tag_v2", None))
            if bits == 16:
                return _read_16bit(path)
            if mode in _REFUSED_MODES:
                raise ImageError(f"{path}: {_REFUSED_MODES[mode]}")
            if getattr(im, "n_frames", 1) > 1:
                raise ImageError(f"{path}: holds {im.n_frames} frames; save the frame you want as its own file")
            if mode in ("L", "RGB"):
                return np.array(im, dtype=np.uint8)
            if mode.startswith("I;16"):
                return np.array(im).astype(np.uint16)
            if mode == "P":
                rgb = np.array(im.convert("RGB"), dtype=np.uint8)
                return np.ascontiguousarray(rgb[:, :, 0]) if is_gray_content(rgb) else rgb
    except ImageError:
        raise
    except UnidentifiedImageError:
        raise ImageError(f"{path}: not an image file Pillow can read; give a PNG, BMP, JPEG or TIFF file") from None
    except Image.DecompressionBombError as exc:
        raise ImageError(f"{path}: too large to read safely ({exc}); crop or shrink it first") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageError(f"{path}: cannot decode the image, it is truncated or corrupt ({exc}); re-export it") from None
    raise ImageError(f"{path}: image mode {mode} is not supported; convert it to RGB or 8-bit grayscale first")


def is_gray_content(image: np.ndarray) -> bool:
    """True when ``image`` carries no colour: 2-D, ``(H, W, 1)``, or ``(H, W, 3)`` with R = G = B.

    >>> is_gray_content(np.zeros((2, 2, 3), np.uint8))
    True
    """
    if image.ndim == 2 or (image.ndim == 3 and image.shape[2] == 1):
        return True
    if image.ndim == 3 and image.shape[2] == 3:
        return bool(np.array_equal(image[:, :, 0], image[:, :, 1]) and np.array_equal(image[:, :, 0], image[:, :, 2]))
    raise ImageError(f"is_gray_content needs an HxW or HxWx{{1,3}} image, got shape {image.shape}")


def im2double(image: np.ndarray) -> np.ndarray:
    """MATLAB ``im2double``: uint8 / 255, uint16 / 65535, floats as float64 unchanged.

    >>> im2double(np.array([0, 51, 255], np.uint8))
    array([0. , 0.2, 1. ])
    """
    if image.dtype.name in _UNIT_MAX:
        return image.astype(np.float64) / _UNIT_MAX[image.dtype.name]
    if image.dtype.kind == "f":
        return image.astype(np.float64)
    raise ImageError(f"im2double: dtype {image.dtype} is not supported; give uint8, uint16 or float")


def from_unit_float(image: np.ndarray, dtype: type | np.dtype = np.uint8) -> np.ndarray:
    """MATLAB ``im2uint8``/``im2uint16`` and ``imwrite`` of doubles: scale by the dtype's maximum,
    round half away from zero, saturate.

    >>> from_unit_float(np.array([-0.1, 0.5, 2 / 255 + 0.5 / 255, 1.2]))
    array([  0, 128,   3, 255], dtype=uint8)
    """
    name = np.dtype(dtype).name
    if name not in _UNIT_MAX:
        raise ImageError(f"from_unit_float: target dtype {name} is not one of: {', '.join(_UNIT_MAX)}")
    return quantize(np.asarray(image, dtype=np.float64) * _UNIT_MAX[name], dtype, "half-away-from-zero")


def _encode(array: np.ndarray, extension: str) -> bytes:
    image_format = WRITE_FORMATS[extension][0]
    if array.dtype == np.uint16:
        import cv2

        bgr = array[:, :, ::-1] if array.ndim == 3 else array
        ok, encoded = cv2.imencode(f".{extension}", np.ascontiguousarray(bgr))
        if not ok:
            raise ImageError(f"OpenCV could not encode a 16-bit {image_format} image of shape {array.shape}")
        return encoded.tobytes()
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(array, mode="RGB" if array.ndim == 3 else "L").save(buffer, format=image_format)
    return buffer.getvalue()


def _require_folder(path: Path) -> None:
    """Refuse to write into a folder that does not exist (a mistyped output path is not created)."""
    if not path.parent.is_dir():
        raise ImageError(f"cannot write {path}: folder {path.parent} does not exist; create it first")


def write_image(path: str | os.PathLike[str], array: np.ndarray) -> None:
    """Write an integer image losslessly and atomically; the format follows the extension.

    Parameters
    ----------
    path : str or PathLike
        Target file; its extension picks the format, one of :data:`WRITE_FORMATS`.
    array : ndarray
        ``uint8`` or ``uint16``, shape ``(H, W)``, ``(H, W, 1)`` or ``(H, W, 3)`` (RGB order).
        Values are written as they are; floats are refused (quantise first, naming the rounding).

    Raises
    ------
    ImageError
        Float or other dtype, bad shape, a format that cannot hold the dtype, a lossy or unknown
        extension, a missing folder.
    """
    path = Path(path)
    extension = path.suffix.lower().lstrip(".")
    if extension in ("jpg", "jpeg"):
        raise ImageError(f"cannot write {path}: JPEG is lossy; write a .png (or .bmp/.tif) instead")
    if extension not in WRITE_FORMATS:
        raise ImageError(f"cannot write {path}: unknown image extension; use one of: .{', .'.join(WRITE_FORMATS)}")
    if not isinstance(array, np.ndarray):
        raise ImageError(f"cannot write {path}: expected a numpy array, got {type(array).__name__}")
    if array.dtype.kind == "f":
        raise ImageError(
            f"cannot write {path}: {array.dtype} array; quantise it first, e.g. "
            "sr_audit.image_io.from_unit_float(x) for 0..1 data or sr_audit.rounding.quantize(x) for 0..255 data"
        )
    image_format, dtypes = WRITE_FORMATS[extension]
    if array.dtype.name not in dtypes:
        raise ImageError(f"cannot write {path}: {image_format} holds {' or '.join(dtypes)} here, not {array.dtype}")
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if not (array.ndim == 2 or (array.ndim == 3 and array.shape[2] == 3)) or 0 in array.shape:
        raise ImageError(f"cannot write {path}: expected an HxW or HxWx3 image, got shape {array.shape}")
    _require_folder(path)
    atomic_write_bytes(path, _encode(np.ascontiguousarray(array), extension))


def write_array(path: str | os.PathLike[str], array: np.ndarray) -> None:
    """Save ``array`` as a ``.npy`` file atomically (for unrounded float results)."""
    path = Path(path)
    if path.suffix.lower() != ".npy":
        raise ImageError(f"cannot write {path}: arrays are saved as .npy files; use a .npy name")
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(array), allow_pickle=False)
    _require_folder(path)
    atomic_write_bytes(path, buffer.getvalue())


def list_images(path: str | os.PathLike[str]) -> list[Path]:
    """Image files named by ``path``: the file itself, or a folder's files (not recursive), sorted.

    Image files are those whose extension (any case) is in :data:`IMAGE_EXTENSIONS`.

    Raises
    ------
    ImageError
        ``path`` does not exist, is a file with another extension, or a folder with no image files.
    """
    path = Path(path)
    if not path.exists():
        raise ImageError(f"{path}: no such file or folder; check the path")
    wanted = tuple(f".{e}" for e in IMAGE_EXTENSIONS)
    if path.is_file():
        if path.suffix.lower() not in wanted:
            raise ImageError(f"{path}: not an image file name; image extensions are: {', '.join(wanted)}")
        return [path]
    found = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in wanted)
    if not found:
        raise ImageError(f"{path}: folder holds no image files ({', '.join(wanted)}); check the path")
    return found
