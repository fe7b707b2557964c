"""Random-crop training samples: :class:`RandomCrops` (the settings) and :class:`CropSource` (the data).

The paper cuts a fixed grid of windows once (:mod:`sr_audit.patches`). Pipelines written after
TensorFlow/Keras or torchvision tutorials instead draw, at every step and for every sample of the
batch, one training image and a random ``crop_size`` square inside it, so the network sees new
crops each epoch. This module does that without a per-sample Python loop.

Layout
------
Every training image is degraded once (through the same on-disk cache as the windows,
:func:`sr_audit.patches.cache_record`), and the network inputs and targets of all images are kept
resident on the training device as two tensors of shape ``(N, C, H_max, W_max)``, each image in
the top-left corner of its slot (the rest is zero and never read), with the true sizes in an
``(N, 2)`` tensor. A batch is one advanced-indexing gather from ``(image, top, left)`` triples.

Sampling
--------
An epoch is one crop per image: the training loop draws a seeded permutation of the images (as it
does of windows) and takes ``batch_size`` of them per step. For each, the crop's top-left corner is
``top = floor(u * (h - crop_size + 1))``, ``left = floor(v * (w - crop_size + 1))`` with ``u, v``
uniform in [0, 1) (float64, from the run's CPU generator), i.e. uniform over every position inside
the image, as ``tf.image.random_crop`` and torchvision's ``RandomCrop`` draw. With a network that
loses ``shrink`` pixels (``valid`` padding) the target is the centre ``crop_size - shrink`` square
of the same crop. The generator's state is part of every checkpoint, so a resumed run draws the
same crops as an uninterrupted one.

An image smaller than ``crop_size`` (after ``modcrop``) gives no sample, as an image smaller than a
window gives no window; a set with no usable image is an error.

``center_crop``
---------------
Some tutorials first cut every ground-truth image to its central ``center_crop`` square (DIV2K
images to 800x800) and crop at random inside that. The square's corner is ``((H - c) // 2, (W - c)
// 2)``; torchvision's ``CenterCrop`` rounds a half-pixel offset to even instead (the same for even
``H - c``). An image smaller than the square is an error.

Storage
-------
Targets are 8-bit planes, stored as ``uint8``; inputs are stored as ``uint8`` when the degradation
computes through 8 bits (``compute="uint8"``: every input value is k/255) and as ``float32``
otherwise. Batches are ``float32`` in [0, 1].
"""
from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from sr_audit.datasets import ImageRecord
from sr_audit.degradation import Degradation, DegradedPair, degrade
from sr_audit.errors import DataError, SpecError
from sr_audit.patches import cache_path, cache_record, load_cached_tensors, save_cached_tensors
from sr_audit.whiten import patch_moment


@dataclass(frozen=True)
class RandomCrops:
    """Training samples drawn as random square crops, one per image per epoch (module notes).

    Attributes
    ----------
    crop_size : int
        Side of each network-input crop in pixels (tf-crops: 128).
    center_crop : int or None
        Side of the central square every ground-truth image is first cut to (div2k-small: 800);
        None keeps the whole image.
    """

    crop_size: int
    center_crop: int | None = None

    def __post_init__(self) -> None:
        if isinstance(self.crop_size, bool) or not isinstance(self.crop_size, int) or self.crop_size < 1:
            raise SpecError(f"random crop_size must be a positive integer, got {self.crop_size!r}")
        if self.center_crop is not None and (
            isinstance(self.center_crop, bool) or not isinstance(self.center_crop, int) or self.center_crop < self.crop_size
        ):
            raise SpecError(
                f"center_crop must be an integer of at least crop_size ({self.crop_size}) or None, got {self.center_crop!r}"
            )

    def label_size(self, shrink: int) -> int:
        """Side of the target square for a model that loses ``shrink`` pixels: ``crop_size - shrink``."""
        if isinstance(shrink, bool) or not isinstance(shrink, int) or shrink < 0 or shrink % 2:
            raise SpecError(f"model shrink must be an even integer >= 0, got {shrink!r}")
        if shrink >= self.crop_size:
            raise SpecError(
                f"crop size {self.crop_size} leaves no target pixel for a model that loses {shrink} pixels: "
                f"use a crop size of at least {shrink + 1}"
            )
        return self.crop_size - shrink


def center_square(image: np.ndarray, side: int, name: str) -> np.ndarray:
    """The central ``side`` x ``side`` square of an ``(H, W)`` or ``(H, W, C)`` image (module notes).

    >>> center_square(np.arange(20).reshape(4, 5), 2, "ramp").tolist()
    [[6, 7], [11, 12]]
    """
    h, w = image.shape[:2]
    if h < side or w < side:
        raise DataError(f"{name} is {h}x{w}, smaller than the {side}x{side} centre crop of the recipe; use larger images")
    top, left = (h - side) // 2, (w - side) // 2
    return image[top : top + side, left : left + side]


