"""What a published recipe adds to a training recipe: its data pipeline and the figures its source reports.

* :class:`Pipeline`: the degradation (down spec, up spec, compute path), the scale and the training
  data (:class:`TrainingData`) the source used. ``sr-audit train --recipe NAME`` runs it when no
  ``--backend``/``--scale``/``--data`` is given; ``sr-audit matrix`` keeps its scale and data and
  swaps the degradation for each train backend.
* :class:`ReportedFigure`: one published result (data set, scale, metric space, PSNR, SSIM and
  the bicubic baseline where given, and the source as a citation string). Reports put them beside
  the cells that measure the same thing.

Both are plain frozen data checked at construction; :meth:`sr_audit.recipes.Recipe.from_dict`
reads them from nested mappings.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from sr_audit import backends
from sr_audit.datasets import STANDARD_SETS
from sr_audit.degradation import COMPUTES, Degradation
from sr_audit.errors import SpecError
from sr_audit.protocol import SPACES as METRIC_SPACES


@dataclass(frozen=True)
class TrainingData:
    """The images a published recipe trained on.

    Attributes
    ----------
    name : str
        A standard set name (``T91``) when ``shipped``; otherwise what the user's folder should
        hold (``DIV2K_train_HR``).
    shipped : bool
        True: found by name under the data root (``--data-root``, ``$SR_AUDIT_DATA`` or
        ``../shared/datasets``); False: sr-audit does not provide it and the user passes
        ``--data FOLDER``.
    note : str
        What the images are and where to get them.
    """

    name: str
    shipped: bool
    note: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise SpecError(f"training data name must be a non-empty string, got {self.name!r}")
        if not isinstance(self.shipped, bool):
            raise SpecError(f"training data shipped must be true or false, got {self.shipped!r}")
        if self.shipped and self.name.lower() not in STANDARD_SETS:
            known = ", ".join(folder for folder, _ in STANDARD_SETS.values())
            raise SpecError(f"shipped training data must be a standard set ({known}), got {self.name!r}; "
                            "mark other data shipped=false")


@dataclass(frozen=True)
class Pipeline:
    """The data side of a published recipe.

    Attributes
    ----------
    down, up : str
        Backend specs of the shrinking and the enlarging resize (``"pil:lanczos"``, ``"pil"``),
        checked against the backend registry.
    scale : int
        Super-resolution factor, >= 2.
    compute : str
        Key of :data:`sr_audit.degradation.COMPUTES`: ``float`` (resize floats, no rounding between)
        or ``uint8`` (each resize through the library's 8-bit path, as Pillow pipelines do).
    data : TrainingData
    """

    down: str
    up: str
    scale: int
    compute: str
    data: TrainingData

    def __post_init__(self) -> None:
        for role in ("down", "up"):
            spec = getattr(self, role)
            if not isinstance(spec, str):
                raise SpecError(f"pipeline {role} must be a backend spec string such as 'pil:lanczos', got {spec!r}")
            backends.resolve(spec)
        if isinstance(self.scale, bool) or not isinstance(self.scale, int) or self.scale < 2:
            raise SpecError(f"pipeline scale must be an integer >= 2, got {self.scale!r}")
        if self.compute not in COMPUTES:
            raise SpecError(f"pipeline compute {self.compute!r} is not one of: {', '.join(COMPUTES)}")
        if not isinstance(self.data, TrainingData):
            raise SpecError(f"pipeline data must be TrainingData(name, shipped, note), got {self.data!r}")

    def degradation(self, space: str) -> Degradation:
        """The pipeline's :class:`~sr_audit.degradation.Degradation` for a network in ``space``."""
        return Degradation(down=self.down, up=self.up, scale=self.scale, space=space, compute=self.compute)  # type: ignore[arg-type]


def _optional_number(value: Any, name: str, low: float, high: float) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (math.isfinite(value) and low <= value <= high):
        raise SpecError(f"reported {name} must be a number in [{low:g}, {high:g}] or None, got {value!r}")


@dataclass(frozen=True)
class ReportedFigure:
    """One result a recipe's source publishes.

    Attributes
    ----------
    dataset : str
        Evaluation set; a measured cell matches when its eval set has this name (case ignored), so
        a user folder must carry it (``DIV2K_valid_HR``).
    scale : int
    space : str
        Metric space, a key of :data:`sr_audit.protocol.SPACES`: ``y`` (luma) or ``rgb``.
    psnr : float
        Mean PSNR in dB.
    source : str
        Citation: paper (with DOI) or repository / tutorial and where the figure is stated.
    ssim : float or None
        Mean SSIM where given.
    bicubic_psnr, bicubic_ssim : float or None
        The bicubic baseline the same source reports beside it, where given.
    """

    dataset: str
    scale: int
    space: str
    psnr: float
    source: str
    ssim: float | None = None
    bicubic_psnr: float | None = None
    bicubic_ssim: float | None = None

    def __post_init__(self) -> None:
        for name in ("dataset", "source"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name).strip():
                raise SpecError(f"reported {name} must be a non-empty string, got {getattr(self, name)!r}")
        if isinstance(self.scale, bool) or not isinstance(self.scale, int) or self.scale < 2:
            raise SpecError(f"reported scale must be an integer >= 2, got {self.scale!r}")
        if self.space not in METRIC_SPACES:
            raise SpecError(f"reported space {self.space!r} is not one of: {', '.join(METRIC_SPACES)}")
        if self.psnr is None:
            raise SpecError("a reported figure needs its psnr")
        _optional_number(self.psnr, "psnr", 0.0, 100.0)
        _optional_number(self.bicubic_psnr, "bicubic_psnr", 0.0, 100.0)
        _optional_number(self.ssim, "ssim", -1.0, 1.0)
        _optional_number(self.bicubic_ssim, "bicubic_ssim", -1.0, 1.0)

    def matches(self, eval_set: str, scale: int) -> bool:
        """Whether a result on ``eval_set`` at ``scale`` measures what this figure reports."""
        return eval_set.casefold() == self.dataset.casefold() and scale == self.scale

    @property
    def label(self) -> str:
        """``Set5 ×3 Y``-style description."""
        return f"{self.dataset} ×{self.scale} {self.space.upper()}"


#: Where the paper's figures come from (ECCV: PSNR of 9-1-5 trained on T91; TPAMI: bicubic SSIM).
PAPER_SOURCE = (
    "Dong, Loy, He, Tang: Learning a Deep Convolutional Network for Image Super-Resolution, ECCV 2014 "
    "(doi:10.1007/978-3-319-10593-2_13), SRCNN 9-1-5 trained on 91 images; bicubic SSIM from the TPAMI 2016 "
    "version (doi:10.1109/TPAMI.2015.2439281); as in ../shared/datasets/paper_results.csv"
)

#: The published 9-1-5 (T91) rows with their bicubic baselines: (set, scale, PSNR, bicubic PSNR, bicubic SSIM).
PAPER_ROWS: tuple[tuple[str, int, float, float, float], ...] = (
    ("Set5", 2, 36.34, 33.66, 0.9299),
    ("Set5", 3, 32.39, 30.39, 0.8682),
    ("Set5", 4, 30.09, 28.42, 0.8104),
    ("Set14", 2, 32.18, 30.23, 0.8687),
    ("Set14", 3, 29.00, 27.54, 0.7736),
    ("Set14", 4, 27.20, 26.00, 0.7019),
)

#: The paper's 9-1-5 rows as figures (Y PSNR, with the bicubic baselines): what recipe ``paper`` reports.
PAPER_FIGURES: tuple[ReportedFigure, ...] = tuple(
    ReportedFigure(data, scale, "y", psnr, PAPER_SOURCE, bicubic_psnr=bic, bicubic_ssim=bic_ssim)
    for data, scale, psnr, bic, bic_ssim in PAPER_ROWS
)

#: Where a target comes from: the paper's figures, aimed at by sr-audit's own recipes.
TARGET_SOURCE = (
    "target of sr-audit's recipes fast and sprint, which train the same 9-1-5 on T91 and aim at the paper's "
    "figures (runs in benchmarks/README.md): " + PAPER_SOURCE
)

#: Backends whose degradation a target's figures are for (the paper's MATLAB imresize): only the
#: matched cells of these specs are set beside a target.
TARGET_BACKENDS: tuple[str, ...] = ("matlab", "matlab-legacy")

#: Figures a registered recipe aims at though its own source does not report them, by recipe name.
#: Reports put them beside the matched cells of that recipe like reported figures. They are not
#: part of the recipe (:meth:`sr_audit.recipes.Recipe.as_dict`), so they do not change its models'
#: store keys.
TARGETS: dict[str, tuple[ReportedFigure, ...]] = {
    name: tuple(dataclasses.replace(f, source=TARGET_SOURCE) for f in PAPER_FIGURES) for name in ("fast", "sprint")
}
