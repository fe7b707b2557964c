"""Image sets: a folder of images, a standard SR set by name, or the embedded default.

What ``data`` may name (:func:`load_dataset`)
---------------------------------------------
1. ``None``: the embedded default, photographs bundled with scikit-image (``skimage.data``), split
   into :data:`EMBEDDED_TRAIN` and :data:`EMBEDDED_EVAL`; also reachable by the names
   ``embedded-train`` and ``embedded-eval``. Nothing is downloaded.
2. An existing folder (or a single image file): its HR images, read by
   :func:`sr_audit.image_io.read_image`, sorted by file name (not recursive), as
   :func:`sr_audit.layouts.hr_files` finds them in the field's layouts: BasicSR's ``Set5/`` reads
   ``Set5/GTmod12``, EDSR's and SwinIR's ``benchmark/Set5/`` reads ``HR/``, RCAN's ``Set5/`` and
   SelfExSR's ``Set5/`` read ``x{scale}/`` and ``image_SRF_{scale}/`` (``scale`` picks one), a
   SelfExSR folder keeps only its ``_HR`` files, and ``baby_HR_x2`` and ``img_001_SRF_2_HR`` are
   named ``baby`` and ``img_001``. What was resolved, set aside or renamed is in
   :attr:`Dataset.notes`, each note also given as an :class:`~sr_audit.errors.SrAuditWarning`.
3. A standard set name from :data:`STANDARD_SETS` (case-insensitive: ``set5``, ``Set5``, ``SET5``):
   the folder of that name under the data root, which is, in this order,

   a. ``data_root`` (the ``--data-root`` option) when given;
   b. else the environment variable ``SR_AUDIT_DATA`` when set;
   c. else ``../shared/datasets`` relative to the current directory, when that folder exists.

   An unknown name, or a known one not found, is an error that lists the known names and where it
   looked.

Every image is 8-bit (``uint8`` ``(H, W, 3)`` RGB or ``(H, W)`` grayscale, kept as the file has it:
Set14's ``bridge.bmp`` stays grayscale, ``man.bmp`` stays RGB with R = G = B; how each enters a
metric is the :class:`~sr_audit.protocol.Protocol`'s and the degradation's business). Each record
carries the sha256 of its decoded pixels (:func:`image_sha256`) for cache keys. Arrays are
read-only.
"""
from __future__ import annotations

import hashlib
import os
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sr_audit.errors import DataError, SrAuditWarning
from sr_audit.image_io import read_image
from sr_audit.layouts import hr_files

#: Standard SR sets: lower-case name -> folder name under the data root, and what it is.
STANDARD_SETS: dict[str, tuple[str, str]] = {
    "t91": ("T91", "the 91 training images of Yang et al. 2010, as used by SRCNN"),
    "set5": ("Set5", "Bevilacqua et al. 2012, five images"),
    "set14": ("Set14", "Zeyde et al. 2010, fourteen images (bridge.bmp is grayscale)"),
}

#: Environment variable naming the data root.
DATA_ENV = "SR_AUDIT_DATA"

#: Data root used when neither ``data_root`` nor :data:`DATA_ENV` is given, relative to the cwd.
DEFAULT_DATA_ROOT = Path("..") / "shared" / "datasets"

#: Embedded training images: ``skimage.data`` function name -> description.
EMBEDDED_TRAIN: dict[str, str] = {
    "astronaut": "RGB 512x512, portrait (NASA)",
    "coffee": "RGB 400x600, cup of coffee",
    "rocket": "RGB 427x640, rocket on its launch pad",
    "hubble_deep_field": "RGB 872x1000, galaxies (NASA)",
    "immunohistochemistry": "RGB 512x512, stained tissue (microscopy)",
}

#: Embedded evaluation images: ``skimage.data`` function name -> description.
EMBEDDED_EVAL: dict[str, str] = {
    "chelsea": "RGB 300x451, cat",
    "camera": "grayscale 512x512, cameraman (exercises the grayscale rule)",
    "coins": "grayscale 303x384, Greek coins (Pergamon Museum)",
}

#: Names of the embedded splits.
EMBEDDED_SETS: dict[str, dict[str, str]] = {"embedded-train": EMBEDDED_TRAIN, "embedded-eval": EMBEDDED_EVAL}


def image_sha256(image: np.ndarray) -> str:
    """Hex sha256 of an array's dtype, shape and C-order bytes (a content key for caches)."""
    h = hashlib.sha256(f"{image.dtype.str}{tuple(image.shape)}".encode())
    h.update(np.ascontiguousarray(image).tobytes())
    return h.hexdigest()


@dataclass(frozen=True)
class ImageRecord:
    """One image of a set.

    Attributes
    ----------
    name : str
        File stem (the key of a scale-carrying stem, :func:`sr_audit.layouts.hr_files`), or the
        ``skimage.data`` function name.
    image : ndarray
        Read-only ``uint8`` ``(H, W, 3)`` RGB or ``(H, W)`` grayscale.
    sha256 : str
        :func:`image_sha256` of ``image``.
    source : str
        File path, or ``skimage.data.<name>``.
    """

    name: str
    image: np.ndarray
    sha256: str
    source: str

    @classmethod
    def from_array(cls, name: str, image: np.ndarray, source: str) -> "ImageRecord":
        if image.dtype != np.uint8 or image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] != 3):
            raise DataError(
                f"{source}: sr-audit data sets hold 8-bit grayscale or RGB images, got {image.dtype} {image.shape}; "
                "convert the image to 8-bit first"
            )
        image = np.ascontiguousarray(image)
        image.setflags(write=False)
        return cls(name=name, image=image, sha256=image_sha256(image), source=source)


