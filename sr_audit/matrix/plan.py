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

What runs when no data is named
-------------------------------
``sr-audit matrix`` with no data options runs one of two configurations (:class:`DefaultConfig`,
the data of this choice: :data:`NEAR_PAPER` and :data:`QUICK_DEMO`), chosen by
:func:`choose_defaults`:

* :data:`NEAR_PAPER` when the standard sets its data names (T91, Set5, Set14) are found under the
  data root (:func:`sr_audit.datasets.find_data_root`): recipe ``sprint`` (the paper's 9-1-5
  figures at x3), T91 -> Set5, Set14, x3, every eval backend and five train backends (the two
  left out repeat two others' kernels), sized to finish within 10 minutes on 2 CPU cores (the
  arithmetic is at :data:`NEAR_PAPER`);
* :data:`QUICK_DEMO` otherwise: the embedded photographs, recipe ``quick``, x3, every backend.

``--data``, ``--eval-data`` or ``--recipe`` given: no search; the options left out come from
:data:`QUICK_DEMO` (a published recipe's pipeline first, see above), as before the choice existed.
``--train``, ``--eval`` and ``--scales`` replace their part of either configuration.
:func:`describe_choice` is the line the command prints first: which configuration, why, and how
to get the other. :meth:`MatrixPlan.from_options` itself looks for nothing: its ``defaults``
(:data:`QUICK_DEMO` unless given) fill the options left at None.

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
from sr_audit.backends.selection import ALL_SPECS, BackendStatus, SpecSelection, select_specs
from sr_audit.conventions import ResizeSpec
from sr_audit.datasets import STANDARD_SETS, find_data_root, resolve_data
from sr_audit.errors import DataError, SpecError
from sr_audit.model_source import ModelSource
from sr_audit.protocol import Protocol, get_protocol
from sr_audit.recipes import Budget, Recipe, get_recipe, load_recipe
from sr_audit.sizes import parse_factor
from sr_audit.weights import BICUBIC

#: The compute path of every degradation of a matrix (see :data:`sr_audit.degradation.COMPUTES`).
COMPUTE = "float"

#: Defaults of the quick demo (:data:`QUICK_DEMO`): the embedded data, scale 3, the quick recipe.
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


@dataclass(frozen=True)
class DefaultConfig:
    """What ``sr-audit matrix`` runs for the options left out (module notes, :func:`choose_defaults`).

    Attributes
    ----------
    name : str
        How the command's first line calls it (``near-paper configuration``, ``quick demo``).
    recipe : str
        Registered recipe name.
    train_data : str
        Training set (a standard set name or ``embedded-train``).
    eval_data : tuple of str
        Eval sets.
    scales : tuple of int
    train_backends : tuple of str or None
        Backends trained on, each at its default spec, those that cannot run here left out with
        the reason (as ``all`` does); None: every available backend.
    train_why : str or None
        Why ``train_backends`` are fewer than all, for the command's first line.
    """

    name: str
    recipe: str
    train_data: str
    eval_data: tuple[str, ...]
    scales: tuple[int, ...]
    train_backends: tuple[str, ...] | None = None
    train_why: str | None = None

    @property
    def standard_sets(self) -> tuple[str, ...]:
        """The standard sets (:data:`sr_audit.datasets.STANDARD_SETS`) its data names, in order."""
        names = (self.train_data, *self.eval_data)
        return tuple(STANDARD_SETS[n.lower()][0] for n in names if n.lower() in STANDARD_SETS)

    def train_selection(self) -> SpecSelection:
        """The train specs: :attr:`train_backends` at their default specs, or every available one."""
        every = select_specs(ALL_SPECS, "--train")
        if self.train_backends is None:
            return every
        specs = tuple(s for name in self.train_backends for s in every.specs if s.backend == name)
        return SpecSelection(specs, tuple(s for s in every.skipped if s.name in self.train_backends))


#: The CPU demo on the embedded photographs: every backend, x3, 1500 quick steps per model
#: (+0.2 to +0.67 dB over bicubic; reports/README.md, ``cpu-quick``: 6 min on 2 CPU cores).
QUICK_DEMO = DefaultConfig(name="quick demo", recipe=DEFAULT_RECIPE, train_data=DEFAULT_TRAIN_DATA,
                           eval_data=DEFAULT_EVAL_DATA, scales=DEFAULT_SCALES)

#: The main job near the paper's quality, when T91, Set5 and Set14 are found: recipe ``sprint``
#: (5,000 steps of 16: Set5 / Set14 x3 32.42 / 29.04 and 32.43 / 29.02 dB with seeds 0 and 1
#: against the paper's 32.39 / 29.00, benchmarks/README.md), x3, every eval backend and five of
#: the seven train backends. Timings (2-core AMD EPYC dev VM, quiet, 2 Dec 2026): ``sr-audit matrix
#: --train all`` with the data root took 5 min 35 s (5 min 50 s with start-up and report): 7 models
#: of about 30 s of training and 18 s of evaluation each, 140 cells, the authors' two x3 rows.
#: ``make demo`` adds its installation (1.7 to 3 minutes here), and a CPU without native bfloat16
#: trains sprint in float32 at about 0.7x the speed (benchmarks/README.md, "Training throughput"):
#: all seven rows would be 7.5 to 10.5 minutes, too close to the 10 of issue 12. Two rows repeat
#: others: matlab-legacy is matlab's kernel (a = -0.5, antialiased) and torch is cv2's (a = -0.75,
#: not antialiased), and in that run their models scored within 0.04 dB of cv2's (torch) and 0.02 dB
#: of matlab's (matlab-legacy) on every eval backend of both sets, about what a second seed of one
#: backend moves (0.01 to 0.03 dB, benchmarks/README.md). Leaving those two out saves 2 x 48 s.
NEAR_PAPER = DefaultConfig(
    name="near-paper configuration", recipe="sprint", train_data="T91", eval_data=("Set5", "Set14"), scales=(3,),
    train_backends=("matlab", "pil", "skimage", "cv2", "tf"),
    train_why="5 of 7 so that x3 finishes within 10 minutes on 2 CPU cores: matlab-legacy and torch have matlab's "
              "and cv2's kernels and train models within 0.04 dB of theirs; --train all for every backend",
)


@dataclass(frozen=True)
class DefaultChoice:
    """Which :class:`DefaultConfig` fills the options left out, and why.

    Attributes
    ----------
    config : DefaultConfig
    searched : bool
        The standard sets were looked for (no ``--data``, ``--eval-data`` or ``--recipe``); False
        when such an option was given and :data:`QUICK_DEMO` fills the rest as before the choice.
    reason : str
        ``standard sets found at DIR``, ``no standard sets under the data root (...)`` or the
        options given.
    given : tuple of str
        The options given of ``--train``, ``--eval``, ``--scales`` (they replace their part).
    """

    config: DefaultConfig
    searched: bool
    reason: str
    given: tuple[str, ...] = ()


def choose_defaults(
    *,
    data: str | None = None,
    eval_data: str | None = None,
    recipe: str | Recipe | None = None,
    train: str | None = None,
    eval: str | None = None,
    scales: str | Sequence[int] | None = None,
    data_root: str | None = None,
) -> DefaultChoice:
    """The configuration for the options left at None (module notes): :data:`NEAR_PAPER` when no
    data or recipe option is given and its standard sets are found under the data root, else
    :data:`QUICK_DEMO`. Looks at folders only; reads no image."""
    given = tuple(o for o, v in (("--train", train), ("--eval", eval), ("--scales", scales)) if v is not None)
    named = [o for o, v in (("--data", data), ("--eval-data", eval_data), ("--recipe", recipe)) if v is not None]
    if named:
        return DefaultChoice(QUICK_DEMO, False, f"{', '.join(named)} given", given)
    root, how = find_data_root(data_root)
    if root is None:
        return DefaultChoice(QUICK_DEMO, True, f"no standard sets under the data root ({how})", given)
    missing = []
    for name in NEAR_PAPER.standard_sets:
        try:
            found = resolve_data(name, root).is_dir()
        except DataError:
            found = False
        if not found:
            missing.append(name)
    if missing:
        return DefaultChoice(QUICK_DEMO, True, f"no standard sets under the data root ({', '.join(missing)} not in "
                                               f"{root}, data root from {how})", given)
    return DefaultChoice(NEAR_PAPER, True, f"standard sets found at {root}", given)


def describe_choice(choice: DefaultChoice, plan: MatrixPlan) -> str:
    """The command's first line: the configuration, why it was chosen and what ``plan`` runs of it,
    and how to get the other one ("" when no search was made: the user named the data or recipe)."""
    if not choice.searched:
        return ""
    config = choice.config
    data = f"{plan.train_data} -> {', '.join(plan.eval_data)}"
    scales = ", ".join(f"x{s}" for s in plan.scales)
    rows = f"{len(plan.train_specs)} train x {len(plan.eval_specs)} eval backends"
    if "--train" not in choice.given and config.train_backends is not None:
        rows += f" (train: {', '.join(s.backend for s in plan.train_specs)}; {config.train_why})"
    what = f"recipe {plan.recipe.name}, {data}, {scales}, {rows}"
    if config is NEAR_PAPER:
        return f"{choice.reason}: running the {config.name}: {what}; pass --data {QUICK_DEMO.train_data} for the quick demo"
    sets = ", ".join(NEAR_PAPER.standard_sets)
    return (f"{choice.reason}: running the {config.name} on embedded photos: {what}; "
            f"pass --data-root DIR holding {sets} for the near-paper configuration")


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
        train: str | None = None,
        eval: str | None = None,
        scales: str | Sequence[int] | None = None,
        model: str | None = None,
        seeds: str | Sequence[int] = DEFAULT_SEEDS,
        data: str | None = None,
        eval_data: str | None = None,
        data_root: str | None = None,
        recipe: str | Recipe | None = None,
        budget: Budget | None = None,
        protocol: str | Protocol = DEFAULT_PROTOCOL,
        device: str = "auto",
        checkpoint_minutes: float = DEFAULT_CHECKPOINT_MINUTES,
        crop_size: int = DEFAULT_CROP_SIZE,
        external: Sequence[str] = (),
        external_input: str = "upsampled",
        defaults: DefaultConfig = QUICK_DEMO,
    ) -> MatrixPlan:
        """A plan from command-line style values (comma lists, names, ``None`` for defaults).

        ``recipe`` is a registered name, a ``.json`` file holding a recipe as plain data
        (:meth:`Recipe.from_dict`), or a :class:`Recipe`; ``model`` and ``budget``, when given,
        replace the recipe's. ``scales``, ``data`` and ``eval_data`` left at None come from the
        recipe's pipeline and reported figures when it has them (module notes), else from
        ``defaults``, as ``recipe``, ``train`` and ``eval`` do (:data:`QUICK_DEMO`, or what
        :func:`choose_defaults` chose). ``external`` lists pretrained models (files or
        factories), each taking ``external_input`` (:data:`sr_audit.evaluation.MODEL_INPUTS`).
        """
        if not isinstance(defaults, DefaultConfig):
            raise SpecError(f"defaults must be a DefaultConfig such as QUICK_DEMO or NEAR_PAPER, got {defaults!r}")
        train_sel = select_specs(train, "--train") if train is not None else defaults.train_selection()
        eval_sel = select_specs(eval if eval is not None else ALL_SPECS, "--eval")
        skipped = tuple(dict.fromkeys(train_sel.skipped + eval_sel.skipped))
        chosen = load_recipe(recipe if recipe is not None else defaults.recipe)
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
            scales=parse_scales(scales) if scales is not None else recipe_scales(chosen, defaults.scales),
            seeds=parse_int_list(seeds, "--seeds", 0),
            recipe=chosen,
            protocol=get_protocol(protocol),
            train_data=data if data is not None else chosen.default_train_data() or defaults.train_data,
            eval_data=(parse_names(eval_data, "--eval-data") if eval_data is not None
                       else recipe_eval_data(chosen, defaults.eval_data)),
            data_root=None if data_root is None else str(Path(data_root).absolute()),
            device=device,
            skipped=skipped,
            crop_size=crop_size,
            checkpoint_every=Budget("minutes", float(checkpoint_minutes)),
            external=tuple(ModelSource(m, input=external_input) for m in external),
        )


def recipe_scales(recipe: Recipe, default: tuple[int, ...] = DEFAULT_SCALES) -> tuple[int, ...]:
    """The scale of the recipe's pipeline, else ``default``."""
    return (recipe.pipeline.scale,) if recipe.pipeline is not None else default


def recipe_eval_data(recipe: Recipe, default: tuple[str, ...] = DEFAULT_EVAL_DATA) -> tuple[str, ...]:
    """The standard sets (``Set5``, ...) the recipe's reported figures name, in order, else
    ``default``; figures on sets sr-audit does not ship need ``--eval-data``."""
    names = [STANDARD_SETS[f.dataset.lower()][0] for f in recipe.reported if f.dataset.lower() in STANDARD_SETS]
    return tuple(dict.fromkeys(names)) or default
