"""The one evaluation path: ground truth -> :func:`prepare` -> :func:`run_model` -> :func:`score_prepared`.

Every command that scores a model on ground-truth images goes through these three steps: ``eval``
(:func:`evaluate`), the matrix (which prepares once per eval spec, scale and eval set and runs many
models on the prepared images), ``explain`` and ``pitfalls`` (which vary the preparation).

1. :func:`prepare` (options: :class:`Preparation`) makes, from one uint8 ground-truth image:

   * ``reference``: the ground truth fitted to a multiple of the scale (:data:`FITS`: ``modcrop``
     keeps the top-left part, ``resize-to-fit`` resizes the whole image to that size with the down
     spec on its 8-bit path);
   * ``upsampled``: the network plane(s) shrunk by the down spec and enlarged back by the up spec
     (the bicubic baseline, and the input of an SRCNN); ``input``: what the model is given,
     ``upsampled`` or the shrunk image itself (:data:`MODEL_INPUTS`);
   * ``colour_planes``: what a Y model's RGB output is made from (:data:`COLOUR_RULES`).

   The network plane(s) (:data:`sr_audit.degradation.SPACES`): with ``space="rgb"`` the RGB
   channels (a grayscale image repeated). With ``space="y"`` a grayscale image is its own Y; a
   colour image's Y is taken by ``y_definition`` and rounded by ``y_rounding`` and then resized
   (``resize_space="y"``; the default, MATLAB ``rgb2ycbcr`` rounded half away from zero, is the
   SRCNN authors' network input), or the RGB image is resized and Y taken of the float result
   (``resize_space="rgb"``, :data:`RESIZE_SPACES`). Resizes run on ``degradation.compute``'s path
   (``float``: plane / 255 in float64, no rounding between; ``uint8``: each resize on the
   library's 8-bit path, an unrounded plane first rounded half away from zero).
2. :func:`run_model`: the model on ``input`` (``None`` is the identity: the output is
   ``upsampled``); an SRCNN through :func:`sr_audit.infer.infer` (tiled, bit-exact), any other
   ``nn.Module`` whole-image through :func:`sr_audit.infer.infer_module`
   (:data:`sr_audit.infer.MODULE_CONTRACT`).
3. :func:`score_prepared`: :func:`sr_audit.metrics.score_image` of the output against
   ``reference`` under a :class:`~sr_audit.protocol.Protocol`. An output ``2R`` pixels smaller
   (an SRCNN with ``valid`` padding, :func:`output_crop`) is scored against the reference cropped
   by ``R`` per side, before the protocol's shave.

Conventions
-----------
* A Y SRCNN (``channels=1``) needs ``degradation.space == "y"``, an RGB one ``"rgb"``; the
  identity takes either; another module gets ``C = 1`` planes in Y and ``C = 3`` in RGB.
* RGB metrics of a Y output on a colour image (``colour="ycbcr"``, the default,
  :data:`sr_audit.protocol.Y_MODEL_RGB`): the MATLAB ``rgb2ycbcr`` of the reference (uint8,
  rounded as MATLAB does), its Cb and Cr planes each through the same down/up resize, joined with
  the output Y and converted back with MATLAB ``ycbcr2rgb``. ``colour="luma-shift"`` (``explain``):
  the down-and-up resized RGB reference with its luma moved by the model's correction, ``rgb +
  (y_out - y_in) / k`` on every channel, ``k`` the sum of the Y definition's RGB weights (for
  MATLAB's YCbCr exactly ``ycbcr2rgb`` of the output Y with the input's unrounded Cb and Cr).
  A grayscale image's "RGB" is its one plane.
"""
from __future__ import annotations

import platform
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import nn

from sr_audit import __version__, backends
from sr_audit.colour import (
    Y_DEFINITIONS,
    luma_definition,
    rgb_to_ycbcr_u8,
    ycbcr_to_rgb,
)
from sr_audit.conventions import ROUNDINGS
from sr_audit.datasets import Dataset
from sr_audit.degradation import Degradation, down_up, modcrop, network_plane
from sr_audit.errors import ImageError, SpecError
from sr_audit.infer import DEFAULT_TILE_BYTES, halo, infer, infer_module
from sr_audit.io_util import installed_version
from sr_audit.metrics import (
    Scores,
    mean_scores,
    score_image,
    y_of_rgb,
)
from sr_audit.model import SRCNN
from sr_audit.protocol import Protocol
from sr_audit.resize import resize

