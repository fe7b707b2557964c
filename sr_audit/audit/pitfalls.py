"""What the classic evaluation mistakes cost, in dB: :func:`pitfalls`.

Each pitfall (:data:`PITFALLS`) is a pair of pipelines that differ in one thing, the correct one and
the mistaken one, scored on the same images with the same model; the result is one row per pitfall
with both mean PSNRs and ``delta = wrong - correct`` (positive: the mistake flatters the model).

The pipeline (:class:`Pipeline`), per image
-------------------------------------------
The image as the pipeline reads it (:func:`read_as`: BGR, a grayscale file as RGB), then the one
evaluation path (:mod:`sr_audit.evaluation`): ``modcrop`` to a multiple of the scale; the Y plane of
MATLAB ``rgb2ycbcr`` rounded to uint8 (a grayscale image is its own Y); down and up resize
(``down``, ``up``, ``compute`` as in :class:`~sr_audit.degradation.Degradation`, or the mistaken
resize of :func:`down_up`, given to :func:`~sr_audit.evaluation.prepare` as its resampler); the
model (the SRCNN or the identity, i.e. the bicubic baseline); ``uint8(x * 255)``; PSNR on Y
against the ground-truth Y after shaving ``s`` pixels per side (:data:`PROTOCOL`). The correct
pipeline is the SRCNN authors' (legacy MATLAB ``imresize`` in double) unless the pitfall concerns
another library, whose correct use is then the baseline.

Which images a pitfall is measured on (:data:`APPLIES`): the width/height swap only changes
non-square images, the BGR mix-up only colour ones, the grayscale mix-up only grayscale files; a row
says how many images it used, and is empty (NaN) when none fits.

``align_corners=True`` is not a convention any registered backend offers (the torch backend pins
``align_corners=False``), so that mistake is made here with ``torch.nn.functional.interpolate``
directly, in float64.
"""
from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sr_audit import backends
from sr_audit.audit.explain import default_weights
from sr_audit.datasets import Dataset, load_dataset
from sr_audit.degradation import COMPUTES, Degradation, modcrop, resample
from sr_audit.errors import SpecError
from sr_audit.evaluation import Preparation, Prepared, prepare, run_model, score_prepared
from sr_audit.image_io import im2double
from sr_audit.io_util import json_ready
from sr_audit.metrics import quantise_output
from sr_audit.model import SRCNN
from sr_audit.model_source import y_srcnn
from sr_audit.protocol import PROTOCOLS
from sr_audit.report.markdown import markdown_table
from sr_audit.resize import resize
from sr_audit.rounding import quantize

#: Protocol of every pipeline: the SRCNN authors' (Y of MATLAB rgb2ycbcr rounded, ``uint8(x*255)``,
#: shave = scale, peak 255, a grayscale image its own Y), Y only.
PROTOCOL = dataclasses.replace(PROTOCOLS["matlab"], name="pitfalls", spaces=("y",), grayscale="as-y")

#: Backend of the correct pipeline: the MATLAB imresize generation of the SRCNN paper.
CORRECT_BACKEND = "matlab-legacy"

#: Which images a pitfall can change.
APPLIES: dict[str, str] = {
    "all": "every image",
    "non-square": "images whose (modcropped) height and width differ",
    "colour": "RGB images with colour (not R = G = B)",
    "grayscale": "single-channel (grayscale) files",
}

#: What each pipeline field may hold.
CHANNEL_ORDERS: dict[str, str] = {
    "rgb": "the array is RGB, as sr-audit reads it",
    "bgr": "the channels are reversed (OpenCV imread order) and then taken for RGB",
}
GRAYSCALE_READS: dict[str, str] = {
    "as-is": "a grayscale file is its own Y (the SRCNN authors' rule)",
    "as-rgb": "a grayscale file is read as three equal channels and put through the Y formula",
}
REFERENCES: dict[str, str] = {
    "hr": "the ground-truth Y",
    "input": "the model's own input (the down-and-up resized Y, uint8(x*255))",
}