@dataclass(frozen=True)
class Dataset:
    """A named, ordered collection of :class:`ImageRecord`.

    ``source`` is the folder read (after resolving a layout), the image file, or where the embedded
    images come from; ``notes`` says what :func:`sr_audit.layouts.hr_files` resolved, set aside or
    renamed (empty for a plain folder).
    """

    name: str
    source: str
    images: tuple[ImageRecord, ...]
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.images:
            raise DataError(f"data set {self.name} ({self.source}) holds no images")
        names = [r.name for r in self.images]
        if len(set(names)) != len(names):
            raise DataError(f"data set {self.name} ({self.source}) has several images with the same name: {sorted(names)}")

    def __len__(self) -> int:
        return len(self.images)

    def __iter__(self) -> Iterator[ImageRecord]:
        return iter(self.images)


def find_data_root(data_root: str | os.PathLike[str] | None = None) -> tuple[Path | None, str]:
    """The data root and how it was chosen (see the module docstring for the order).

    Returns ``(None, explanation)`` when no root is given and the default folder does not exist.
    """
    if data_root is not None:
        return Path(data_root), "--data-root"
    env = os.environ.get(DATA_ENV)
    if env:
        return Path(env), f"${DATA_ENV}"
    default = (Path.cwd() / DEFAULT_DATA_ROOT).resolve()
    if default.is_dir():
        return default, "default ../shared/datasets"
    return None, f"no --data-root, ${DATA_ENV} unset, and {default} does not exist"


def _known_names() -> str:
    return ", ".join([folder for folder, _ in STANDARD_SETS.values()] + list(EMBEDDED_SETS))


def resolve_data(data: str | os.PathLike[str], data_root: str | os.PathLike[str] | None = None) -> Path:
    """The folder or file that ``data`` names: an existing path, else a standard set under the data root."""
    path = Path(data)
    if path.exists():
        return path
    key = str(data).strip().lower()
    if key not in STANDARD_SETS:
        raise DataError(
            f"data {str(data)!r} is neither an existing folder (no {path.absolute()}) nor a known set name; "
            f"known names: {_known_names()}"
        )
    folder = STANDARD_SETS[key][0]
    root, how = find_data_root(data_root)
    if root is None:
        raise DataError(f"cannot find set {folder}: {how}; pass --data-root DIR or set ${DATA_ENV}")
    candidates = [root / folder]
    if root.is_dir():
        candidates += [p for p in root.iterdir() if p.is_dir() and p.name.lower() == key and p != root / folder]
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    raise DataError(f"set {folder} not found at {root / folder} (data root from {how}); pass --data-root DIR holding {folder}/")


def _embedded(split: str) -> Dataset:
    import skimage.data

    names = EMBEDDED_SETS[split]
    records = tuple(
        ImageRecord.from_array(name, np.asarray(getattr(skimage.data, name)()), f"skimage.data.{name}") for name in names
    )
    return Dataset(name=split, source="skimage.data (bundled with scikit-image)", images=records)


def load_dataset(
    data: str | os.PathLike[str] | None = None,
    *,
    data_root: str | os.PathLike[str] | None = None,
    embedded_split: str = "eval",
    scale: int | None = None,
) -> Dataset:
    """Load the images ``data`` names (module docstring); ``None`` gives the embedded ``embedded_split``.

    Parameters
    ----------
    data : str, PathLike or None
        Folder or image file, standard set name, ``embedded-train``/``embedded-eval``, or None.
    data_root : str or PathLike, optional
        Where standard set names are looked up (``--data-root``).
    embedded_split : {"eval", "train"}
        Split of the embedded default used when ``data`` is None.
    scale : int, optional
        The command's scale: picks a per-scale folder (SelfExSR ``image_SRF_K``, RCAN ``xK``) and
        leaves out HR files named for another scale. Without it such a layout is an error.

    Raises
    ------
    DataError
        Unknown name, set not found, a folder without images, a layout that does not say which
        images are HR (several fitting subfolders, every file tagged LR), HR files for another
        scale than ``scale``, an image that is not 8-bit.

    Warns
    -----
    SrAuditWarning
        Each of :attr:`Dataset.notes`.
    ImageError
        An image file that cannot be read (from :func:`sr_audit.image_io.read_image`).
    """
    if data is None:
        if f"embedded-{embedded_split}" not in EMBEDDED_SETS:
            raise DataError(f"embedded split {embedded_split!r} is not one of: train, eval")
        return _embedded(f"embedded-{embedded_split}")
    if str(data).strip().lower() in EMBEDDED_SETS and not Path(data).exists():
        return _embedded(str(data).strip().lower())
    path = resolve_data(data, data_root)
    found = hr_files(path, scale)
    key = str(data).strip().lower()
    name = STANDARD_SETS[key][0] if key in STANDARD_SETS and not Path(data).exists() else found.set_name
    records = tuple(ImageRecord.from_array(n, read_image(p), str(p)) for n, p in found.files)
    for note in found.notes:
        warnings.warn(f"data {name}: {note}", SrAuditWarning, stacklevel=2)
    return Dataset(name=name, source=str(found.folder), images=records, notes=found.notes)
