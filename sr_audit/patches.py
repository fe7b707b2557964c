"""Training patches: extraction, the resident patch set, and its on-disk cache.

How the SRCNN authors cut training data (``generate_train.m`` of the released code, ECCV 2014):
from every degraded image pair, input sub-images of ``size`` x ``size`` pixels (33) are taken on
a grid with step ``stride`` (14) starting at the top-left corner, and each is paired with the
*centre* of the matching ground-truth window, ``size - shrink`` pixels wide (21 for 9-1-5), where
``shrink`` is the number of pixels a ``valid``-padded network loses (``SRCNNConfig.shrink``: 12
for 9-1-5). A window that does not fit entirely inside the image is not taken, so an image smaller
than ``size`` gives no patch. With ``shrink = 0`` (``same`` padding) the target is the whole window.

Extraction is one strided view per image (:meth:`torch.Tensor.unfold`), never a loop over patches;
the patches of all images are concatenated into one :class:`PatchSet` that training keeps resident
on its device and indexes by batch.

Cache
-----
Degrading a training set (with some backends, seconds per image) is done once per content key:
:func:`prepare_patches` stores the finished patch tensors in ``<cache dir>/patches/<key>.pt``.
The key is the SHA-256 of a JSON record of everything the patches depend on: the pixel hash of
every image (``ImageRecord.sha256``: dtype, shape and bytes, in order), the degradation (canonical specs, scale, space,
compute), the versions of the resize libraries involved and of sr-audit, the patch size and
stride, the model's shrink and :data:`CACHE_FORMAT`. Any change is a different file. Files are
written atomically (temporary file, then rename), so a crashed writer leaves no half file under a
key; a file that still fails to load or does not hold the expected record (disk corruption, a
truncated copy) is rebuilt and overwritten, with a warning.

The cache folder is ``$SR_AUDIT_CACHE`` when set, else ``~/.cache/sr-audit``. Random-crop
recipes keep their degraded images in the same folder, under keys whose ``patch`` entry holds their
:class:`~sr_audit.crops.RandomCrops` (:func:`cache_path`, :func:`load_cached_tensors`,
:func:`save_cached_tensors`).
"""
from __future__ import annotations

import io
import os
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from sr_audit import __version__, backends
from sr_audit.datasets import ImageRecord
from sr_audit.degradation import Degradation, DegradedPair, degrade
from sr_audit.errors import DataError, SpecError
from sr_audit.io_util import atomic_write_bytes, canonical_json, content_hash
from sr_audit.weights import read_torch_file
from sr_audit.whiten import patch_moment

if TYPE_CHECKING:
    from sr_audit.crops import RandomCrops

#: Bumped whenever the layout or meaning of cached patch files changes.
CACHE_FORMAT = 1

#: Environment variable naming the cache folder.
CACHE_ENV = "SR_AUDIT_CACHE"