if TYPE_CHECKING:
    import pandas as pd

#: Libraries whose versions are recorded with every evaluation.
ENVIRONMENT_DISTRIBUTIONS: tuple[str, ...] = ("numpy", "scipy", "torch", "scikit-image", "pillow")

PRECISIONS: dict[str, torch.dtype] = {"float32": torch.float32, "float64": torch.float64}

#: How the ground truth is brought to a multiple of the scale.
FITS: dict[str, str] = {
    "modcrop": "crop to a multiple of the scale, top-left part kept (MATLAB modcrop of the SRCNN code)",
    "resize-to-fit": "resize the whole image to the multiple of the scale with the down spec (8-bit path)",
}

#: Where the Y of a Y network is taken relative to the resizes.
RESIZE_SPACES: dict[str, str] = {
    "y": "Y of the uint8 ground truth, then the Y plane is resized (SRCNN authors)",
    "rgb": "the RGB ground truth is resized, then Y is taken of the float result",
}

#: What the model is given.
MODEL_INPUTS: dict[str, str] = {
    "upsampled": "the low-resolution image enlarged back to the ground-truth size by the up spec (SRCNN)",
    "lr": "the low-resolution image itself; the model enlarges it by the scale",
}

#: How the RGB output of a Y model on a colour image is made (module notes).
COLOUR_RULES: dict[str, str] = {
    "ycbcr": "output Y with the down/up resized Cb and Cr of the MATLAB rgb2ycbcr of the ground truth, ycbcr2rgb",
    "luma-shift": "down/up resized RGB ground truth plus (output Y - input Y) / k on every channel",
}

#: Plane transform that replaces the down and up resize (``pitfalls``' deliberate mistakes):
#: a uint8 plane on 0..255 -> the enlarged plane, float64 in [0, 1], the same shape.
Resampler = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Preparation:
    """How :func:`prepare` makes the network input and the reference from a ground-truth image.

    Attributes
    ----------
    degradation : Degradation
        Down and up specs, scale, network space (``y`` or ``rgb``) and compute path.
    fit : str
        Key of :data:`FITS`.
    resize_space : str
        Key of :data:`RESIZE_SPACES` (Y networks only; ``"y"`` for ``space="rgb"``).
    y_definition : str
        Key of :data:`sr_audit.colour.Y_DEFINITIONS`: the luma of a Y network's input.
    y_rounding : str
        Key of :data:`sr_audit.conventions.ROUNDINGS` applied to that luma.
    colour : str or None
        Key of :data:`COLOUR_RULES`, or None to prepare nothing for RGB metrics of a Y output.
    model_input : str
        Key of :data:`MODEL_INPUTS`.
    """

    degradation: Degradation
    fit: str = "modcrop"
    resize_space: str = "y"
    y_definition: str = "matlab"
    y_rounding: str = "half-away-from-zero"
    colour: str | None = "ycbcr"
    model_input: str = "upsampled"

    def __post_init__(self) -> None:
        if not isinstance(self.degradation, Degradation):
            raise SpecError(f"preparation degradation must be a Degradation, got {type(self.degradation).__name__}")
        tables = {"fit": FITS, "resize_space": RESIZE_SPACES, "y_definition": Y_DEFINITIONS,
                  "y_rounding": ROUNDINGS, "model_input": MODEL_INPUTS}
        for name, table in tables.items():
            if getattr(self, name) not in table:
                raise SpecError(f"preparation {name} {getattr(self, name)!r} is not one of: {', '.join(table)}")
        if self.colour is not None and self.colour not in COLOUR_RULES:
            raise SpecError(f"preparation colour {self.colour!r} is not None or one of: {', '.join(COLOUR_RULES)}")
        if self.degradation.space == "rgb" and self.resize_space != "y":
            raise SpecError("resize_space 'rgb' concerns Y networks; an RGB network (space 'rgb') resizes RGB anyway")

    @property
    def scale(self) -> int:
        return self.degradation.scale


