"""Evaluate a super-resolution model on a data set: degradation -> model -> metrics under a protocol.

:func:`evaluate` runs, for each ground-truth image: :func:`~sr_audit.degradation.degrade` (modcrop,
down and up resize), the model (:func:`~sr_audit.infer.infer`; ``None`` is the identity, i.e. the
bicubic baseline of the papers when the up resize is bicubic), then
:func:`~sr_audit.metrics.score_image` under the :class:`~sr_audit.protocol.Protocol`, and the mean
over the images.

Conventions
-----------
* A Y model (``channels=1``) needs ``degradation.space == "y"``, an RGB model ``"rgb"``; the
  identity takes either.
* RGB metrics of a Y output on a colour image use the Cb and Cr of the degraded input: the MATLAB
  ``rgb2ycbcr`` of the cropped ground truth (uint8, rounded as MATLAB does), each chroma plane
  through the same down/up resize, joined with the output Y and converted back with MATLAB
  ``ycbcr2rgb`` (:data:`sr_audit.protocol.Y_MODEL_RGB`). A grayscale image's "RGB" is its one plane.
* A model with ``valid`` padding returns an output ``2R`` pixels smaller (see
  :func:`sr_audit.infer.halo`); the ground truth is cropped by ``R`` on every side to match, before
  the protocol's shave.
"""
from __future__ import annotations

import importlib.metadata
import platform
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from sr_audit import __version__, backends
from sr_audit.colour import rgb_to_ycbcr_u8, ycbcr_to_rgb
from sr_audit.datasets import Dataset
from sr_audit.degradation import Degradation, degrade, modcrop, resample
from sr_audit.errors import SpecError
from sr_audit.infer import DEFAULT_TILE_BYTES, halo, infer
from sr_audit.metrics import Scores, mean_scores, score_image
from sr_audit.model import SRCNN
from sr_audit.protocol import Protocol

if TYPE_CHECKING:
    import pandas as pd

#: Libraries whose versions are recorded with every evaluation.
ENVIRONMENT_DISTRIBUTIONS: tuple[str, ...] = ("numpy", "scipy", "torch", "scikit-image", "pillow")

PRECISIONS: dict[str, torch.dtype] = {"float32": torch.float32, "float64": torch.float64}


@dataclass(frozen=True)
class ImageResult:
    """Scores of one image, with what identifies it."""

    name: str
    sha256: str
    height: int
    width: int
    scores: Scores

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "sha256": self.sha256, "height": self.height, "width": self.width, **self.scores.as_dict()}