@dataclass(frozen=True)
class PatchSettings:
    """Where training windows are cut.

    Attributes
    ----------
    size : int
        Side of the input window in pixels (paper: 33).
    stride : int
        Step between window origins, the same along both axes (paper: 14).
    """

    size: int = 33
    stride: int = 14

    def __post_init__(self) -> None:
        for name in ("size", "stride"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise SpecError(f"patch {name} must be a positive integer, got {value!r}")

    def label_size(self, shrink: int) -> int:
        """Side of the target window for a model that loses ``shrink`` pixels: ``size - shrink``."""
        if isinstance(shrink, bool) or not isinstance(shrink, int) or shrink < 0 or shrink % 2:
            raise SpecError(f"model shrink must be an even integer >= 0, got {shrink!r}")
        if shrink >= self.size:
            raise SpecError(
                f"patch size {self.size} leaves no target pixel for a model that loses {shrink} pixels: "
                f"use a patch size of at least {shrink + 1}"
            )
        return self.size - shrink


@dataclass(frozen=True)
class PatchSet:
    """All training windows of a data set, as two tensors on one device.

    Attributes
    ----------
    inputs : Tensor, float32, shape (N, C, size, size)
        Network input windows.
    targets : Tensor, float32, shape (N, C, size - shrink, size - shrink)
        Ground-truth centres of the same windows.
    """

    inputs: torch.Tensor
    targets: torch.Tensor

    def __post_init__(self) -> None:
        x, y = self.inputs, self.targets
        if x.ndim != 4 or y.ndim != 4 or x.shape[:2] != y.shape[:2] or x.dtype != y.dtype or x.device != y.device:
            raise DataError(
                f"a patch set needs (N, C, h, w) inputs and targets with the same N, C, dtype and device; got "
                f"{tuple(x.shape)} {x.dtype} {x.device} and {tuple(y.shape)} {y.dtype} {y.device}"
            )

    def __len__(self) -> int:
        return int(self.inputs.shape[0])

    @property
    def shrink(self) -> int:
        """Pixels the target window is smaller than the input window."""
        return int(self.inputs.shape[-1] - self.targets.shape[-1])

    @property
    def channels(self) -> int:
        """Planes per sample: 1 (Y) or 3 (RGB)."""
        return int(self.inputs.shape[1])

    #: What one sample of an epoch is, for messages.
    sample_name = "training windows"

    def to(self, device: torch.device | str) -> "PatchSet":
        """The same patches on ``device`` (``self`` when already there)."""
        return PatchSet(self.inputs.to(device), self.targets.to(device))

    def resident(self, device: torch.device | str) -> "PatchSet":
        """The patches on ``device``, inputs in ``channels_last`` (what the training loop indexes)."""
        data = self.to(device)
        return PatchSet(data.inputs.contiguous(memory_format=torch.channels_last), data.targets)

    def identity(self) -> list[list[int]]:
        """Shapes of inputs and targets: what a resumed run must find again."""
        return [list(self.inputs.shape), list(self.targets.shape)]

    def input_mean(self) -> list[float]:
        """Mean of the input windows per channel, in [0, 1] (what a ``centre`` recipe subtracts)."""
        return self.inputs.double().mean(dim=(0, 2, 3)).tolist()

    def input_moment(self, size: int, shift: torch.Tensor | None) -> torch.Tensor:
        """Second moment of ``size x size`` input patches minus ``shift`` (:func:`sr_audit.whiten.patch_moment`)."""
        return patch_moment(self.inputs, size, shift)

    def batch(self, index: torch.Tensor, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """Inputs and targets of the windows ``index`` (``generator`` is unused: windows are fixed)."""
        return self.inputs.index_select(0, index), self.targets.index_select(0, index)


def _as_chw(plane: np.ndarray, who: str) -> torch.Tensor:
    if plane.ndim == 2:
        plane = plane[:, :, None]
    if plane.ndim != 3:
        raise DataError(f"{who} must be an (H, W) or (H, W, C) array, got shape {plane.shape}")
    return torch.from_numpy(np.ascontiguousarray(plane, dtype=np.float32)).permute(2, 0, 1)


def _windows(image: torch.Tensor, size: int, stride: int) -> torch.Tensor:
    """(C, H, W) -> (N, C, size, size): every window on the stride grid, row-major, as one new tensor."""
    view = image.unfold(1, size, stride).unfold(2, size, stride).permute(1, 2, 0, 3, 4)  # (nh, nw, C, size, size)
    return view.clone(memory_format=torch.contiguous_format).view(-1, image.shape[0], size, size)


def extract_patches(
    network_input: np.ndarray, target: np.ndarray, settings: PatchSettings, shrink: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Input windows and matching target centres of one image pair.

    Parameters
    ----------
    network_input, target : ndarray, shape (H, W) or (H, W, C)
        A degraded image and its ground truth (float in [0, 1], same shape).
    settings : PatchSettings
    shrink : int
        Pixels per dimension a ``valid`` network loses (even; 0 for ``same`` padding).

    Returns
    -------
    inputs : Tensor, float32, shape (N, C, size, size)
    targets : Tensor, float32, shape (N, C, size - shrink, size - shrink)
        Window ``k`` has its top-left corner at ``(i * stride, j * stride)`` with
        ``k = i * nw + j``; its target is the ground truth at offset ``shrink / 2`` inside it.
        ``N = 0`` when the image is smaller than ``size``.

    Examples
    --------
    >>> x, y = extract_patches(np.zeros((60, 47)), np.zeros((60, 47)), PatchSettings(33, 14), 12)
    >>> tuple(x.shape), tuple(y.shape)
    ((4, 1, 33, 33), (4, 1, 21, 21))
    """
    label = settings.label_size(shrink)
    if network_input.shape != target.shape:
        raise DataError(f"network input {network_input.shape} and target {target.shape} differ in shape")
    x = _as_chw(network_input, "network input")
    y = _as_chw(target, "target")
    h, w = x.shape[1:]
    if h < settings.size or w < settings.size:
        c = x.shape[0]
        return x.new_empty((0, c, settings.size, settings.size)), y.new_empty((0, c, label, label))
    m = shrink // 2
    return _windows(x, settings.size, settings.stride), _windows(y[:, m : h - m, m : w - m], label, settings.stride)


def build_patch_set(pairs: Iterable[DegradedPair], settings: PatchSettings, shrink: int) -> PatchSet:
    """Concatenate :func:`extract_patches` over image pairs into one CPU :class:`PatchSet`.

    Raises
    ------
    DataError
        No image is at least ``settings.size`` pixels in both dimensions.
    """
    xs, ys = [], []
    for pair in pairs:
        x, y = extract_patches(pair.input, pair.target, settings, shrink)
        xs.append(x)
        ys.append(y)
    if not xs or sum(len(x) for x in xs) == 0:
        raise DataError(
            f"no training patch: every image is smaller than the {settings.size}x{settings.size} patch size; "
            "use larger images or a smaller patch size"
        )
    return PatchSet(torch.cat(xs), torch.cat(ys))


def default_cache_dir() -> Path:
    """``$SR_AUDIT_CACHE`` when set, else ``~/.cache/sr-audit``."""
    env = os.environ.get(CACHE_ENV)
    return Path(env).expanduser() if env else Path.home() / ".cache" / "sr-audit"


def cache_record(
    image_hashes: Sequence[str], degradation: Degradation, settings: "PatchSettings | RandomCrops", shrink: int
) -> dict[str, Any]:
    """Everything a cached training set depends on, as a JSON-ready dict (its SHA-256 is the key).

    ``settings`` is how samples are drawn: grid windows (:class:`PatchSettings`) or random crops
    (:class:`sr_audit.crops.RandomCrops`); their dicts have different keys, so the two never share
    a cache file.
    """
    libraries = {
        spec.backend: backends.get_backend(spec.backend).version() for spec in (degradation.down, degradation.up)
    }
    return {
        "format": CACHE_FORMAT,
        "images": list(image_hashes),
        "degradation": degradation.as_dict(),
        "libraries": libraries,
        "sr_audit": __version__,
        "patch": asdict(settings),
        "shrink": shrink,
    }


def cache_key(record: dict[str, Any]) -> str:
    """:func:`~sr_audit.io_util.content_hash` of a :func:`cache_record`."""
    return content_hash(record)


def cache_path(record: dict[str, Any], cache_dir: str | os.PathLike[str] | None) -> Path:
    """``<cache dir>/patches/<key>.pt`` of a :func:`cache_record` (default folder :func:`default_cache_dir`)."""
    return Path(cache_dir if cache_dir is not None else default_cache_dir()) / "patches" / f"{cache_key(record)}.pt"


def load_cached_tensors(path: Path, record: dict[str, Any], names: Sequence[str]) -> dict[str, torch.Tensor] | None:
    """The tensors ``names`` stored in ``path`` if it is readable and was built for ``record``, else None
    (a damaged file or another record is reported with a warning and rebuilt by the caller)."""
    if not path.is_file():
        return None
    try:
        payload = read_torch_file(path, "a patch cache file")
        if not isinstance(payload, dict) or payload.get("record") != canonical_json(record):
            raise DataError("the stored record does not match")
        return {name: payload[name] for name in names}
    except (KeyError, DataError) as exc:
        warnings.warn(f"rebuilding unreadable patch cache file {path}: {exc}", stacklevel=3)
        return None


def save_cached_tensors(path: Path, record: dict[str, Any], tensors: dict[str, torch.Tensor]) -> None:
    """Write ``tensors`` with their ``record`` to ``path`` atomically."""
    buffer = io.BytesIO()
    torch.save({"record": canonical_json(record), **tensors}, buffer)
    atomic_write_bytes(path, buffer.getvalue())


def prepare_patches(
    images: Sequence[ImageRecord],
    degradation: Degradation,
    settings: PatchSettings,
    shrink: int,
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    use_cache: bool = True,
) -> PatchSet:
    """Degrade ``images`` and cut them into training windows, through the on-disk cache.

    Parameters
    ----------
    images : sequence of ImageRecord
        Ground-truth images (a :class:`~sr_audit.datasets.Dataset` or its records); their
        ``sha256`` (of the decoded pixels) enters the cache key.
    degradation : Degradation
    settings : PatchSettings
    shrink : int
        ``SRCNNConfig.shrink`` of the model to train (target = centre of the window).
    cache_dir : path, optional
        Cache folder; default :func:`default_cache_dir`.
    use_cache : bool
        False skips reading and writing the cache.

    Returns
    -------
    PatchSet
        On the CPU, float32; the images' windows in order.
    """
    settings.label_size(shrink)  # validate before the expensive part
    record = cache_record([r.sha256 for r in images], degradation, settings, shrink)
    path = cache_path(record, cache_dir)
    if use_cache:
        cached = load_cached_tensors(path, record, ("inputs", "targets"))
        if cached is not None:
            return PatchSet(cached["inputs"], cached["targets"])
    patches = build_patch_set((degrade(r.image, degradation) for r in images), settings, shrink)
    if use_cache:
        save_cached_tensors(path, record, {"inputs": patches.inputs, "targets": patches.targets})
    return patches