@dataclass(frozen=True)
class Pipeline:
    """One way of scoring a model on an image (module docstring).

    Attributes
    ----------
    down, up : str
        Resize specs.
    compute : str
        Key of :data:`sr_audit.degradation.COMPUTES`.
    swap_size : bool
        The down resize is given ``(W/s, H/s)`` where ``(H/s, W/s)`` is meant; the up resize
        restores ``(H, W)``.
    align_corners : bool
        Both resizes are torch bicubic with ``align_corners=True`` (float64), antialiasing as the
        (torch bicubic) specs say.
    channel_order : str
        Key of :data:`CHANNEL_ORDERS`.
    grayscale : str
        Key of :data:`GRAYSCALE_READS`.
    reference : str
        Key of :data:`REFERENCES`.
    """

    down: str = CORRECT_BACKEND
    up: str = CORRECT_BACKEND
    compute: str = "float"
    swap_size: bool = False
    align_corners: bool = False
    channel_order: str = "rgb"
    grayscale: str = "as-is"
    reference: str = "hr"

    def __post_init__(self) -> None:
        for name, table in (("compute", COMPUTES), ("channel_order", CHANNEL_ORDERS), ("grayscale", GRAYSCALE_READS), ("reference", REFERENCES)):
            if getattr(self, name) not in table:
                raise SpecError(f"pipeline {name} {getattr(self, name)!r} is not one of: {', '.join(table)}")

    def input_key(self) -> tuple[Any, ...]:
        """The fields that decide the model's input (the output is cached by them)."""
        return (self.down, self.up, self.compute, self.swap_size, self.align_corners, self.channel_order, self.grayscale)


@dataclass(frozen=True)
class Pitfall:
    """A classic mistake: a sentence, where it shows, the correct and the wrong pipeline."""

    name: str
    sentence: str
    applies: str
    correct: Pipeline
    wrong: Pipeline

    def __post_init__(self) -> None:
        if self.applies not in APPLIES:
            raise SpecError(f"pitfall {self.name}: applies {self.applies!r} is not one of: {', '.join(APPLIES)}")


#: The correct use of torch bicubic: antialiasing when shrinking; the up resize keeps torch's default
#: (antialias off, Keys a = -0.75) in every torch pipeline, so only the named mistake differs.
_TORCH = Pipeline(down="torch:bicubic+aa", up="torch:bicubic-aa")

#: The pitfalls, in the order they are reported.
PITFALLS: tuple[Pitfall, ...] = (
    Pitfall(
        "width/height swap",
        "the down resize is given (width, height) where the library wants (height, width), so a non-square "
        "image is squashed and then stretched back to its size",
        "non-square",
        Pipeline(),
        Pipeline(swap_size=True),
    ),
    Pitfall(
        "uint8 vs float",
        "both resizes run on 8-bit images (rounded after each pass and each resize) instead of im2double with "
        "one rounding at the end",
        "all",
        Pipeline(),
        Pipeline(compute="uint8"),
    ),
    Pitfall(
        "missing antialias",
        "torch bicubic shrinks without antialias=True, so the kernel is not widened and the LR aliases "
        "(the up resize is torch bicubic in both)",
        "all",
        _TORCH,
        dataclasses.replace(_TORCH, down="torch:bicubic-aa"),
    ),
    Pitfall(
        "align_corners=True",
        "torch bicubic with align_corners=True maps corner pixel centres onto each other instead of using "
        "half-pixel centres, so the LR grid is stretched (down with antialias and up, as in the correct torch use)",
        "all",
        _TORCH,
        dataclasses.replace(_TORCH, align_corners=True),
    ),
    Pitfall(
        "BGR as RGB",
        "an image read by OpenCV (BGR) is put through the RGB Y formula, so red and blue weights are exchanged "
        "in every Y plane, the model's input and the reference",
        "colour",
        Pipeline(),
        Pipeline(channel_order="bgr"),
    ),
    Pitfall(
        "grayscale read as RGB",
        "a grayscale file is read as three equal channels and put through the Y formula (Y = 16 + 219/255 g) "
        "instead of being its own Y",
        "grayscale",
        Pipeline(),
        Pipeline(grayscale="as-rgb"),
    ),
    Pitfall(
        "bicubic reference",
        "the output is scored against the bicubic-upscaled input instead of the ground truth",
        "all",
        Pipeline(),
        Pipeline(reference="input"),
    ),
)


def _applies(kind: str, image: np.ndarray, scale: int) -> bool:
    if kind == "non-square":
        h, w = modcrop(image, scale).shape[:2]
        return h != w
    if kind == "colour":
        return image.ndim == 3 and not (
            np.array_equal(image[..., 0], image[..., 1]) and np.array_equal(image[..., 0], image[..., 2])
        )
    if kind == "grayscale":
        return image.ndim == 2
    return True


def _torch_align_corners(x: np.ndarray, size: tuple[int, int], spec: str) -> np.ndarray:
    """torch bicubic with ``align_corners=True``, antialiasing as ``spec`` (a torch bicubic spec) says."""
    import torch
    import torch.nn.functional as F

    resolved = backends.resolve(spec)
    if (resolved.backend, resolved.kernel) != ("torch", "bicubic"):
        raise SpecError(f"align_corners=True is only modelled for torch bicubic specs, got {resolved}")
    t = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float64))[None, None]
    out = F.interpolate(t, size=size, mode="bicubic", align_corners=True, antialias=bool(resolved.antialias))
    return out[0, 0].numpy()


