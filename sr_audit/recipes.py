"""Training recipes as data: :class:`Recipe`, :class:`Budget` and the registry :data:`RECIPES`.

A recipe names everything that decides a training run except the data, the degradation and the
seed: model (filter sizes and widths, network space), training padding, how samples are drawn
(grid windows or random crops), optimizer and its per-layer learning rates, loss, initialisation,
batch size, learning-rate schedule and budget. Adding a published recipe is one more entry in
:data:`RECIPES`; :meth:`Recipe.from_dict` builds one from plain data (a JSON or TOML table) and
refuses unknown keys.

Published recipes
-----------------
A published recipe also carries its source's data pipeline (:class:`~sr_audit.published.Pipeline`:
degradation, scale, training data and whether sr-audit ships it) and the figures the source
reports (:class:`~sr_audit.published.ReportedFigure`). ``paper`` is the authors' release;
``pytorch-pil``, ``tf-crops`` and ``div2k-small`` are the pipelines of sr-audit issue 5, whose
descriptions say which details the issue gives and which are assumed (the usual choice of that kind
of code: batch sizes, epochs, tf-crops' training set, div2k-small's resizes and optimizer);
``pytorch-adam`` is the popular PyTorch reimplementation's training as issue 12 describes it, the
reference that ``benchmarks/train_quality.py`` races ``fast`` against. The
repositories behind the quoted reimplementation figures were not identified, so their metric
protocol (shave, rounding) is unknown.

The paper's learning rates on our data
--------------------------------------
Dong et al. train with SGD, momentum 0.9, learning rate 1e-4 for the first two layers and 1e-5 for
the last, weights drawn from N(0, 0.001²), zero biases, batches of 128 (ECCV 2014, sec. 4.1; the
released Caffe solver and net). Are those rates meant for [0, 255] data? No: the authors'
``generate_train.m`` feeds Caffe ``im2double`` images, i.e. values in [0, 1], exactly our scale.
What differs between frameworks is the loss normalisation. Caffe's ``EuclideanLoss`` is

    L = 1/(2B) * sum over the batch and all 21x21 target pixels of (output - target)²,

so each output pixel receives the gradient (output - target)/B, while ``torch.nn.MSELoss`` (the
per-pixel mean) gives 2(output - target)/(B*441): 220.5 times smaller for a 21x21 target. Instead of
rescaling the rates, the ``paper`` recipe uses that loss itself (``loss="caffe-euclidean"``), so the
published 1e-4/1e-5 apply unchanged. Anyone porting it to ``loss="mse"`` multiplies every rate by
``label_size**2 / 2`` (220.5 for 21x21). Had the data been on [0, 255], no single factor would do:
the loss grows by 255² but each layer's gradient scales differently (inputs and activations grow by
255 too), which is one more reason to keep the data and the loss as the authors had them. Adam is
invariant to a constant loss scale (up to its epsilon), so Adam recipes just use ``mse``.

Budgets and schedules
---------------------
A :class:`Budget` counts ``steps`` (optimizer updates), ``epochs`` (passes over the patch set,
converted to steps with the set's size) or ``minutes`` (wall-clock time of the training loop). The
learning rate of every layer is its base rate times ``schedule`` evaluated at the run's progress
in [0, 1]: step / total steps, or elapsed / budgeted time for ``minutes``. Step and epoch budgets
are bit-reproducible on the CPU for a given seed; a time budget is not (how far a run gets depends
on the machine), and the number of steps it made is recorded with the model.
"""
from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sr_audit.augment import AUGMENTATIONS
from sr_audit.crops import RandomCrops
from sr_audit.errors import SpecError
from sr_audit.init import SKIPS
from sr_audit.mixed import TRAIN_PRECISIONS
from sr_audit.model import PADDINGS, SRCNNConfig
from sr_audit.patches import PatchSettings
from sr_audit.published import PAPER_FIGURES, Pipeline, ReportedFigure, TrainingData

#: Optimizers: name -> what it is (``momentum`` is SGD's momentum or Adam's beta1).
OPTIMIZERS: dict[str, str] = {
    "sgd": "torch.optim.SGD with heavy-ball momentum (Caffe's update rule)",
    "adam": "torch.optim.Adam, betas (momentum, beta2)",
}