@dataclass(frozen=True)
class Prepared:
    """One ground-truth image made ready for any number of models (module notes).

    Attributes
    ----------
    name : str
    reference : ndarray, uint8, (H, W) or (H, W, 3)
        The fitted ground truth the output is scored against.
    input : ndarray, float64
        What the model is given: ``upsampled``, or the ``(H/s, W/s)`` image for ``model_input="lr"``.
    upsampled : ndarray, float64, (H, W) or (H, W, 3)
        The network plane(s) down then up resized: the identity's (bicubic baseline's) output.
    colour_planes : ndarray, float64, or None
        Cb and Cr, ``(H, W, 2)``, for ``colour="ycbcr"``; the down/up resized RGB, ``(H, W, 3)``,
        for ``"luma-shift"``; None for grayscale images, RGB networks and ``colour=None``.
    preparation : Preparation
    """

    name: str
    reference: np.ndarray
    input: np.ndarray
    upsampled: np.ndarray
    colour_planes: np.ndarray | None
    preparation: Preparation


def _luma(rgb: np.ndarray, preparation: Preparation) -> np.ndarray:
    """Y of a colour image on 0..255 by the preparation's definition and rounding (uint8 for the default)."""
    if (preparation.y_definition, preparation.y_rounding) == ("matlab", "half-away-from-zero") and rgb.dtype == np.uint8:
        return network_plane(rgb, "y")
    rule = Protocol(name="network input", y_definition=preparation.y_definition, y_rounding=preparation.y_rounding)
    return y_of_rgb(rgb, rule)


def _fit(image: np.ndarray, preparation: Preparation) -> np.ndarray:
    cropped = modcrop(image, preparation.scale)  # the size, and its error for too-small images
    if preparation.fit == "modcrop" or cropped.shape[:2] == image.shape[:2]:
        return cropped
    return resize(image, preparation.degradation.down, size=cropped.shape[:2])


def _check_image(image: np.ndarray) -> None:
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim not in (2, 3) or (
            image.ndim == 3 and image.shape[2] != 3):
        raise ImageError(f"prepare: expected a uint8 HxW or HxWx3 ground-truth image, got "
                         f"{getattr(image, 'dtype', type(image).__name__)} {getattr(image, 'shape', '')}")


def prepare(
    image: np.ndarray,
    preparation: Preparation | Degradation,
    *,
    name: str = "",
    receptive_field: int | None = None,
    resampler: Resampler | None = None,
) -> Prepared:
    """Reference, network input and colour planes of one ground-truth image (module notes).

    Parameters
    ----------
    image : ndarray, uint8, (H, W) or (H, W, 3)
        Ground truth, grayscale or RGB.
    preparation : Preparation or Degradation
        A bare Degradation means ``Preparation(degradation)`` (the SRCNN authors' pipeline).
    name : str
        Carried into the result.
    receptive_field : int, optional
        A model's receptive field; the fitted image must be at least this large.

    Other Parameters
    ----------------
    resampler : callable, optional
        Replaces the down and up resize of a Y network's uint8 plane (``pitfalls``' mistakes);
        only with ``model_input="upsampled"`` and ``resize_space="y"``.

    Returns
    -------
    Prepared

    Raises
    ------
    ImageError
        Not a uint8 grayscale/RGB image, smaller than the scale or than ``receptive_field``.
    SpecError
        ``resampler`` with an LR model input, an RGB resize space or an RGB network.
    """
    how = preparation if isinstance(preparation, Preparation) else Preparation(preparation)
    deg = how.degradation
    _check_image(image)
    if resampler is not None and (how.model_input != "upsampled" or how.resize_space != "y" or deg.space != "y"):
        raise SpecError("a resampler replaces the resize of a Y plane; it needs model_input 'upsampled', "
                        "resize_space 'y' and a Y network")
    reference = _fit(image, how)
    if receptive_field is not None and min(reference.shape[:2]) < receptive_field:
        raise ImageError(
            f"a {reference.shape[0]}x{reference.shape[1]} image (after {how.fit} to a multiple of {deg.scale}) is smaller "
            f"than the model's receptive field of {receptive_field} px; use images at least that large"
        )
    colour_image = deg.space == "y" and reference.ndim == 3
    rgb_up = None
    if deg.space == "rgb":
        low, up = down_up(network_plane(reference, "rgb"), deg)
    elif not colour_image:
        low, up = down_up(reference, deg) if resampler is None else (None, resampler(reference))
    elif how.resize_space == "rgb":
        low_rgb, rgb_up = down_up(reference, deg)
        low, up = (_luma(x * 255.0, how) / 255.0 for x in (low_rgb, rgb_up))
    else:
        plane = _luma(reference, how)
        low, up = down_up(plane, deg) if resampler is None else (None, resampler(plane))
    colour_planes = None
    if colour_image and how.colour == "ycbcr":
        ycbcr = rgb_to_ycbcr_u8(reference)
        colour_planes = np.stack([down_up(np.ascontiguousarray(ycbcr[..., c]), deg)[1] for c in (1, 2)], axis=2)
    elif colour_image and how.colour == "luma-shift":
        colour_planes = rgb_up if rgb_up is not None else down_up(reference, deg)[1]
    network_input = up if how.model_input == "upsampled" else low
    return Prepared(name=name, reference=reference, input=network_input, upsampled=up, colour_planes=colour_planes,
                    preparation=how)