def read_as(image: np.ndarray, pipeline: Pipeline) -> np.ndarray:
    """The image as the pipeline reads it: channels reversed for ``bgr``, a grayscale file repeated
    into three channels for ``as-rgb`` (it then goes through the Y formula like a colour image)."""
    if image.ndim == 2:
        return image if pipeline.grayscale == "as-is" else np.repeat(image[:, :, None], 3, axis=2)
    return np.ascontiguousarray(image[:, :, ::-1]) if pipeline.channel_order == "bgr" else image


def down_up(plane: np.ndarray, pipeline: Pipeline, scale: int) -> np.ndarray:
    """Down then up resize of a uint8 plane (sides multiples of ``scale``); float64 in [0, 1]."""
    h, w = plane.shape
    low = (w // scale, h // scale) if pipeline.swap_size else (h // scale, w // scale)
    if pipeline.align_corners:
        return _torch_align_corners(_torch_align_corners(im2double(plane), low, pipeline.down), (h, w), pipeline.up)
    if not pipeline.swap_size:
        return resample(plane, Degradation(pipeline.down, pipeline.up, scale, compute=pipeline.compute))  # type: ignore[arg-type]
    x = plane if pipeline.compute == "uint8" else im2double(plane)
    out = resize(resize(x, pipeline.down, size=low), pipeline.up, size=(h, w))
    return out / 255.0 if pipeline.compute == "uint8" else out


@dataclass(frozen=True)
class Pitfalls:
    """The measured pitfalls.

    Attributes
    ----------
    dataset, dataset_source : str
    n_images : int
    scale : int
    model : str
        ``bicubic`` or the weights file.
    table : DataFrame
        One row per pitfall: ``pitfall, what, applies, images, correct_psnr, wrong_psnr, delta``
        (mean Y PSNR in dB over the images it applies to; ``delta = wrong - correct``).
    per_image : DataFrame
        Long format ``pitfall, image, correct_psnr, wrong_psnr``.
    """

    dataset: str
    dataset_source: str
    n_images: int
    scale: int
    model: str
    table: pd.DataFrame
    per_image: pd.DataFrame

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready record (non-finite numbers by :func:`~sr_audit.io_util.json_number`)."""
        return {
            "dataset": self.dataset,
            "dataset_source": self.dataset_source,
            "n_images": self.n_images,
            "scale": self.scale,
            "model": self.model,
            "protocol": "Y of MATLAB rgb2ycbcr rounded to uint8, uint8(x*255), shave = scale, PSNR per image then mean",
            "pitfalls": json_ready(self.table.to_dict("records")),
            "per_image": json_ready(self.per_image.to_dict("records")),
        }


class _Scorer:
    """Scores pipelines through the one evaluation path (:mod:`sr_audit.evaluation`), reusing each
    (image, input pipeline)'s prepared image and model output."""

    def __init__(self, scale: int, model: SRCNN | None) -> None:
        self.scale, self.model = scale, model
        self._cache: dict[tuple[Any, ...], tuple[Prepared, np.ndarray]] = {}

    def psnr(self, name: str, image: np.ndarray, pipeline: Pipeline) -> float:
        key = (name, *pipeline.input_key())
        if key not in self._cache:
            how = Preparation(Degradation(pipeline.down, pipeline.up, self.scale, compute=pipeline.compute), colour=None)  # type: ignore[arg-type]
            prepared = prepare(read_as(image, pipeline), how, name=name,
                               resampler=lambda plane: down_up(plane, pipeline, self.scale))
            self._cache[key] = (prepared, run_model(self.model, prepared))
        prepared, output = self._cache[key]
        if pipeline.reference == "input":
            reference = quantize(quantise_output(prepared.upsampled, PROTOCOL), np.uint8, "half-away-from-zero")
            prepared = dataclasses.replace(prepared, reference=reference)
        value = score_prepared(prepared, output, PROTOCOL).psnr_y
        assert value is not None
        return value


def _mean(values: list[float]) -> float:
    return float(np.mean(values)) if values else math.nan


def pitfalls(
    data: str | os.PathLike[str] | None = None,
    *,
    data_root: str | os.PathLike[str] | None = None,
    scale: int = 3,
    weights: str | os.PathLike[str] | None = None,
    progress: bool = True,
) -> Pitfalls:
    """Measure every pitfall of :data:`PITFALLS` on the same images and model.

    Parameters
    ----------
    data : str, PathLike or None
        What :func:`sr_audit.datasets.load_dataset` takes; None: the embedded eval images.
    data_root : str or PathLike, optional
        Where set names and the default weights are looked up.
    scale : int
        Integer factor >= 2.
    weights : str or PathLike, optional
        ``bicubic``, an authors' ``.mat`` or an sr-audit checkpoint of a one-channel SRCNN with
        ``same`` padding; None: the authors' 9-1-5 weights when the data root has them, else
        ``bicubic`` (then the "bicubic reference" pitfall is infinite: the output is its input).
    progress : bool
        tqdm bar over the pitfalls (on a terminal).

    Returns
    -------
    Pitfalls
    """
    from tqdm import tqdm

    if isinstance(scale, bool) or not isinstance(scale, (int, np.integer)) or scale < 2:
        raise SpecError(f"scale must be an integer >= 2, got {scale!r}")
    weights_name = str(weights) if weights is not None else default_weights(int(scale), data_root)
    model = y_srcnn(weights_name, "pitfalls")
    dataset: Dataset = load_dataset(data, data_root=data_root, scale=int(scale))
    scorer = _Scorer(int(scale), model)
    rows, per_image = [], []
    for pitfall in tqdm(PITFALLS, desc="pitfalls", unit="pitfall", disable=None if progress else True):
        correct, wrong = [], []
        for record in dataset:
            if not _applies(pitfall.applies, record.image, int(scale)):
                continue
            correct.append(scorer.psnr(record.name, record.image, pitfall.correct))
            wrong.append(scorer.psnr(record.name, record.image, pitfall.wrong))
            per_image.append({"pitfall": pitfall.name, "image": record.name, "correct_psnr": correct[-1], "wrong_psnr": wrong[-1]})
        c, w = _mean(correct), _mean(wrong)
        rows.append(
            {
                "pitfall": pitfall.name,
                "what": pitfall.sentence,
                "applies": pitfall.applies,
                "images": len(correct),
                "correct_psnr": c,
                "wrong_psnr": w,
                "delta": w - c,
            }
        )
    return Pitfalls(
        dataset=dataset.name,
        dataset_source=dataset.source,
        n_images=len(dataset),
        scale=int(scale),
        model=weights_name,
        table=pd.DataFrame(rows, columns=["pitfall", "what", "applies", "images", "correct_psnr", "wrong_psnr", "delta"]),
        per_image=pd.DataFrame(per_image, columns=["pitfall", "image", "correct_psnr", "wrong_psnr"]),
    )


def report_text(result: Pitfalls) -> str:
    """The pitfalls as markdown-ish text: one row per pitfall, then what each one is."""

    def fmt(value: float, sign: bool = False) -> str:
        if math.isnan(value):
            return "n/a"
        if math.isinf(value):
            return "+inf" if value > 0 else "-inf"
        return f"{value:+.3f}" if sign else f"{value:.3f}"

    t = result.table
    cells = pd.DataFrame(
        {
            "images": [f"{n} {a}" if a != "all" else str(n) for n, a in zip(t["images"], t["applies"])],
            "correct PSNR": t["correct_psnr"].map(fmt).to_numpy(),
            "wrong PSNR": t["wrong_psnr"].map(fmt).to_numpy(),
            "Δ (wrong − correct)": t["delta"].map(lambda v: fmt(v, sign=True)).to_numpy(),
        }
    )
    cells.index = t["pitfall"].to_numpy()
    lines = [
        f"# pitfalls: {result.dataset} ({result.dataset_source}), {result.n_images} images, x{result.scale}",
        "",
        f"model: {result.model}; PSNR (dB) on Y of MATLAB rgb2ycbcr, uint8(x*255), shave {result.scale}, mean over "
        f"the images each pitfall applies to; correct pipeline: {CORRECT_BACKEND} bicubic in double unless stated.",
        "",
        markdown_table(["pitfall", *cells.columns], cells.itertuples(name=None)),
        "",
    ]
    lines += [f"- **{p}**: {what}." for p, what in zip(t["pitfall"], t["what"])]
    return "\n".join(lines)


__all__ = [
    "APPLIES",
    "CHANNEL_ORDERS",
    "CORRECT_BACKEND",
    "GRAYSCALE_READS",
    "PITFALLS",
    "PROTOCOL",
    "REFERENCES",
    "Pipeline",
    "Pitfall",
    "Pitfalls",
    "down_up",
    "pitfalls",
    "read_as",
    "report_text",
]