@dataclass(frozen=True)
class Evaluation:
    """Everything one evaluation measured, and how."""

    model: str
    dataset: str
    dataset_source: str
    degradation: Degradation
    protocol: Protocol
    precision: str
    device: str
    images: tuple[ImageResult, ...]
    mean: Scores

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready record (specs and protocol as plain dicts)."""
        return {
            "model": self.model,
            "dataset": self.dataset,
            "dataset_source": self.dataset_source,
            "degradation": self.degradation.as_dict(),
            "protocol": self.protocol.as_dict(),
            "precision": self.precision,
            "device": self.device,
            "images": [r.as_dict() for r in self.images],
            "mean": self.mean.as_dict(),
        }

    def table(self) -> "pd.DataFrame":
        """One row per image and a final ``mean`` row; PSNR/SSIM columns of the scored spaces."""
        import pandas as pd

        rows = [{"image": r.name, **r.scores.as_dict()} for r in self.images]
        rows.append({"image": "mean", **self.mean.as_dict()})
        return pd.DataFrame(rows).set_index("image").dropna(axis=1, how="all")


def environment(degradation: Degradation | None = None) -> dict[str, Any]:
    """Versions of Python, sr-audit, the core libraries and the backends a degradation uses."""
    env: dict[str, Any] = {"python": platform.python_version(), "sr-audit": __version__, "platform": platform.platform()}
    for dist in ENVIRONMENT_DISTRIBUTIONS:
        try:
            env[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            env[dist] = None
    if degradation is not None:
        for spec in (degradation.down, degradation.up):
            b = backends.get_backend(spec.backend)
            env[f"backend {spec.backend}"] = f"{b.library} {b.version() or 'not installed'}"
    return env


def _check_model(model: SRCNN | None, degradation: Degradation) -> None:
    if model is None:
        return
    wanted = "y" if model.config.channels == 1 else "rgb"
    if degradation.space != wanted:
        raise SpecError(
            f"a {model.config.channels}-channel model needs a degradation in space {wanted!r}, got {degradation.space!r}"
        )


def evaluate_image(
    image: np.ndarray,
    model: SRCNN | None,
    degradation: Degradation,
    protocol: Protocol,
    *,
    device: str | torch.device = "cpu",
    precision: str = "float32",
    tile: int | None = 0,
    max_tile_bytes: int = DEFAULT_TILE_BYTES,
) -> Scores:
    """Scores of one uint8 ground-truth image (see the module notes)."""
    _check_model(model, degradation)
    if precision not in PRECISIONS:
        raise SpecError(f"precision {precision!r} is not one of: {', '.join(PRECISIONS)}")
    s = degradation.scale
    hr = modcrop(image, s)
    rf = None if model is None else model.config.receptive_field
    pair = degrade(image, degradation, receptive_field=rf)
    if model is None:
        output = pair.input
    else:
        output = infer(model, pair.input, device=device, dtype=PRECISIONS[precision], tile=tile, max_tile_bytes=max_tile_bytes)
    crop = halo(model) if model is not None and model.config.padding == "valid" else 0
    output_rgb = None
    if degradation.space == "y" and hr.ndim == 3 and "rgb" in protocol.spaces:
        ycbcr = rgb_to_ycbcr_u8(hr)
        cb, cr = (resample(np.ascontiguousarray(ycbcr[..., c]), degradation) for c in (1, 2))
        full = np.stack([np.zeros_like(cb), cb, cr], axis=2)
        full = full[crop : full.shape[0] - crop, crop : full.shape[1] - crop]
        full[..., 0] = output
        output_rgb = ycbcr_to_rgb(full)
    reference = hr[crop : hr.shape[0] - crop, crop : hr.shape[1] - crop]
    return score_image(reference, output, protocol, s, output_rgb=output_rgb)


def evaluate(
    model: SRCNN | None,
    dataset: Dataset,
    degradation: Degradation,
    protocol: Protocol,
    *,
    model_name: str = "bicubic",
    device: str | torch.device = "cpu",
    precision: str = "float32",
    tile: int | None = 0,
    max_tile_bytes: int = DEFAULT_TILE_BYTES,
) -> Evaluation:
    """Evaluate ``model`` (None: the identity on the degraded input) on every image of ``dataset``.

    Parameters
    ----------
    model : SRCNN or None
    dataset : Dataset
    degradation : Degradation
        How inputs are made; its scale is the super-resolution factor.
    protocol : Protocol
    model_name : str
        How the model is named in the record.
    device, precision, tile, max_tile_bytes
        Passed to :func:`sr_audit.infer.infer` (precision ``"float32"`` or ``"float64"``).

    Returns
    -------
    Evaluation
    """
    _check_model(model, degradation)
    results = []
    for record in dataset:
        scores = evaluate_image(
            record.image, model, degradation, protocol,
            device=device, precision=precision, tile=tile, max_tile_bytes=max_tile_bytes,
        )
        h, w = modcrop(record.image, degradation.scale).shape[:2]
        results.append(ImageResult(name=record.name, sha256=record.sha256, height=h, width=w, scores=scores))
    return Evaluation(
        model=model_name,
        dataset=dataset.name,
        dataset_source=dataset.source,
        degradation=degradation,
        protocol=protocol,
        precision=precision,
        device=str(device),
        images=tuple(results),
        mean=mean_scores([r.scores for r in results]),
    )


__all__ = [
    "Evaluation",
    "ImageResult",
    "environment",
    "evaluate",
    "evaluate_image",
]