def _as_chw_u8(values: np.ndarray) -> np.ndarray:
    """Float planes that are exact multiples of 1/255, as ``uint8`` ``(C, H, W)``."""
    values = values if values.ndim == 3 else values[:, :, None]
    return np.rint(values * 255.0).astype(np.uint8).transpose(2, 0, 1)


def _as_chw_f32(values: np.ndarray) -> np.ndarray:
    values = values if values.ndim == 3 else values[:, :, None]
    return values.astype(np.float32).transpose(2, 0, 1)


@dataclass(frozen=True)
class CropSource:
    """Degraded training images, resident and padded, from which batches of random crops are gathered.

    Attributes
    ----------
    inputs : Tensor, uint8 or float32, shape (N, C, H_max, W_max)
        Network inputs, image ``i`` in ``[:sizes[i, 0], :sizes[i, 1]]`` of slot ``i``.
    targets : Tensor, uint8, shape (N, C, H_max, W_max)
        Ground-truth planes, laid out like ``inputs``.
    sizes : Tensor, int64, shape (N, 2)
        Height and width of every image, each at least ``crop_size``.
    crop_size : int
    shrink : int
        Pixels the target square is smaller than the crop (0 for ``same`` padding).
    """

    inputs: torch.Tensor
    targets: torch.Tensor
    sizes: torch.Tensor
    crop_size: int
    shrink: int

    #: What one sample of an epoch is, for messages.
    sample_name = "training images (one random crop each per epoch)"

    def __post_init__(self) -> None:
        x, y, s = self.inputs, self.targets, self.sizes
        if x.ndim != 4 or x.shape != y.shape or s.shape != (x.shape[0], 2) or y.dtype != torch.uint8:
            raise DataError(
                f"a crop source needs (N, C, H, W) inputs, uint8 targets of the same shape and (N, 2) sizes; got "
                f"{tuple(x.shape)} {x.dtype}, {tuple(y.shape)} {y.dtype}, {tuple(s.shape)}"
            )
        if len(s) and int(s.min()) < self.crop_size:
            raise DataError(f"every image of a crop source must be at least {self.crop_size} px on each side")

    def __len__(self) -> int:
        return int(self.inputs.shape[0])

    @property
    def channels(self) -> int:
        """Planes per sample: 1 (Y) or 3 (RGB)."""
        return int(self.inputs.shape[1])

    @property
    def label_size(self) -> int:
        return self.crop_size - self.shrink

    def to(self, device: torch.device | str) -> "CropSource":
        return CropSource(self.inputs.to(device), self.targets.to(device), self.sizes.to(device), self.crop_size, self.shrink)

    def resident(self, device: torch.device | str) -> "CropSource":
        """The source on the training device (crops are made ``channels_last`` per batch)."""
        return self.to(device)

    def identity(self) -> dict[str, Any]:
        """What a resumed run must find again: the padded shape, the dtypes, the sizes and the crop."""
        return {
            "planes": list(self.inputs.shape),
            "dtype": str(self.inputs.dtype),
            "sizes": self.sizes.cpu().tolist(),
            "crop_size": self.crop_size,
            "shrink": self.shrink,
        }

    def input_mean(self) -> list[float]:
        """Mean of the input images per channel over their pixels (not the padding), in [0, 1]."""
        sizes = self.sizes.to(self.inputs.device)
        rows = torch.arange(self.inputs.shape[2], device=sizes.device)[None, :] < sizes[:, :1]
        cols = torch.arange(self.inputs.shape[3], device=sizes.device)[None, :] < sizes[:, 1:]
        inside = (rows[:, :, None] & cols[:, None, :])[:, None]
        pixels = float(sizes.prod(dim=1).sum())
        total = torch.where(inside, self.inputs.double(), 0.0).sum(dim=(0, 2, 3))
        scale = 255.0 if self.inputs.dtype == torch.uint8 else 1.0
        return (total / (pixels * scale)).tolist()

    def input_moment(self, size: int, shift: torch.Tensor | None) -> torch.Tensor:
        """Second moment of ``size x size`` patches minus ``shift`` in every image's top-left crop
        (:func:`sr_audit.whiten.patch_moment`)."""
        index = torch.arange(len(self), device=self.inputs.device)
        corner = torch.zeros_like(index)
        return patch_moment(self.gather(index, corner, corner)[0], size, shift)

    def corners(self, index: torch.Tensor, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """Top and left corners of one random crop in each image of ``index`` (module notes)."""
        u = torch.rand((len(index), 2), generator=generator, dtype=torch.float64).to(index.device)
        room = (self.sizes.index_select(0, index) - self.crop_size + 1).to(torch.float64)
        corner = (u * room).floor().to(torch.long)
        return corner[:, 0], corner[:, 1]

    def gather(
        self, index: torch.Tensor, top: torch.Tensor, left: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Input crops at ``(index, top, left)`` and their target centres, float32 in [0, 1].

        Returns ``(B, C, crop_size, crop_size)`` inputs and ``(B, C, label, label)`` targets, each
        made by one advanced-indexing gather.
        """
        device = self.inputs.device
        channels = torch.arange(self.channels, device=device)[None, :, None, None]
        image = index[:, None, None, None]

        def cut(planes: torch.Tensor, offset: int, side: int) -> torch.Tensor:
            steps = torch.arange(side, device=device) + offset
            rows = (top[:, None] + steps)[:, None, :, None]
            cols = (left[:, None] + steps)[:, None, None, :]
            return planes[image, channels, rows, cols]

        x = cut(self.inputs, 0, self.crop_size)
        y = cut(self.targets, self.shrink // 2, self.label_size)
        x = x.to(torch.float32) / 255.0 if x.dtype == torch.uint8 else x
        return x, y.to(torch.float32) / 255.0

    def batch(self, index: torch.Tensor, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """One random crop of every image in ``index`` (corners drawn from ``generator``)."""
        top, left = self.corners(index, generator)
        x, y = self.gather(index, top, left)
        return x.contiguous(memory_format=torch.channels_last), y


def build_crop_source(pairs: Iterable[DegradedPair], crops: RandomCrops, shrink: int, *, uint8_inputs: bool) -> CropSource:
    """Stack degraded image pairs into one CPU :class:`CropSource`; images smaller than the crop are left out.

    Raises
    ------
    DataError
        No image is at least ``crops.crop_size`` pixels in both dimensions.
    """
    crops.label_size(shrink)
    inputs, targets = [], []
    for pair in pairs:
        if min(pair.target.shape[:2]) < crops.crop_size:
            continue
        inputs.append(_as_chw_u8(pair.input) if uint8_inputs else _as_chw_f32(pair.input))
        targets.append(_as_chw_u8(pair.target))
    if not inputs:
        raise DataError(
            f"no training sample: every image is smaller than the {crops.crop_size}x{crops.crop_size} crop; "
            "use larger images or a recipe with a smaller crop"
        )
    sizes = np.array([t.shape[1:] for t in targets], dtype=np.int64)
    shape = (len(inputs), inputs[0].shape[0], int(sizes[:, 0].max()), int(sizes[:, 1].max()))
    x = np.zeros(shape, dtype=inputs[0].dtype)
    y = np.zeros(shape, dtype=np.uint8)
    for i, (a, b) in enumerate(zip(inputs, targets)):
        x[i, :, : a.shape[1], : a.shape[2]] = a
        y[i, :, : b.shape[1], : b.shape[2]] = b
    return CropSource(torch.from_numpy(x), torch.from_numpy(y), torch.from_numpy(sizes), crops.crop_size, shrink)


def prepare_crops(
    images: Sequence[ImageRecord],
    degradation: Degradation,
    crops: RandomCrops,
    shrink: int,
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    use_cache: bool = True,
) -> CropSource:
    """Centre-crop (when asked), degrade and stack ``images`` through the on-disk cache.

    Parameters
    ----------
    images : sequence of ImageRecord
        Ground-truth training images; their pixel hashes enter the cache key.
    degradation : Degradation
    crops : RandomCrops
    shrink : int
        ``SRCNNConfig.shrink`` of the model to train.
    cache_dir : path, optional
        Cache folder (:func:`sr_audit.patches.default_cache_dir` by default).
    use_cache : bool
        False skips reading and writing the cache.

    Returns
    -------
    CropSource
        On the CPU.
    """
    crops.label_size(shrink)  # validate before the expensive part
    record = cache_record([r.sha256 for r in images], degradation, crops, shrink)
    path = cache_path(record, cache_dir)
    if use_cache:
        cached = load_cached_tensors(path, record, ("inputs", "targets", "sizes"))
        if cached is not None:
            return CropSource(cached["inputs"], cached["targets"], cached["sizes"], crops.crop_size, shrink)

    def ground_truth(record: ImageRecord) -> np.ndarray:
        if crops.center_crop is None:
            return record.image
        return np.ascontiguousarray(center_square(record.image, crops.center_crop, record.source))

    pairs = (degrade(ground_truth(r), degradation) for r in images)
    source = build_crop_source(pairs, crops, shrink, uint8_inputs=degradation.compute == "uint8")
    if use_cache:
        save_cached_tensors(path, record, {"inputs": source.inputs, "targets": source.targets, "sizes": source.sizes})
    return source
