"""What a matrix run computes, as data: :class:`MatrixPlan`, checked at the boundary.

A plan names the train and eval backend specs, the scales, the seeds, the training recipe (which
fixes the model), the data sets, the metric protocol and the device. It holds names and values
only, no images, so it is cheap to pickle to worker processes and Ray tasks; the runner
(:mod:`sr_audit.matrix.runner`) loads the data and turns a plan into work.

Degradations
------------
For a spec ``S`` and scale ``s`` the training and the evaluation degradation is "down by ``S``, up
by ``S``" (:class:`~sr_audit.degradation.Degradation` with ``down = up = S``), on the network
space of the recipe (:attr:`Recipe.space <sr_audit.recipes.Recipe.space>`: the Y plane for 1
channel, RGB for 3) and on the authors' compute path (:data:`COMPUTE`: float64, no rounding
between the resizes), whatever the recipe's own pipeline does: the matrix compares libraries, so
one spec makes both resizes of a row. The space is part of every key (a model's through its
config, a bicubic cell's through its ``space``), so Y and RGB results never share one.

Defaults from a published recipe
--------------------------------
When the recipe has a pipeline (:class:`~sr_audit.published.Pipeline`), the scales default to its
scale, the training data to its training set (an error naming the fix when that set is not shipped
and no ``--data`` is given), and the eval sets to the standard sets its reported figures name.

Pretrained models
-----------------
``external`` (``--model FILE_OR_FACTORY``, :class:`~sr_audit.model_source.ModelSource`) lists
models the user brings: each is a row evaluated on every eval spec, set and scale in the plan's
network space, never trained; they all take ``--model-input`` (``upsampled`` or ``lr``).

Spec lists
----------
``--train`` and ``--eval`` take a comma list of specs (``pil,cv2:bicubic-aa,matlab``) or
``all``, read by :func:`sr_audit.backends.selection.select_specs`: ``all`` takes every registered
backend's default spec whose library is importable and the others are kept in
:attr:`MatrixPlan.skipped` with the reason; a spec named explicitly whose library is missing is an
error. Specs are resolved to their canonical form (``pil`` -> ``pil:bicubic+aa``), and duplicates
after resolution are dropped.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sr_audit import backends
from sr_audit.backends.selection import ALL_SPECS, BackendStatus, select_specs
from sr_audit.conventions import ResizeSpec
from sr_audit.datasets import STANDARD_SETS
from sr_audit.errors import SpecError
from sr_audit.model_source import ModelSource
from sr_audit.protocol import Protocol, get_protocol
from sr_audit.recipes import Budget, Recipe, get_recipe, load_recipe
from sr_audit.sizes import parse_factor
from sr_audit.weights import BICUBIC

#: The compute path of every degradation of a matrix (see :data:`sr_audit.degradation.COMPUTES`).
COMPUTE = "float"

#: Defaults of ``sr-audit matrix`` with no arguments: the embedded data, scale 3, the quick recipe.
DEFAULT_TRAIN_DATA = "embedded-train"
DEFAULT_EVAL_DATA: tuple[str, ...] = ("embedded-eval",)
DEFAULT_SCALES: tuple[int, ...] = (3,)
DEFAULT_SEEDS: tuple[int, ...] = (0,)
DEFAULT_RECIPE = "quick"
DEFAULT_PROTOCOL = "matlab"

#: Crops kept per cell: the side in pixels and how many eval images get one (the first ones).
DEFAULT_CROP_SIZE = 64
DEFAULT_CROP_IMAGES = 3

#: Training checkpoints of a matrix run are written every this many minutes of training time.
DEFAULT_CHECKPOINT_MINUTES = 0.5


def parse_int_list(text: str | Sequence[int], option: str, minimum: int) -> tuple[int, ...]:
    """``"2,3,4"`` (or a sequence of ints) as a tuple of distinct integers >= ``minimum``, in order.

    >>> parse_int_list("2, 3,2", "--scales", 2)
    (2, 3)
    """
    items = text.split(",") if isinstance(text, str) else list(text)
    out: list[int] = []
    for item in items:
        try:
            value = int(item.strip()) if isinstance(item, str) else item
        except ValueError:
            value = None
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise SpecError(f"{option} takes a comma list of integers >= {minimum}, got {text!r}")
        if value not in out:
            out.append(value)
    if not out:
        raise SpecError(f"{option} takes a comma list of integers >= {minimum}, got {text!r}")
    return tuple(out)


def parse_scales(text: str | Sequence[int], option: str = "--scales") -> tuple[int, ...]:
    """``"2,3,4"`` (each item in :func:`sr_audit.sizes.parse_factor`'s grammar: ``x3`` and ``1/3``
    too, or a sequence) as a tuple of distinct super-resolution factors, in order.

    >>> parse_scales("2, x3, 1/4, 2")
    (2, 3, 4)
    """
    items = text.split(",") if isinstance(text, str) else list(text)
    out: list[int] = []
    for item in items:
        try:
            value = parse_factor(item)
        except SpecError as exc:
            raise SpecError(f"{option} takes a comma list of super-resolution factors such as 2,3,4: {exc}") from None
        if value not in out:
            out.append(value)
    return tuple(out)


def parse_names(text: str, option: str) -> tuple[str, ...]:
    """A comma list of data set names or folders (``"Set5,Set14"``), in order, without duplicates."""
    parts = [p.strip() for p in str(text).split(",")]
    if not all(parts):
        raise SpecError(f"{option} {text!r} has an empty item; write names separated by single commas, e.g. Set5,Set14")
    return tuple(dict.fromkeys(parts))


def _check_tuple(value: object, kind: type, name: str) -> None:
    if not isinstance(value, tuple) or not value or not all(isinstance(v, kind) for v in value):
        raise SpecError(f"MatrixPlan.{name} must be a non-empty tuple of {kind.__name__}, got {value!r}")
    if len(set(value)) != len(value):
        raise SpecError(f"MatrixPlan.{name} lists an item twice: {value!r}")


@dataclass(frozen=True)
class MatrixPlan:
    """Everything that decides a matrix run's results, plus how it is shown (crops).

    Attributes
    ----------
    train_specs, eval_specs : tuple of ResizeSpec
        Resolved specs (strings are resolved against the registry).
    scales : tuple of int
        Super-resolution factors, each >= 2.
    seeds : tuple of int
        Training seeds, each >= 0.
    recipe : Recipe
        Training recipe (a registered name is looked up); its ``model`` is the trained model, its
        budget the training budget, its ``channels`` the network space.
    protocol : Protocol
        Metric protocol (a preset name is looked up).
    train_data : str
        Training images: ``embedded-train``, a standard set name (``T91``) or a folder.
    eval_data : tuple of str
        Evaluation sets: ``embedded-eval``, standard set names (``Set5``) or folders.
    data_root : str or None
        Where standard set names and the authors' weights (``srcnn_official_weights/``) are looked
        up (:func:`sr_audit.datasets.find_data_root`).
    device : str
        ``auto``, ``cpu``, ``cuda`` or ``cuda:N``; resolved where the work runs.
    skipped : tuple of BackendStatus
        Backends left out of ``all`` and why (shown to the user, not part of any result).
    crop_size : int
        Side of the crops stored per cell, 8 to 256 pixels.
    crop_images : int
        How many eval images (the first, in set order) get crops, 0 to 8.
    checkpoint_every : Budget
        Cadence of training checkpoints (what a killed run can lose of a model's training).
    official : bool
        Evaluate the authors' released weights for the model and scales when found.
    external : tuple of ModelSource
        Pretrained models brought by the user (``--model FILE_OR_FACTORY``), evaluated on every
        eval spec and set at every scale, never trained (:mod:`sr_audit.model_source`).
    """

    train_specs: tuple[ResizeSpec, ...]
    eval_specs: tuple[ResizeSpec, ...]
    scales: tuple[int, ...] = DEFAULT_SCALES
    seeds: tuple[int, ...] = DEFAULT_SEEDS
    recipe: Recipe = field(default_factory=lambda: get_recipe(DEFAULT_RECIPE))
    protocol: Protocol = field(default_factory=lambda: get_protocol(DEFAULT_PROTOCOL))
    train_data: str = DEFAULT_TRAIN_DATA
    eval_data: tuple[str, ...] = DEFAULT_EVAL_DATA
    data_root: str | None = None
    device: str = "auto"
    skipped: tuple[BackendStatus, ...] = ()
    crop_size: int = DEFAULT_CROP_SIZE
    crop_images: int = DEFAULT_CROP_IMAGES
    checkpoint_every: Budget = field(default_factory=lambda: Budget("minutes", DEFAULT_CHECKPOINT_MINUTES))
    official: bool = True
    external: tuple[ModelSource, ...] = ()

    def __post_init__(self) -> None:
        for name in ("train_specs", "eval_specs"):
            value = getattr(self, name)
            if isinstance(value, tuple):
                object.__setattr__(self, name, tuple(backends.resolve(s) for s in value))
            _check_tuple(getattr(self, name), ResizeSpec, name)
        _check_tuple(self.scales, int, "scales")
        _check_tuple(self.seeds, int, "seeds")
        if any(isinstance(s, bool) or s < 2 for s in self.scales):
            raise SpecError(f"MatrixPlan.scales must be integers >= 2, got {self.scales!r}")
        if any(isinstance(s, bool) or s < 0 for s in self.seeds):
            raise SpecError(f"MatrixPlan.seeds must be integers >= 0, got {self.seeds!r}")
        object.__setattr__(self, "recipe", get_recipe(self.recipe))
        object.__setattr__(self, "protocol", get_protocol(self.protocol))
        if not isinstance(self.train_data, str) or not self.train_data.strip():
            raise SpecError(f"MatrixPlan.train_data must name a data set, got {self.train_data!r}")
        _check_tuple(self.eval_data, str, "eval_data")
        if self.data_root is not None and not isinstance(self.data_root, str):
            raise SpecError(f"MatrixPlan.data_root must be a path string or None, got {self.data_root!r}")
        if not isinstance(self.device, str) or not self.device.strip():
            raise SpecError(f"MatrixPlan.device must be a device name such as auto, cpu or cuda:0, got {self.device!r}")
        for name, low, high in (("crop_size", 8, 256), ("crop_images", 0, 8)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise SpecError(f"MatrixPlan.{name} must be an integer from {low} to {high}, got {value!r}")
        if not isinstance(self.checkpoint_every, Budget):
            raise SpecError(f"MatrixPlan.checkpoint_every must be a Budget, got {self.checkpoint_every!r}")
        if not isinstance(self.official, bool):
            raise SpecError(f"MatrixPlan.official must be True or False, got {self.official!r}")
        if not isinstance(self.external, tuple) or not all(isinstance(m, ModelSource) for m in self.external):
            raise SpecError(f"MatrixPlan.external must be a tuple of ModelSource, got {self.external!r}")
        labels = [m.label for m in self.external]
        if len(set(labels)) != len(labels) or BICUBIC in labels:
            raise SpecError(f"--model names each model once and never {BICUBIC!r} (always a row); got {', '.join(labels)}")

    @property
    def model(self) -> str:
        """Name of the trained model (filter sizes, e.g. ``9-1-5``), from the recipe."""
        return self.recipe.model

    @property
    def space(self) -> str:
        """Network space of every degradation: the recipe's, ``y`` or ``rgb`` (see the module notes)."""
        return self.recipe.space

    @classmethod
    def from_options(
        cls,
        *,
        train: str = ALL_SPECS,
        eval: str = ALL_SPECS,
        scales: str | Sequence[int] | None = None,
        model: str | None = None,
        seeds: str | Sequence[int] = DEFAULT_SEEDS,
        data: str | None = None,
        eval_data: str | None = None,
        data_root: str | None = None,
        recipe: str | Recipe = DEFAULT_RECIPE,
        budget: Budget | None = None,
        protocol: str | Protocol = DEFAULT_PROTOCOL,
        device: str = "auto",
        checkpoint_minutes: float = DEFAULT_CHECKPOINT_MINUTES,
        crop_size: int = DEFAULT_CROP_SIZE,
        external: Sequence[str] = (),
        external_input: str = "upsampled",
    ) -> MatrixPlan:
        """A plan from command-line style values (comma lists, names, ``None`` for defaults).

        ``recipe`` is a registered name, a ``.json`` file holding a recipe as plain data
        (:meth:`Recipe.from_dict`), or a :class:`Recipe`; ``model`` and ``budget``, when given,
        replace the recipe's. ``scales``, ``data`` and ``eval_data`` left at None come from the
        recipe's pipeline and reported figures when it has them (module notes), else from the
        ``DEFAULT_*`` values. ``external`` lists pretrained models (files or factories), each
        taking ``external_input`` (:data:`sr_audit.evaluation.MODEL_INPUTS`).
        """
        train_sel = select_specs(train, "--train")
        eval_sel = select_specs(eval, "--eval")
        skipped = tuple(dict.fromkeys(train_sel.skipped + eval_sel.skipped))
        chosen = load_recipe(recipe)
        if model is not None:
            chosen = chosen.replace(model=model)
        if budget is not None:
            chosen = chosen.replace(budget=budget)
        if isinstance(checkpoint_minutes, bool) or not isinstance(checkpoint_minutes, (int, float)) or not (
            math.isfinite(checkpoint_minutes) and checkpoint_minutes > 0
        ):
            raise SpecError(f"--checkpoint-minutes must be a positive number, got {checkpoint_minutes!r}")
        return cls(
            train_specs=train_sel.specs,
            eval_specs=eval_sel.specs,
            scales=parse_scales(scales) if scales is not None else recipe_scales(chosen),
            seeds=parse_int_list(seeds, "--seeds", 0),
            recipe=chosen,
            protocol=get_protocol(protocol),
            train_data=data if data is not None else chosen.default_train_data() or DEFAULT_TRAIN_DATA,
            eval_data=parse_names(eval_data, "--eval-data") if eval_data is not None else recipe_eval_data(chosen),
            data_root=None if data_root is None else str(Path(data_root).absolute()),
            device=device,
            skipped=skipped,
            crop_size=crop_size,
            checkpoint_every=Budget("minutes", float(checkpoint_minutes)),
            external=tuple(ModelSource(m, input=external_input) for m in external),
        )


def recipe_scales(recipe: Recipe) -> tuple[int, ...]:
    """The scale of the recipe's pipeline, else :data:`DEFAULT_SCALES`."""
    return (recipe.pipeline.scale,) if recipe.pipeline is not None else DEFAULT_SCALES


def recipe_eval_data(recipe: Recipe) -> tuple[str, ...]:
    """The standard sets (``Set5``, ...) the recipe's reported figures name, in order, else
    :data:`DEFAULT_EVAL_DATA`; figures on sets sr-audit does not ship need ``--eval-data``."""
    names = [STANDARD_SETS[f.dataset.lower()][0] for f in recipe.reported if f.dataset.lower() in STANDARD_SETS]
    return tuple(dict.fromkeys(names)) or DEFAULT_EVAL_DATA