def _cut(a: np.ndarray, crop: int) -> np.ndarray:
    return a if crop == 0 else a[crop : a.shape[0] - crop, crop : a.shape[1] - crop]


def colour_output(prepared: Prepared, y: np.ndarray, *, crop: int = 0) -> np.ndarray | None:
    """RGB in [0, 1] of a Y output ``y`` by the preparation's colour rule (module notes); None when
    nothing was prepared for it (grayscale image, RGB network, ``colour=None``).

    ``crop``: pixels the output lacks on every side (:func:`output_crop`)."""
    planes = prepared.colour_planes
    if planes is None or y.ndim != 2:
        return None
    planes = _cut(planes, crop)
    if prepared.preparation.colour == "ycbcr":
        return ycbcr_to_rgb(np.concatenate([y[..., None], planes], axis=2))
    d = luma_definition(prepared.preparation.y_definition)
    k = (d.r + d.g + d.b) / d.divisor
    return planes + ((y - _cut(prepared.upsampled, crop)) / k)[:, :, None]


def output_crop(model: nn.Module | None) -> int:
    """Pixels per side a model's output lacks: the halo of an SRCNN with ``valid`` padding, else 0."""
    return halo(model) if isinstance(model, SRCNN) and model.config.padding == "valid" else 0


def check_model(model: nn.Module | None, preparation: Preparation) -> None:
    """An SRCNN fits the preparation: a Y model needs a Y degradation, an RGB model an RGB one, and
    it takes the upsampled image (the identity and other modules take anything here; a module is
    held to :data:`sr_audit.infer.MODULE_CONTRACT` when it runs).

    Raises
    ------
    SpecError
    """
    if not isinstance(model, SRCNN):
        return
    wanted = "y" if model.config.channels == 1 else "rgb"
    if preparation.degradation.space != wanted:
        raise SpecError(f"a {model.config.channels}-channel model needs a degradation in space {wanted!r}, "
                        f"got {preparation.degradation.space!r}")
    if preparation.model_input != "upsampled":
        raise SpecError(f"an SRCNN takes the upsampled image, not model input {preparation.model_input!r}")


def run_model(
    model: nn.Module | None,
    prepared: Prepared,
    *,
    device: str | torch.device = "cpu",
    precision: str = "float32",
    tile: int | None = 0,
    max_tile_bytes: int = DEFAULT_TILE_BYTES,
) -> np.ndarray:
    """The model's output on a prepared image.

    None is the identity (``prepared.upsampled``); an :class:`~sr_audit.model.SRCNN` runs through
    :func:`sr_audit.infer.infer` (tiled by ``tile`` and ``max_tile_bytes``, bit-exact); any other
    ``nn.Module`` through :func:`sr_audit.infer.infer_module`, whole-image, held to
    :data:`sr_audit.infer.MODULE_CONTRACT` with the reference's size as the expected output size.
    ``precision`` is a key of :data:`PRECISIONS`; ``device`` any name of :mod:`sr_audit.device`.
    """
    if precision not in PRECISIONS:
        raise SpecError(f"precision {precision!r} is not one of: {', '.join(PRECISIONS)}")
    if model is None:
        return prepared.upsampled
    check_model(model, prepared.preparation)
    if isinstance(model, SRCNN):
        return infer(model, prepared.input, device=device, dtype=PRECISIONS[precision], tile=tile,
                     max_tile_bytes=max_tile_bytes)
    return infer_module(model, prepared.input, prepared.reference.shape[:2], device=device, dtype=PRECISIONS[precision])