#: Losses: name -> definition over a batch of B targets.
LOSSES: dict[str, str] = {
    "mse": "mean over the batch and all target pixels of (output - target)² (torch.nn.MSELoss)",
    "l1": "mean over the batch and all target pixels of |output - target| (torch.nn.L1Loss)",
    "caffe-euclidean": "sum over all target pixels of (output - target)², divided by 2B (Caffe EuclideanLoss, the paper)",
}

#: Initialisations: name -> what it draws (fan_in = input channels x f x f of the layer).
INITS: dict[str, str] = {
    "gaussian": "weights from N(0, init_std²) (paper: 0.001), biases 0",
    "he": "weights from N(0, 2/fan_in) for the ReLU layers and N(0, 1/fan_in) for the last (He et al. 2015), biases 0",
    "glorot-uniform": "weights from U(-a, a), a = sqrt(6 / (fan_in + fan_out)), biases 0 (Keras Conv2D default)",
    "torch-default": "weights and biases from U(-b, b), b = 1/sqrt(fan_in) (torch.nn.Conv2d's own initialisation)",
}

#: Learning-rate schedules: name -> factor applied to the base rates at progress p in [0, 1].
SCHEDULES: dict[str, str] = {
    "constant": "1 (after the warm-up)",
    "cosine": "final + (1 - final)(1 + cos(pi q))/2, q the progress after the warm-up (Loshchilov & Hutter 2017)",
}

#: Budget units.
BUDGET_UNITS: dict[str, str] = {
    "steps": "optimizer updates",
    "epochs": "passes over the patch set, in all orientations with augmentation (rounded up to whole batches)",
    "minutes": "wall-clock minutes of the training loop (not bit-reproducible)",
}


@dataclass(frozen=True)
class Budget:
    """How long to train: ``value`` ``unit`` (a key of :data:`BUDGET_UNITS`).

    >>> Budget("minutes", 15).seconds
    900.0
    """

    unit: str
    value: float

    def __post_init__(self) -> None:
        if self.unit not in BUDGET_UNITS:
            raise SpecError(f"budget unit {self.unit!r} is not one of: {', '.join(BUDGET_UNITS)}")
        if isinstance(self.value, bool) or not isinstance(self.value, (int, float)) or not (
            math.isfinite(self.value) and self.value > 0
        ):
            raise SpecError(f"a budget of {self.unit} must be a positive finite number, got {self.value!r}")
        if self.unit == "steps" and int(self.value) != self.value:
            raise SpecError(f"a budget of steps must be a whole number, got {self.value!r}")

    @property
    def seconds(self) -> float | None:
        """The time budget in seconds, None for step and epoch budgets."""
        return 60.0 * self.value if self.unit == "minutes" else None

    def total_steps(self, num_patches: int, batch_size: int) -> int | None:
        """Steps of a step or epoch budget for a patch set of ``num_patches``; None for time budgets."""
        if self.unit == "steps":
            return int(self.value)
        if self.unit == "epochs":
            return max(1, math.ceil(self.value * num_patches / batch_size))
        return None

    def __str__(self) -> str:
        return f"{self.value:g} {self.unit}"