def score_prepared(prepared: Prepared, output: np.ndarray, protocol: Protocol, *, crop: int = 0) -> Scores:
    """:func:`sr_audit.metrics.score_image` of ``output`` against the prepared reference.

    ``crop``: pixels per side the output lacks (:func:`output_crop`); the reference (and the colour
    planes) are cropped to match before the protocol's shave.

    A Y-only output on a colour image is in the preparation's luma (``y_definition``, passed to
    ``score_image`` as ``output_y``).
    """
    reference = _cut(prepared.reference, crop)
    rgb = colour_output(prepared, output, crop=crop) if "rgb" in protocol.spaces else None
    return score_image(reference, output, protocol, prepared.preparation.scale, output_rgb=rgb,
                       output_y=prepared.preparation.y_definition)


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

    def table(self) -> pd.DataFrame:
        """One row per image and a final ``mean`` row; PSNR/SSIM columns of the scored spaces."""
        import pandas as pd

        rows = [{"image": r.name, **r.scores.as_dict()} for r in self.images]
        rows.append({"image": "mean", **self.mean.as_dict()})
        return pd.DataFrame(rows).set_index("image").dropna(axis=1, how="all")


def environment(degradation: Degradation | None = None) -> dict[str, Any]:
    """Versions of Python, sr-audit, the core libraries and the backends a degradation uses."""
    env: dict[str, Any] = {"python": platform.python_version(), "sr-audit": __version__, "platform": platform.platform()}
    for dist in ENVIRONMENT_DISTRIBUTIONS:
        env[dist] = installed_version(dist)
    if degradation is not None:
        for spec in (degradation.down, degradation.up):
            b = backends.get_backend(spec.backend)
            env[f"backend {spec.backend}"] = f"{b.library} {b.version() or 'not installed'}"
    return env


def evaluate_image(
    image: np.ndarray,
    model: nn.Module | None,
    preparation: Preparation | Degradation,
    protocol: Protocol,
    *,
    device: str | torch.device = "cpu",
    precision: str = "float32",
    tile: int | None = 0,
    max_tile_bytes: int = DEFAULT_TILE_BYTES,
) -> Scores:
    """Scores of one uint8 ground-truth image: :func:`prepare`, :func:`run_model`, :func:`score_prepared`."""
    how = preparation if isinstance(preparation, Preparation) else Preparation(preparation)
    check_model(model, how)
    rf = model.config.receptive_field if isinstance(model, SRCNN) else None
    prepared = prepare(image, how, receptive_field=rf)
    output = run_model(model, prepared, device=device, precision=precision, tile=tile, max_tile_bytes=max_tile_bytes)
    return score_prepared(prepared, output, protocol, crop=output_crop(model))


def evaluate(
    model: nn.Module | None,
    dataset: Dataset,
    preparation: Preparation | Degradation,
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
    model : nn.Module or None
        An SRCNN, any module (see :func:`run_model`), or None.
    dataset : Dataset
    preparation : Preparation or Degradation
        How inputs are made (a Degradation: the default :class:`Preparation` of it); the
        degradation's scale is the super-resolution factor.
    protocol : Protocol
    model_name : str
        How the model is named in the record.
    device, precision, tile, max_tile_bytes
        Passed to :func:`run_model` (precision ``"float32"`` or ``"float64"``).

    Returns
    -------
    Evaluation
    """
    how = preparation if isinstance(preparation, Preparation) else Preparation(preparation)
    check_model(model, how)
    results = []
    for record in dataset:
        scores = evaluate_image(record.image, model, how, protocol, device=device, precision=precision, tile=tile,
                                max_tile_bytes=max_tile_bytes)
        h, w = modcrop(record.image, how.scale).shape[:2]  # the fitted size, whatever the fit
        results.append(ImageResult(name=record.name, sha256=record.sha256, height=h, width=w, scores=scores))
    return Evaluation(
        model=model_name,
        dataset=dataset.name,
        dataset_source=dataset.source,
        degradation=how.degradation,
        protocol=protocol,
        precision=precision,
        device=str(device),
        images=tuple(results),
        mean=mean_scores([r.scores for r in results]),
    )


__all__ = [
    "COLOUR_RULES",
    "FITS",
    "MODEL_INPUTS",
    "RESIZE_SPACES",
    "Evaluation",
    "ImageResult",
    "Preparation",
    "Prepared",
    "check_model",
    "colour_output",
    "environment",
    "evaluate",
    "evaluate_image",
    "output_crop",
    "prepare",
    "run_model",
    "score_prepared",
]