def _positive(value: Any, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (math.isfinite(value) and value > 0):
        raise SpecError(f"recipe {name} must be a positive finite number, got {value!r}")


def _non_negative(value: Any, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (math.isfinite(value) and value >= 0):
        raise SpecError(f"recipe {name} must be a finite number >= 0, got {value!r}")


def _optional_count(value: Any, name: str, what: str) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise SpecError(f"recipe {name} must be null or {what}, got {value!r}")


def _fraction(value: Any, name: str, upper_open: bool = False) -> None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= 1
    if not ok or (upper_open and value == 1):
        raise SpecError(f"recipe {name} must be a number in [0, 1{')' if upper_open else ']'}, got {value!r}")


def _choice(value: Any, table: Mapping[str, str], name: str) -> None:
    if value not in table:
        raise SpecError(f"recipe {name} {value!r} is not one of: {', '.join(table)}")


@dataclass(frozen=True)
class Recipe:
    """Everything about a training run except data, degradation and seed.

    Attributes
    ----------
    name : str
        Registry name.
    description : str
        One line: where the recipe comes from and what it is for.
    model : str
        Filter sizes, ``"9-1-5"``-style (:meth:`SRCNNConfig.from_name`).
    channels : int
        1 (Y, paper) or 3 (RGB).
    padding : str
        Padding while training, a key of :data:`sr_audit.model.PADDINGS`; ``valid`` (paper) trains
        on the window centres, ``same-*`` on whole windows.
    eval_padding : str
        Padding of the saved model, i.e. how it runs on whole images; the authors ran their
        ``valid``-trained networks with ``same-replicate`` (MATLAB ``imfilter(..., 'replicate')``).
    patch : PatchSettings or RandomCrops
        How training samples are drawn: the paper's grid of windows (:class:`PatchSettings`, size
        and stride, cut once) or random crops drawn anew every epoch (:class:`RandomCrops`, see
        :mod:`sr_audit.crops`).
    batch_size : int
        Windows per optimizer step.
    optimizer : str
        Key of :data:`OPTIMIZERS`.
    lr : (float, float, float)
        Base learning rates of conv1, conv2 and conv3 (weights and biases alike).
    momentum : float
        SGD momentum, or Adam's beta1.
    beta2 : float
        Adam's beta2 (ignored by SGD).
    weight_decay : float
        L2 penalty (coupled, as in both optimizers' ``weight_decay``).
    loss : str
        Key of :data:`LOSSES`.
    init : str
        Key of :data:`INITS`.
    init_std : float
        Standard deviation of the ``gaussian`` init.
    schedule : str
        Key of :data:`SCHEDULES`.
    warmup : float
        Fraction of the budget over which the rates rise linearly from 0, in [0, 1).
    final_lr : float
        Factor the ``cosine`` schedule ends at, in [0, 1].
    budget : Budget
        Default budget; the command line's ``--steps``/``--epochs``/``--minutes`` replace it.
    n1, n2 : int
        Feature maps after layers 1 and 2 (paper: 64, 32).
    pipeline : Pipeline or None
        The published data pipeline (default degradation, scale and training data,
        :class:`~sr_audit.published.Pipeline`); None for recipes that are only a way to train.
    reported : tuple of ReportedFigure
        Results the recipe's source publishes (:class:`~sr_audit.published.ReportedFigure`).
    centre : bool
        Train on inputs and targets minus the training set's mean input (per channel), then fold
        that mean into the biases of conv1 and conv3 (:func:`sr_audit.model.fold_input_mean`), so
        the saved model is a plain SRCNN computing the same function on raw inputs. Off in the
        paper. Only with ``valid`` or ``same-replicate`` padding (zero padding does not commute
        with the shift).
    augment : str
        Key of :data:`sr_audit.augment.AUGMENTATIONS`: ``none`` (paper) or ``dihedral`` (every
        window in its 8 orientations; an epoch covers all of them).
    skip : str
        Key of :data:`sr_audit.init.SKIPS`: ``none`` (paper), ``identity`` (the network starts as
        the identity on its input: residual learning inside a plain SRCNN) or ``identity-frozen``
        (that path kept fixed while the other maps learn the residual). Needs ``n1`` and ``n2``
        above ``channels``.
    average : float
        Decay ``d`` of an exponential moving average of the parameters, in [0, 1): after every
        step ``avg = d * avg + (1 - d) * params`` (from the initial parameters); evaluations and the
        saved model use the average. 0 (paper) uses the last step's parameters.
    whiten : float
        0 (paper): conv1 trained as it is. ``e > 0``: conv1 trained in whitened input coordinates,
        ``W = V (M + e·mean(λ) I)^(-1/2)`` with ``M`` the second moment of the training inputs'
        conv1-sized patches (:mod:`sr_audit.whiten`); the saved model is a plain SRCNN holding ``W``.
    lr_at_scale : int or None
        None (paper): the rates ``lr`` at every SR scale. An integer ``k``: ``lr`` are the rates at
        ×k, and training at ×s uses ``lr * k / s`` (:meth:`rates`): rates inversely proportional
        to the scale.
    precision : str
        Key of :data:`sr_audit.mixed.TRAIN_PRECISIONS`: ``float32`` (paper) or ``bfloat16``
        (autocast where the device computes bfloat16 natively, float32 elsewhere; the run records
        which). The saved model is float32 either way.
    horizon : int or None
        None (paper): the schedule spans the whole budget. An integer ``N``: it spans at most ``N``
        steps; a longer budget (or a time budget that makes more steps) runs warm-up and decay over
        the first ``N`` steps and trains on at ``final_lr`` (:meth:`lr_factor`). For rates tuned to
        a short budget that are unstable when held longer.

    Notes
    -----
    The network space follows ``channels`` (:attr:`space`). :meth:`as_dict` leaves out the fields
    of :data:`LATER_FIELDS` while they hold their defaults, so the dict of a recipe that does not
    use them, and every store key that hashes it, is the one written before they existed.
    """

    name: str
    description: str
    model: str = "9-1-5"
    channels: int = 1
    padding: str = "valid"
    eval_padding: str = "same-replicate"
    patch: PatchSettings | RandomCrops = field(default_factory=PatchSettings)
    batch_size: int = 128
    optimizer: str = "sgd"
    lr: tuple[float, float, float] = (1e-4, 1e-4, 1e-5)
    momentum: float = 0.9
    beta2: float = 0.999
    weight_decay: float = 0.0
    loss: str = "caffe-euclidean"
    init: str = "gaussian"
    init_std: float = 0.001
    schedule: str = "constant"
    warmup: float = 0.0
    final_lr: float = 0.0
    budget: Budget = field(default_factory=lambda: Budget("epochs", 1))
    n1: int = 64
    n2: int = 32
    pipeline: Pipeline | None = None
    reported: tuple[ReportedFigure, ...] = ()
    centre: bool = False
    augment: str = "none"
    skip: str = "none"
    average: float = 0.0
    whiten: float = 0.0
    lr_at_scale: int | None = None
    precision: str = "float32"
    horizon: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise SpecError(f"recipe name must be a non-empty string, got {self.name!r}")
        if not isinstance(self.patch, (PatchSettings, RandomCrops)):
            raise SpecError(
                f"recipe patch must be PatchSettings(size, stride) or RandomCrops(crop_size, center_crop), got {self.patch!r}"
            )
        self.patch.label_size(self.model_config.shrink)  # also checks model, n1, n2, channels and padding
        if self.pipeline is not None and not isinstance(self.pipeline, Pipeline):
            raise SpecError(f"recipe pipeline must be a Pipeline or None, got {self.pipeline!r}")
        if not isinstance(self.reported, tuple) or not all(isinstance(f, ReportedFigure) for f in self.reported):
            raise SpecError(f"recipe reported must be a tuple of ReportedFigure, got {self.reported!r}")
        _choice(self.eval_padding, PADDINGS, "eval_padding")
        if isinstance(self.batch_size, bool) or not isinstance(self.batch_size, int) or self.batch_size < 1:
            raise SpecError(f"recipe batch_size must be a positive integer, got {self.batch_size!r}")
        _choice(self.optimizer, OPTIMIZERS, "optimizer")
        if not isinstance(self.lr, tuple) or len(self.lr) != 3:
            raise SpecError(f"recipe lr must be three learning rates (conv1, conv2, conv3), got {self.lr!r}")
        for i, rate in enumerate(self.lr, 1):
            _positive(rate, f"lr of conv{i}")
        _fraction(self.momentum, "momentum", upper_open=True)
        _fraction(self.beta2, "beta2", upper_open=True)
        _non_negative(self.weight_decay, "weight_decay")
        _choice(self.loss, LOSSES, "loss")
        _choice(self.init, INITS, "init")
        _positive(self.init_std, "init_std")
        _choice(self.schedule, SCHEDULES, "schedule")
        _fraction(self.warmup, "warmup", upper_open=True)
        _fraction(self.final_lr, "final_lr")
        if not isinstance(self.budget, Budget):
            raise SpecError(f"recipe budget must be a Budget(unit, value), got {self.budget!r}")
        if not isinstance(self.centre, bool):
            raise SpecError(f"recipe centre must be true or false, got {self.centre!r}")
        _choice(self.augment, AUGMENTATIONS, "augment")
        _choice(self.skip, SKIPS, "skip")
        _fraction(self.average, "average", upper_open=True)
        _non_negative(self.whiten, "whiten")
        _choice(self.precision, TRAIN_PRECISIONS, "precision")
        _optional_count(self.lr_at_scale, "lr_at_scale", "a positive integer scale")
        _optional_count(self.horizon, "horizon", "a positive number of steps")
        if self.skip != "none" and min(self.n1, self.n2) <= self.channels:
            raise SpecError(
                f"recipe skip {self.skip!r} carries the input through {self.channels} map(s) of conv1 and conv2, "
                f"so n1 and n2 must exceed {self.channels}, got {self.n1} and {self.n2}"
            )
        if self.centre and "same-zero" in (self.padding, self.eval_padding):
            raise SpecError(
                "recipe centre needs valid or same-replicate padding (a mean folded into the biases is exact only "
                "where no zeros are padded); set padding and eval_padding to one of those, or centre to false"
            )

    @property
    def model_config(self) -> SRCNNConfig:
        """The :class:`SRCNNConfig` trained (with the training padding)."""
        _choice(self.padding, PADDINGS, "padding")
        return SRCNNConfig.from_name(self.model, n1=self.n1, n2=self.n2, channels=self.channels, padding=self.padding)

    @property
    def space(self) -> str:
        """What the network sees: ``y`` for 1 channel, ``rgb`` for 3 (a key of :data:`sr_audit.degradation.SPACES`)."""
        return "y" if self.channels == 1 else "rgb"

    def default_train_data(self) -> str | None:
        """The training set of the recipe's pipeline (None without a pipeline).

        Raises
        ------
        SpecError
            The pipeline's data is not shipped with sr-audit: the user must name a folder.
        """
        if self.pipeline is None:
            return None
        data = self.pipeline.data
        if not data.shipped:
            raise SpecError(
                f"recipe {self.name!r} trains on {data.name}, which sr-audit does not ship: pass --data FOLDER"
                + (f" ({data.note})" if data.note else "")
            )
        return data.name

    @property
    def eval_config(self) -> SRCNNConfig:
        """The :class:`SRCNNConfig` of the saved model (with ``eval_padding``)."""
        return dataclasses.replace(self.model_config, padding=self.eval_padding)

    def rates(self, scale: int | None = None) -> tuple[float, float, float]:
        """Base learning rates (conv1, conv2, conv3) for training at SR ``scale``: ``lr``, times
        ``lr_at_scale / scale`` when ``lr_at_scale`` is set (which then needs the scale).

        >>> get_recipe("sprint").rates(2)
        (0.015, 0.015, 0.015)
        """
        if self.lr_at_scale is None:
            return self.lr
        if scale is None:
            raise SpecError(
                f"recipe {self.name!r} sets its learning rates by the SR scale (lr_at_scale {self.lr_at_scale}); "
                "give the scale of the training data"
            )
        return tuple(rate * self.lr_at_scale / scale for rate in self.lr)  # type: ignore[return-value]

    def lr_factor(self, progress: float, step: int = 0) -> float:
        """Factor on the base rates at ``progress`` in [0, 1] of the budget (:data:`SCHEDULES`),
        ``step`` steps into the run; with a ``horizon`` the schedule's progress is the larger of
        ``progress`` and ``step / horizon``.

        >>> r = get_recipe("paper")
        >>> r.lr_factor(0.0), r.lr_factor(0.5)
        (1.0, 1.0)
        >>> s = get_recipe("sprint")
        >>> s.lr_factor(0.1, step=s.horizon) == s.lr_factor(1.0) == s.final_lr
        True
        """
        if self.horizon is not None:
            progress = max(progress, step / self.horizon)
        p = min(max(progress, 0.0), 1.0)
        if self.warmup > 0 and p < self.warmup:
            return p / self.warmup
        if self.schedule == "constant":
            return 1.0
        q = (p - self.warmup) / (1.0 - self.warmup)
        return self.final_lr + (1.0 - self.final_lr) * 0.5 * (1.0 + math.cos(math.pi * q))

    def replace(self, **changes: Any) -> "Recipe":
        """A copy with ``changes`` applied and checked (unknown field names are an error)."""
        unknown = sorted(set(changes) - {f.name for f in dataclasses.fields(self)})
        if unknown:
            raise SpecError(f"unknown recipe field(s) {', '.join(unknown)}; fields: {', '.join(_FIELD_NAMES)}")
        return dataclasses.replace(self, **changes)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dict; :meth:`from_dict` reads it back. Fields of :data:`LATER_FIELDS` at their
        defaults are left out (class notes)."""
        d = dataclasses.asdict(self)
        d["lr"] = list(self.lr)
        d["reported"] = [dataclasses.asdict(f) for f in self.reported]
        return {k: v for k, v in d.items() if k not in LATER_FIELDS or getattr(self, k) != LATER_FIELDS[k]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Recipe":
        """A recipe from plain data, e.g. ``{"name": ..., "lr": [1e-3, 1e-3, 1e-4], "patch": {"size": 33,
        "stride": 14}, "budget": {"unit": "minutes", "value": 15}}``. Unknown keys are an error.

        >>> Recipe.from_dict(get_recipe("fast").as_dict()) == get_recipe("fast")
        True
        """
        if not isinstance(data, Mapping):
            raise SpecError(f"a recipe must be a mapping of field names to values, got {type(data).__name__}")
        unknown = sorted(set(data) - set(_FIELD_NAMES))
        if unknown:
            raise SpecError(f"unknown recipe key(s) {', '.join(unknown)}; keys: {', '.join(_FIELD_NAMES)}")
        values = dict(data)
        patch = values.get("patch")
        if isinstance(patch, Mapping):
            values["patch"] = _nested(RandomCrops if "crop_size" in patch else PatchSettings, patch, "patch")
        if isinstance(values.get("budget"), Mapping):
            values["budget"] = _nested(Budget, values["budget"], "budget")
        pipeline = values.get("pipeline")
        if isinstance(pipeline, Mapping):
            pipeline = dict(pipeline)
            if isinstance(pipeline.get("data"), Mapping):
                pipeline["data"] = _nested(TrainingData, pipeline["data"], "pipeline data")
            values["pipeline"] = _nested(Pipeline, pipeline, "pipeline")
        if isinstance(values.get("reported"), list):
            values["reported"] = tuple(_nested(ReportedFigure, f, "reported figure") for f in values["reported"])
        if "lr" in values and isinstance(values["lr"], list):
            values["lr"] = tuple(values["lr"])
        try:
            return cls(**values)
        except TypeError as exc:  # a missing required field
            raise SpecError(f"incomplete recipe: {exc}") from None


_FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(Recipe))

#: Fields added after the first recipe format, with the defaults :meth:`Recipe.as_dict` leaves out.
LATER_FIELDS: dict[str, Any] = {"n1": 64, "n2": 32, "pipeline": None, "reported": (), "centre": False, "augment": "none", "skip": "none", "average": 0.0, "whiten": 0.0, "lr_at_scale": None, "precision": "float32", "horizon": None}


def _nested(kind: type, value: Any, what: str) -> Any:
    """``kind(**value)`` for a mapping with only ``kind``'s field names; other values are left to the
    constructor's checks."""
    if not isinstance(value, Mapping):
        return value
    keys = [f.name for f in dataclasses.fields(kind)]
    extra = sorted(set(value) - set(keys))
    if extra:
        raise SpecError(f"unknown recipe {what} key(s) {', '.join(extra)}; keys: {', '.join(keys)}")
    try:
        return kind(**value)
    except TypeError as exc:  # a missing required field
        raise SpecError(f"incomplete recipe {what}: {exc}") from None


#: The SRCNN training set, found under the data root.
T91 = TrainingData("T91", shipped=True, note="the 91 images of Yang et al. 2010 used by SRCNN")


#: Source of the pytorch-pil figures.
PYTORCH_PIL_SOURCE = (
    "a PyTorch + Pillow SRCNN reimplementation (RGB 9-5-5, valid convolutions, LANCZOS down / BICUBIC up), "
    "figures as quoted in sr-audit issue 5; the repository was not identified, so the shave and rounding "
    "behind them are unknown"
)

#: Source of the div2k-small figures.
DIV2K_SMALL_SOURCE = (
    "a PyTorch SRCNN tutorial on DIV2K (x2, 224x224 crops of 800x800 centre crops, RGB 9-1-5 with padding), "
    "test PSNR and bicubic PSNR as quoted in sr-audit issue 5; tutorial not identified, test split assumed "
    "to be DIV2K's validation HR images"
)

#: sr-audit's default recipe (sprint below is this with eight changes of field).
_FAST = Recipe(
    name="fast",
    description="sr-audit's fast recipe for the CPU: Adam 1e-3 on every layer, He init, batches of 8, "
    "2% warm-up then cosine decay to 1% over the budget, 33/14 windows in their 8 orientations, inputs "
    "centred on the training mean (folded into the biases when saved), 9-1-5 valid; 8 epochs of T91 x3 "
    "(175k steps, about 15 minutes on 2 quiet CPU cores); tuning runs in benchmarks/README.md",
    optimizer="adam",
    lr=(1e-3, 1e-3, 1e-3),
    loss="mse",
    init="he",
    schedule="cosine",
    warmup=0.02,
    final_lr=0.01,
    batch_size=8,
    budget=Budget("epochs", 8),
    centre=True,
    augment="dihedral",
)

#: Registered recipes, by name. Add a published one by adding an entry.
RECIPES: dict[str, Recipe] = {
    r.name: r
    for r in (
        Recipe(
            name="paper",
            description="Dong et al. ECCV 2014 as released (Caffe): SGD momentum 0.9, lr 1e-4/1e-4/1e-5 on "
            "Caffe's Euclidean loss, N(0, 0.001²) init, batch 128, 33/14 windows, 9-1-5 valid; "
            "budget 8e8 back-propagated windows (the paper's figure) = 6.25M steps",
            budget=Budget("steps", 6_250_000),
            pipeline=Pipeline("matlab-legacy", "matlab-legacy", 3, "float", T91),
            reported=PAPER_FIGURES,
        ),
        _FAST,
        Recipe(
            name="quick",
            description="the CPU demo budget of `sr-audit matrix` with no arguments: Adam on batches of 32, "
            "1500 steps (a step budget, so reruns are bit-identical), same-replicate padding in training "
            "as in evaluation; enough for matched cells to beat bicubic, far from paper quality",
            optimizer="adam",
            lr=(3e-3, 3e-3, 3e-4),
            loss="mse",
            init="he",
            schedule="cosine",
            warmup=0.02,
            final_lr=0.01,
            batch_size=32,
            padding="same-replicate",
            budget=Budget("steps", 1500),
        ),
        Recipe(
            name="pytorch-pil",
            description="a PyTorch + Pillow reimplementation: RGB 9-5-5 valid, T91 degraded by Pillow LANCZOS down "
            "and BICUBIC up on 8-bit images, x3, Kaiming (He) init, SGD momentum 0.9 with lr 1e-3 (1e-4 on the "
            "last layer) on MSE, 150 epochs. Assumed where the source is silent: the paper's 33/14 windows on "
            "T91 and batches of 16 (the usual PyTorch ports); whole images run with replicate padding",
            model="9-5-5",
            channels=3,
            batch_size=16,
            lr=(1e-3, 1e-3, 1e-4),
            loss="mse",
            init="he",
            budget=Budget("epochs", 150),
            pipeline=Pipeline("pil:lanczos", "pil:bicubic", 3, "uint8", T91),
            reported=(
                ReportedFigure("Set5", 3, "rgb", 29.55, PYTORCH_PIL_SOURCE),
                ReportedFigure("Set5", 3, "y", 31.45, PYTORCH_PIL_SOURCE),
                ReportedFigure("Set14", 3, "rgb", 26.40, PYTORCH_PIL_SOURCE),
                ReportedFigure("Set14", 3, "y", 28.39, PYTORCH_PIL_SOURCE),
            ),
        ),
        Recipe(
            name="tf-crops",
            description="a TensorFlow/Keras pipeline: RGB, a random 128x128 crop per image and epoch, "
            "tf.image.resize with its default bilinear (no antialias) down and bicubic up in float, x2, Conv2D "
            "9-1-5 'same' (zero padding) with 64 and 64 maps, Keras' Glorot-uniform init, Adam 1e-3 on MSE. "
            "Assumed where the source is silent: T91 as training set (images under 128 px are left out), "
            "batches of 16, 200 epochs; no figure published",
            n2=64,
            channels=3,
            padding="same-zero",
            eval_padding="same-zero",
            patch=RandomCrops(128),
            batch_size=16,
            optimizer="adam",
            lr=(1e-3, 1e-3, 1e-3),
            loss="mse",
            init="glorot-uniform",
            budget=Budget("epochs", 200),
            pipeline=Pipeline("tf:bilinear", "tf:bicubic", 2, "float", T91),
        ),
        Recipe(
            name="div2k-small",
            description="a PyTorch DIV2K tutorial: x2, each image cut to its central 800x800, then a random "
            "224x224 crop per image and epoch, RGB 9-1-5 with zero padding, torch's default init; needs the "
            "DIV2K training images (not shipped). Assumed where the source is silent: Pillow bicubic down and "
            "up on 8-bit images (torchvision's Resize), Adam 1e-3 on MSE, batches of 16, 100 epochs",
            channels=3,
            padding="same-zero",
            eval_padding="same-zero",
            patch=RandomCrops(224, center_crop=800),
            batch_size=16,
            optimizer="adam",
            lr=(1e-3, 1e-3, 1e-3),
            loss="mse",
            init="torch-default",
            budget=Budget("epochs", 100),
            pipeline=Pipeline(
                "pil",
                "pil",
                2,
                "uint8",
                TrainingData(
                    "DIV2K_train_HR",
                    shipped=False,
                    note="the 800 DIV2K training images, DIV2K_train_HR.zip from https://data.vision.ee.ethz.ch/cvl/DIV2K/",
                ),
            ),
            reported=(ReportedFigure("DIV2K_valid_HR", 2, "rgb", 26.44, DIV2K_SMALL_SOURCE, bicubic_psnr=23.23),),
        ),
        Recipe(
            name="pytorch-adam",
            description="the training of the most popular PyTorch SRCNN reimplementation, as sr-audit issue 12 "
            "sums it up: Y, 9-5-5 with zero padding (whole 33x33 windows as targets), Pillow bicubic down and up "
            "on 8-bit images, x3, Adam 1e-4 on MSE, batches of 16. Assumed where the issue is silent: the "
            "paper's 33/14 windows on T91, one tenth of the rate on the last layer, torch's default init, no "
            "schedule, 400 epochs; no figure quoted. benchmarks/train_quality.py races it against sprint",
            model="9-5-5",
            padding="same-zero",
            eval_padding="same-zero",
            batch_size=16,
            optimizer="adam",
            lr=(1e-4, 1e-4, 1e-5),
            loss="mse",
            init="torch-default",
            budget=Budget("epochs", 400),
            pipeline=Pipeline("pil", "pil", 3, "uint8", T91),
        ),
        _FAST.replace(
            name="sprint",
            description="sr-audit's short-budget recipe (issue 12): fast's Adam, He init, 2% warm-up then cosine to "
            "1%, centring and 8 orientations, with a frozen identity path (skip identity-frozen: the other maps "
            "learn HR minus the input, inside a plain SRCNN), conv1 trained in whitened input coordinates "
            "(whiten 10, sr_audit.whiten), batches of 16 at 1e-2 x 3/scale on every layer (lr_at_scale 3: 1.5e-2 "
            "at x2, 7.5e-3 at x4) and bfloat16 arithmetic where the CPU has it natively (sr_audit.mixed); 5,000 "
            "steps (80k windows, 29 s on the 2-core AMD EPYC dev VM at 2,765 windows/s with 2 threads), where "
            "T91 reaches the paper's 9-1-5 figures at x2, x3 and x4 with both of two seeds. The schedule spans "
            "at most 6,000 steps (horizon): held longer, these rates kill the ReLUs (a 5-minute x2 run fell back "
            "to bicubic), so a longer budget trains on at the final rate; for budgets of minutes use fast. Runs "
            "in benchmarks/README.md",
            batch_size=16,
            lr=(1e-2, 1e-2, 1e-2),
            lr_at_scale=3,
            budget=Budget("steps", 5_000),
            skip="identity-frozen",
            whiten=10.0,
            precision="bfloat16",
            horizon=6_000,
        ),
    )
}


def recipe_names() -> list[str]:
    """Names of :data:`RECIPES`."""
    return list(RECIPES)


def get_recipe(name: str | Recipe) -> Recipe:
    """The registered recipe ``name`` (a :class:`Recipe` is returned as is); unknown names list the known ones."""
    if isinstance(name, Recipe):
        return name
    try:
        return RECIPES[name]
    except (KeyError, TypeError):
        raise SpecError(f"unknown recipe {name!r}; recipes: {', '.join(RECIPES)}") from None


def load_recipe(recipe: str | Recipe) -> Recipe:
    """A :class:`Recipe`, a registered recipe name, or a ``.json`` file of a recipe as plain data."""
    if isinstance(recipe, str) and recipe.strip().lower().endswith(".json"):
        path = Path(recipe.strip())
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise SpecError(f"cannot read recipe file {path}: {exc.strerror}; check the path") from None
        except ValueError as exc:
            raise SpecError(f"recipe file {path} is not valid JSON ({exc}); fix the file") from None
        return Recipe.from_dict(data)
    return get_recipe(recipe)
