"""SRCNN training: a fast loop over a resident patch set, checkpoints, resume, divergence guard.

Two entry points:

* :func:`train_patches` trains on a :class:`~sr_audit.patches.PatchSet` (fixed windows) or a
  :class:`~sr_audit.crops.CropSource` (images to draw random crops from); everything about the
  data is the caller's.
* :func:`train_model` is what ``sr-audit train`` and the matrix runner call: it degrades the
  training images through the cache (:func:`prepare_samples`, as the recipe's ``patch`` says),
  trains, evaluates and saves the final model with :func:`sr_audit.weights.save_model` and full
  metadata.

The loop
--------
The whole training set lives on the training device as tensors. Each step takes the next
``batch_size`` indices of a random permutation (drawn per epoch from a seeded ``torch.Generator``
on the CPU) and gathers the batch by indexing: the windows of those indices, or one random crop of
each of those images (its corner drawn from the same generator, :mod:`sr_audit.crops`); then
forward, loss, backward and the optimizer. There is no ``DataLoader`` and no per-sample Python
work. An epoch is ``len(samples) // batch_size`` steps, ``len`` being the number of windows or of
images (the last incomplete batch of a permutation is dropped, so every step has the same
shape). Model and batches use the ``channels_last`` memory format, which oneDNN runs about 1.8x
faster on the CPU for SRCNN's shapes (``benchmarks/train_speed.py``); ``torch.compile`` was
measured slower on the CPU and is not used. Neither function tunes the C allocator of
the process (:mod:`sr_audit.allocator`): the commands do, and :func:`train_model` records whether
it was in effect. The thread count is torch's
(``torch.set_num_threads``; ``sr-audit train --threads``).

With a recipe's ``augment="dihedral"`` the permutation runs over every (window, orientation) pair
and each batch is turned into its orientations by one gather (:mod:`sr_audit.augment`).

A recipe's ``skip`` writes an identity path into the initial network (:mod:`sr_audit.init`);
with ``identity-frozen`` its entries are put back after every optimizer step. With ``average``, a
moving average of the parameters is updated after every step (and kept in checkpoints);
evaluations and the returned model use it instead of the last step's parameters.

Centring
--------
A recipe with ``centre`` subtracts the training inputs' mean (per channel, over all windows or
images) from every batch's inputs and targets. The network then starts from data whose mean no
longer dominates the first layer's Hessian, and Adam converges markedly faster on SRCNN (the
``fast`` recipe; benchmarks/README.md). Evaluations during training and the returned model use
:func:`sr_audit.model.fold_input_mean`, so what is scored and saved is an ordinary SRCNN on raw
inputs; checkpoints hold the unfolded training weights.

Reproducibility
---------------
Initialisation, batch order and crop corners come from one generator seeded with ``seed``, so a
run on the CPU with a step or epoch budget is bit-reproducible for a given seed and thread count.
A checkpoint (``checkpoint.pt`` in the checkpoint folder, written atomically) holds the model, the
optimizer state, the generator state, the current permutation and position, the step and the
clock, so a run resumed from it continues bit-identically to an uninterrupted one. Checkpoints are
written every ``checkpoint_every`` (and at the end), always right after the loss of every step so
far was checked, so the last checkpoint is never a diverged model.

CUDA
----
On CUDA the same loop runs with the data resident in GPU memory. TF32 and automatic mixed
precision are off by default (torch enables TF32 for cuDNN convolutions by default; training turns
it off unless ``tf32=True``): neither was measured against the 0.01 dB tolerance on a GPU yet.
``deterministic=True`` selects deterministic cuDNN algorithms (slower); on the CPU runs are
deterministic anyway.
"""
from __future__ import annotations

import contextlib
import copy
import dataclasses
import io
import json
import math
import os
import platform
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from sr_audit import whiten
from sr_audit.allocator import freed_memory_retained
from sr_audit.augment import ORIENTATIONS, dihedral
from sr_audit.datasets import Dataset, ImageRecord
from sr_audit.degradation import Degradation
from sr_audit.device import resolve_device
from sr_audit.errors import DataError, SpecError, SrAuditError
from sr_audit.evaluation import environment, evaluate
from sr_audit.io_util import atomic_write_bytes
from sr_audit.mixed import MixedForward, training_precision
from sr_audit.init import IdentityPath
from sr_audit.model import SRCNN, fold_input_mean
from sr_audit.crops import CropSource, RandomCrops, prepare_crops
from sr_audit.patches import PatchSet, cache_record, prepare_patches
from sr_audit.protocol import SPACES as METRIC_SPACES
from sr_audit.protocol import Protocol, get_protocol
from sr_audit.recipes import Budget, Recipe, get_recipe
from sr_audit.weights import read_torch_file, save_model

#: ``format`` field of training-state checkpoints.
STATE_FORMAT = "sr-audit-train-state/1"

#: File names inside a checkpoint folder.
STATE_FILE = "checkpoint.pt"
MODEL_FILE = "model.pt"

#: A step whose loss exceeds this multiple of the first step's loss counts as divergence.
EXPLOSION_FACTOR = 100.0


class TrainingDivergedError(SrAuditError, RuntimeError):
    """The loss became NaN/inf or exploded; the last good checkpoint is kept."""


class ProgressInfo(NamedTuple):
    """What the loop reports every ``log_every`` steps (and after each evaluation)."""

    step: int
    epoch: int
    progress: float
    loss: float
    lr_factor: float
    train_seconds: float
    psnr: float | None


@dataclass(frozen=True)
class TrainOptions:
    """Run-time settings that do not change what is learned (except ``tf32`` on CUDA; the
    arithmetic of training is the recipe's ``precision``, :mod:`sr_audit.mixed`).

    Attributes
    ----------
    checkpoint_every : Budget
        Cadence of checkpoints and evaluations, in steps, epochs or minutes of training time.
    log_every : int
        Steps between loss checks and progress reports; on CUDA each check synchronises.
    progress : bool
        Show a tqdm bar with the loss and the last evaluation.
    deterministic : bool
        CUDA only: deterministic cuDNN algorithms instead of the fastest (``cudnn.benchmark``).
    tf32 : bool
        CUDA only: allow TF32 in convolutions and matmuls. Off by default (unmeasured).
    """

    checkpoint_every: Budget = field(default_factory=lambda: Budget("minutes", 2))
    log_every: int = 25
    progress: bool = True
    deterministic: bool = False
    tf32: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.checkpoint_every, Budget):
            raise SpecError(f"checkpoint_every must be a Budget, got {self.checkpoint_every!r}")
        if isinstance(self.log_every, bool) or not isinstance(self.log_every, int) or self.log_every < 1:
            raise SpecError(f"log_every must be a positive integer, got {self.log_every!r}")


class TrainResult(NamedTuple):
    """A trained model (on the CPU, eval mode) and the JSON-ready metadata saved with it."""

    model: SRCNN
    metadata: dict[str, Any]


def init_model(model: SRCNN, recipe: Recipe, generator: torch.Generator) -> None:
    """Draw ``model``'s parameters as the recipe's ``init`` says (:data:`sr_audit.recipes.INITS`), from
    ``generator``, layer by layer, weights before biases (in float64, then cast); then write the
    identity path of a recipe's ``skip`` over them (:mod:`sr_audit.init`)."""
    convs = (model.conv1, model.conv2, model.conv3)

    def uniform(shape: torch.Size, bound: float) -> torch.Tensor:
        return (torch.rand(shape, generator=generator, dtype=torch.float64) * 2.0 - 1.0) * bound

    with torch.no_grad():
        for i, conv in enumerate(convs):
            area = conv.kernel_size[0] * conv.kernel_size[1]
            fan_in, fan_out = conv.in_channels * area, conv.out_channels * area
            conv.bias.zero_()
            if recipe.init == "gaussian":
                conv.weight.copy_(torch.randn(conv.weight.shape, generator=generator, dtype=torch.float64) * recipe.init_std)
            elif recipe.init == "he":  # ReLU gain on the first two layers, linear on the last
                std = math.sqrt((2.0 if i < 2 else 1.0) / fan_in)
                conv.weight.copy_(torch.randn(conv.weight.shape, generator=generator, dtype=torch.float64) * std)
            elif recipe.init == "glorot-uniform":
                conv.weight.copy_(uniform(conv.weight.shape, math.sqrt(6.0 / (fan_in + fan_out))))
            else:  # "torch-default"
                conv.weight.copy_(uniform(conv.weight.shape, 1.0 / math.sqrt(fan_in)))
                conv.bias.copy_(uniform(conv.bias.shape, 1.0 / math.sqrt(fan_in)))
    if recipe.skip != "none":
        IdentityPath.of(model).install(model)


def make_optimizer(model: SRCNN, recipe: Recipe, conv1_weight: torch.Tensor | None = None,
                   scale: int | None = None) -> torch.optim.Optimizer:
    """The recipe's optimizer with one parameter group per layer (base rates in ``initial_lr``:
    :meth:`~sr_audit.recipes.Recipe.rates` at ``scale``).

    The parameters must already be on their training device (fused optimizers run where they are).
    ``conv1_weight`` replaces conv1's weight (a whitened recipe's ``V``, :mod:`sr_audit.whiten`).
    """
    rates = recipe.rates(scale)
    params = [list(conv.parameters()) for conv in (model.conv1, model.conv2, model.conv3)]
    if conv1_weight is not None:
        params[0] = [conv1_weight, model.conv1.bias]
    groups = [{"params": p, "lr": lr, "initial_lr": lr} for p, lr in zip(params, rates)]
    # fused: one kernel for all parameters (a quarter of the for-loop's time per step on the CPU)
    if recipe.optimizer == "sgd":
        return torch.optim.SGD(
            groups, lr=rates[0], momentum=recipe.momentum, weight_decay=recipe.weight_decay, fused=True
        )
    return torch.optim.Adam(
        groups, lr=rates[0], betas=(recipe.momentum, recipe.beta2), weight_decay=recipe.weight_decay, fused=True
    )


def loss_function(recipe: Recipe) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """``(output, target) -> scalar`` for the recipe's ``loss`` (:data:`sr_audit.recipes.LOSSES`)."""
    if recipe.loss == "mse":
        return F.mse_loss
    if recipe.loss == "l1":
        return F.l1_loss

    def caffe_euclidean(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return (output - target).square().sum() / (2 * output.shape[0])

    return caffe_euclidean


@contextlib.contextmanager
def _cuda_flags(device: torch.device, options: TrainOptions) -> Iterator[None]:
    """Set cuDNN/TF32 flags for the run and restore them afterwards (no-op on the CPU)."""
    if device.type != "cuda":
        yield
        return
    b = torch.backends
    saved = (b.cudnn.benchmark, b.cudnn.deterministic, b.cudnn.allow_tf32, b.cuda.matmul.allow_tf32)
    b.cudnn.benchmark, b.cudnn.deterministic = not options.deterministic, options.deterministic
    b.cudnn.allow_tf32 = b.cuda.matmul.allow_tf32 = options.tf32
    try:
        yield
    finally:
        b.cudnn.benchmark, b.cudnn.deterministic, b.cudnn.allow_tf32, b.cuda.matmul.allow_tf32 = saved


def _save_state(path: Path, state: dict[str, Any]) -> None:
    buffer = io.BytesIO()
    torch.save(state, buffer)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, buffer.getvalue())


def load_state(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a training-state checkpoint written by :func:`train_patches`.

    Raises
    ------
    DataError
        Missing, unreadable, or not a training state.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no training checkpoint to resume; run without --resume to start a new run")
    state = read_torch_file(path, "an sr-audit training checkpoint")
    if not isinstance(state, dict) or state.get("format") != STATE_FORMAT:
        raise DataError(f"{path}: not an sr-audit training checkpoint (format {STATE_FORMAT!r} expected)")
    return state


class _Run:
    """Mutable state of one training run (everything a checkpoint holds)."""

    def __init__(self, model: SRCNN, optimizer: torch.optim.Optimizer, generator: torch.Generator, n: int) -> None:
        self.model, self.optimizer, self.generator, self.n = model, optimizer, generator, n
        self.step = 0
        self.epoch = 0
        self.pos = n  # forces a fresh permutation at the first step
        self.perm = torch.empty(0, dtype=torch.long)
        self.train_seconds = 0.0
        self.first_loss: float | None = None
        self.history: list[dict[str, float]] = []
        self.average: list[torch.Tensor] | None = None  # the recipe's running average of the parameters
        self.whitened: whiten.WhitenedConv1 | None = None  # conv1 trained in whitened coordinates

    def state(self, identity: str) -> dict[str, Any]:
        return {
            "format": STATE_FORMAT,
            "identity": identity,
            "step": self.step,
            "epoch": self.epoch,
            "pos": self.pos,
            "perm": self.perm.cpu(),
            "generator": self.generator.get_state(),
            "model": {k: v.detach().cpu().clone() for k, v in self.model.state_dict().items()},
            "optimizer": self.optimizer.state_dict(),
            "train_seconds": self.train_seconds,
            "first_loss": self.first_loss,
            "history": json.dumps(self.history),
            "average": None if self.average is None else [t.detach().cpu().clone() for t in self.average],
            "whitened": None if self.whitened is None else self.whitened.v.detach().cpu().clone(),
        }

    def restore(self, state: Mapping[str, Any], device: torch.device) -> None:
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.generator.set_state(state["generator"])
        self.step, self.epoch, self.pos = int(state["step"]), int(state["epoch"]), int(state["pos"])
        self.perm = state["perm"].to(device)
        self.train_seconds = float(state["train_seconds"])
        self.first_loss = state["first_loss"]
        self.history = json.loads(state["history"])
        if self.average is not None:
            for kept, saved in zip(self.average, state["average"]):
                kept.copy_(saved)
        if self.whitened is not None:
            with torch.no_grad():
                self.whitened.v.copy_(state["whitened"])


#: Training samples: the paper's fixed windows or random crops drawn every epoch.
TrainingSamples = PatchSet | CropSource


def _identity(recipe: Recipe, seed: int, budget: Budget, samples: TrainingSamples, data: Mapping[str, Any],
              scale: int | None) -> str:
    """What must match for a checkpoint to be resumed by this run, as canonical JSON (the scale too
    when it sets the rates)."""
    identity = {
        "recipe": recipe.as_dict(),
        "seed": seed,
        "budget": [budget.unit, budget.value],
        "patches": samples.identity(),
        "data": dict(data),
    }
    if recipe.lr_at_scale is not None:
        identity["scale"] = scale
    return json.dumps(identity, sort_keys=True)


def train_patches(
    patches: TrainingSamples,
    recipe: Recipe,
    *,
    seed: int = 0,
    device: torch.device | str = "cpu",
    budget: Budget | None = None,
    checkpoint_dir: str | os.PathLike[str] | None = None,
    resume: bool = False,
    evaluator: Callable[[SRCNN], float] | None = None,
    options: TrainOptions | None = None,
    data_identity: Mapping[str, Any] | None = None,
    on_progress: Callable[[ProgressInfo], None] | None = None,
    scale: int | None = None,
) -> tuple[SRCNN, dict[str, Any]]:
    """Train an SRCNN on a patch set or a crop source.

    Parameters
    ----------
    patches : PatchSet or CropSource
        Fixed windows, or images to draw random crops from (:mod:`sr_audit.crops`); targets are
        ``recipe.model_config.shrink`` pixels smaller than the inputs. An epoch is one pass over
        the windows, or one crop per image.
    recipe : Recipe
    seed : int
        Seeds initialisation, batch order and crop positions.
    device : torch.device or str
        Where the patch set, model and optimizer live (resolve ``"auto"`` with
        :func:`sr_audit.device.resolve_device` first).
    budget : Budget, optional
        Replaces ``recipe.budget``.
    checkpoint_dir : path, optional
        Folder of ``checkpoint.pt``; without it nothing is written.
    resume : bool
        Continue from ``checkpoint_dir/checkpoint.pt``, which must come from the same recipe,
        seed and data, and a budget in the same unit: the same budget continues the run (bit for
        bit on the CPU), a larger one extends it. An extended run's schedule is stretched to the new
        budget from the step it resumes at (the learning rate rises again under ``cosine``), so it
        is not the run a fresh start with that budget gives; the summary's
        ``budget_extended_from`` says so. Without ``resume`` an existing checkpoint is an error
        (never overwritten silently).
    evaluator : callable, optional
        ``model -> PSNR``, run at each checkpoint cadence and at the end (model in eval mode on the
        training device; its time does not count against a time budget).
    options : TrainOptions, optional
    data_identity : mapping, optional
        JSON-ready description of the data (image hashes, degradation, ...) that a resumed run
        must match.
    on_progress : callable, optional
        Called with a :class:`ProgressInfo` every ``options.log_every`` steps, after the loss
        check; an exception raised there stops the run (the last checkpoint stays).
    scale : int, optional
        SR scale of the samples; needed by a recipe whose rates follow the scale (``lr_at_scale``).

    Returns
    -------
    model : SRCNN
        Trained, on the CPU, in eval mode, with the recipe's training padding; for a ``centre``
        recipe the mean is folded in, so it runs on raw inputs like any SRCNN.
    summary : dict
        JSON-ready: steps, epochs, seconds, final loss, PSNR history, input mean subtracted (None
        without ``centre``), device, threads.

    Raises
    ------
    TrainingDivergedError
        Loss NaN/inf or above :data:`EXPLOSION_FACTOR` times the first step's loss.
    DataError
        A checkpoint that is missing, unreadable or from another run; a patch set that does not
        fit the recipe or has fewer windows than one batch.
    """
    options = options or TrainOptions()
    budget = budget or recipe.budget
    dev = torch.device(device)
    config = recipe.model_config
    if patches.shrink != config.shrink or patches.channels != config.channels:
        raise DataError(
            f"the training samples ({patches.channels} channels, targets {patches.shrink} px smaller) do not fit "
            f"recipe {recipe.name!r} (SRCNN {config.name} {config.padding}, {config.channels} channels, shrink "
            f"{config.shrink}); prepare the samples with the recipe's model"
        )
    windows, batch = len(patches), recipe.batch_size
    n = windows * ORIENTATIONS[recipe.augment]  # samples of an epoch (module notes of sr_audit.augment)
    steps_per_epoch = n // batch
    if steps_per_epoch == 0:
        oriented = f" ({n} in all orientations)" if n != windows else ""
        raise DataError(
            f"only {windows} {patches.sample_name}{oriented} for a batch of {batch}: use more images or a smaller batch_size"
        )
    total_steps = budget.total_steps(n, batch)
    seconds = budget.seconds
    autocast_dtype, precision = training_precision(recipe.precision, dev)
    state_path = Path(checkpoint_dir) / STATE_FILE if checkpoint_dir is not None else None
    identity = _identity(recipe, seed, budget, patches, data_identity or {}, scale)
    rates = recipe.rates(scale)  # before any work: a recipe whose rates follow the scale needs it

    data = patches.resident(dev)
    mean = data.input_mean() if recipe.centre else None
    shift = None if mean is None else torch.tensor(mean, dtype=torch.float32, device=dev)[None, :, None, None]
    generator = torch.Generator().manual_seed(seed)
    model = SRCNN(config)
    init_model(model, recipe, generator)
    model = model.to(dev, memory_format=torch.channels_last)
    setup_start = time.perf_counter()
    whitened = None
    if recipe.whiten:
        z = whiten.whitening_matrix(data.input_moment(config.f1, shift), recipe.whiten)
        whitened = whiten.WhitenedConv1(model, z, keep=config.channels if recipe.skip != "none" else 0)
    setup_seconds = time.perf_counter() - setup_start
    optimizer = make_optimizer(model, recipe, conv1_weight=None if whitened is None else whitened.v, scale=scale)
    frozen = IdentityPath.of(model) if recipe.skip == "identity-frozen" else None
    fixed = None if frozen is None else {k: v.to(dev, torch.float32) for k, v in frozen.weights().items()}
    run = _Run(model, optimizer, generator, n)
    run.whitened = whitened
    run.train_seconds = setup_seconds  # measuring the whitening is training time (a resumed run's comes from its state)
    if recipe.average:
        run.average = [p.detach().clone() for p in model.parameters()]

    extended_from = None
    if resume:
        if state_path is None:
            raise SpecError("resume needs a checkpoint folder")
        state = load_state(state_path)
        saved, wanted = json.loads(state["identity"]), json.loads(identity)
        saved_budget, _ = saved.pop("budget"), wanted.pop("budget")
        if saved != wanted:
            raise DataError(
                f"{state_path} was written by a different run (recipe, seed or data differ); use another output "
                "folder for this one, or delete that checkpoint to start it there"
            )
        if saved_budget[0] != budget.unit:
            raise SpecError(
                f"{state_path} is a run with a budget of {saved_budget[1]:g} {saved_budget[0]}; resume it with a budget "
                f"in {saved_budget[0]} (the same to continue it, a larger one to extend it)"
            )
        run.restore(state, dev)
        if saved_budget[1] != budget.value:
            if (run.step > total_steps) if total_steps is not None else (run.train_seconds > seconds):  # type: ignore[operator]
                done = f"step {run.step}" if total_steps is not None else f"{run.train_seconds / 60:.2f} minutes"
                raise SpecError(f"{state_path} is already at {done}, past a budget of {budget}; give a larger budget")
            extended_from = f"{saved_budget[1]:g} {saved_budget[0]}"
    elif state_path is not None and state_path.exists():
        raise DataError(
            f"{state_path} exists: pass --resume to continue that run (with a larger budget to extend it), or use "
            "another output folder"
        )

    loss_fn = loss_function(recipe)
    autocast = torch.autocast(dev.type, dtype=autocast_dtype) if autocast_dtype else contextlib.nullcontext()
    forward = MixedForward(model, frozen if autocast_dtype else None)
    every_steps = options.checkpoint_every.total_steps(n, batch)
    every_seconds = options.checkpoint_every.seconds

    def progress_of() -> float:
        return run.step / total_steps if total_steps is not None else run.train_seconds / seconds  # type: ignore[operator]

    def finished() -> bool:
        return run.step >= total_steps if total_steps is not None else run.train_seconds >= seconds  # type: ignore[operator]

    def plain() -> SRCNN:
        """The model as it runs on raw inputs: ``model`` itself, or its running average (``average``), with
        the mean folded in (``centre``)."""
        net = model
        if run.average is not None:
            net = copy.deepcopy(model)
            with torch.no_grad():
                for param, kept in zip(net.parameters(), run.average):
                    param.copy_(kept)
        return net if mean is None else fold_input_mean(net, mean).to(dev, memory_format=torch.channels_last)

    def score() -> float | None:
        if evaluator is None:
            return None
        scored = plain()
        scored.eval()
        with torch.no_grad():
            value = float(evaluator(scored))
        model.train()
        return value

    def diverged(what: str) -> TrainingDivergedError:
        bar.close()
        kept = (
            f"last good checkpoint kept in {state_path}"
            if state_path is not None and state_path.exists()
            else "no checkpoint was written"
        )
        return TrainingDivergedError(
            f"training diverged by step {run.step} ({what}); lower the learning rates of recipe {recipe.name!r}; {kept}"
        )

    bar = tqdm(
        total=total_steps if total_steps is not None else round(seconds),  # type: ignore[arg-type]
        unit="step" if total_steps is not None else "s",
        disable=not options.progress,
        dynamic_ncols=True,
        desc=f"train {recipe.name}",
    )
    last_psnr: float | None = run.history[-1].get("psnr") if run.history else None
    last_checkpoint = (run.step, run.train_seconds)
    window: list[torch.Tensor] = []
    wall_start = time.perf_counter()
    model.train()
    with _cuda_flags(dev, options):
        # training time = wall time of steps and loss checks; scoring and checkpoints are left out
        clock = time.perf_counter()
        while not finished():
            if run.pos + batch > n:
                run.perm = torch.randperm(n, generator=generator).to(dev)
                run.pos = 0
                run.epoch += 1
            idx = run.perm[run.pos : run.pos + batch]
            run.pos += batch
            factor = recipe.lr_factor(progress_of(), run.step)
            for group in optimizer.param_groups:
                group["lr"] = group["initial_lr"] * factor
            if n == windows:
                x, y = data.batch(idx, generator)
            else:
                x, y = data.batch(idx % windows, generator)
                orientation = idx // windows
                x, y = dihedral(x, orientation), dihedral(y, orientation)
            if shift is not None:
                x, y = x - shift, y - shift
            with autocast:
                out = forward(x)
            loss = loss_fn(out, y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if whitened is not None:
                whitened.pull_gradient()
            optimizer.step()
            if whitened is not None:
                whitened.push()
            if frozen is not None:
                frozen.restore(model, fixed)
            if run.average is not None:
                with torch.no_grad():
                    for kept, param in zip(run.average, model.parameters()):
                        kept.lerp_(param, 1.0 - recipe.average)
            window.append(loss.detach())
            run.step += 1
            now = time.perf_counter()
            run.train_seconds += now - clock
            clock = now
            due = finished() or (every_steps is not None and run.step - last_checkpoint[0] >= every_steps) or (
                every_seconds is not None and run.train_seconds - last_checkpoint[1] >= every_seconds
            )
            if not due and run.step % options.log_every:
                continue
            losses = torch.stack(window).float().cpu()  # waits for the device
            window.clear()
            now = time.perf_counter()
            run.train_seconds += now - clock
            clock = now
            if run.first_loss is None:
                run.first_loss = float(losses[0])
            if not bool(torch.isfinite(losses).all()):
                raise diverged("loss is not finite")
            worst = float(losses.max())
            if worst > EXPLOSION_FACTOR * run.first_loss:
                raise diverged(f"loss {worst:.4g}, first loss {run.first_loss:.4g}")
            mean_loss = float(losses.mean())
            if due:
                if not all(bool(torch.isfinite(p).all()) for p in model.parameters()):
                    raise diverged("a parameter is not finite")
                last_psnr = score()
                record = {"step": run.step, "seconds": round(run.train_seconds, 3), "loss": mean_loss}
                run.history.append(record if last_psnr is None else {**record, "psnr": last_psnr})
                if state_path is not None:
                    _save_state(state_path, run.state(identity))
                last_checkpoint = (run.step, run.train_seconds)
                clock = time.perf_counter()
            bar.update((run.step if total_steps is not None else min(round(run.train_seconds), bar.total)) - bar.n)
            bar.set_postfix(loss=f"{mean_loss:.3g}", psnr="-" if last_psnr is None else f"{last_psnr:.2f}", refresh=False)
            if on_progress is not None:
                on_progress(
                    ProgressInfo(run.step, run.epoch, progress_of(), mean_loss, factor, run.train_seconds, last_psnr)
                )
    bar.close()
    model = plain().to("cpu", memory_format=torch.contiguous_format).eval()
    summary = {
        "steps": run.step,
        "epochs": run.step / steps_per_epoch,
        "train_seconds": run.train_seconds,
        "session_wall_seconds": time.perf_counter() - wall_start,
        "final_loss": run.history[-1]["loss"] if run.history else None,
        "psnr": last_psnr,
        "history": run.history,
        "num_patches": windows,
        "epoch_samples": n,
        "input_mean": mean,
        "device": str(dev),
        "threads": torch.get_num_threads(),
        "precision": precision,
        "lr": list(rates),
        "tf32": options.tf32 and dev.type == "cuda",
        "deterministic": dev.type == "cpu" or options.deterministic,
        "budget_extended_from": extended_from,
    }
    return model, summary


def inference_model(model: SRCNN, recipe: Recipe) -> SRCNN:
    """A CPU copy of a trained ``model`` with the recipe's ``eval_padding`` (same weights), in eval mode."""
    copy = SRCNN(recipe.eval_config)
    copy.load_state_dict({k: v.detach().cpu() for k, v in model.state_dict().items()})
    return copy.eval()


def _versions(degradation: Degradation) -> dict[str, Any]:
    env = environment(degradation)
    env["torch threads"] = torch.get_num_threads()
    env["machine"] = platform.processor() or platform.machine()
    return env


def prepare_samples(
    images: Sequence[ImageRecord],
    degradation: Degradation,
    recipe: Recipe,
    *,
    cache_dir: str | os.PathLike[str] | None = None,
) -> TrainingSamples:
    """The recipe's training samples of ``images`` degraded by ``degradation``, through the cache:
    grid windows (:func:`sr_audit.patches.prepare_patches`) or a crop source
    (:func:`sr_audit.crops.prepare_crops`)."""
    shrink = recipe.model_config.shrink
    if isinstance(recipe.patch, RandomCrops):
        return prepare_crops(images, degradation, recipe.patch, shrink, cache_dir=cache_dir)
    return prepare_patches(images, degradation, recipe.patch, shrink, cache_dir=cache_dir)


def train_model(
    degradation: Degradation,
    train_images: Dataset | Sequence[ImageRecord],
    recipe: Recipe | str = "fast",
    *,
    seed: int = 0,
    device: str | torch.device = "auto",
    budget: Budget | None = None,
    checkpoint_dir: str | os.PathLike[str] | None = None,
    resume: bool = False,
    eval_images: Dataset | None = None,
    protocol: str | Protocol = "matlab",
    progress: bool = True,
    cache_dir: str | os.PathLike[str] | None = None,
    options: TrainOptions | None = None,
) -> TrainResult:
    """Train SRCNN on images degraded by ``degradation``; the API behind ``sr-audit train``.

    Parameters
    ----------
    degradation : Degradation
        How network inputs are made from the training images (and from ``eval_images``).
    train_images : Dataset or sequence of ImageRecord
        Ground-truth training images.
    recipe : Recipe or str
        A :class:`~sr_audit.recipes.Recipe` or a name of :data:`~sr_audit.recipes.RECIPES`.
    seed : int
    device : str or torch.device
        ``auto``, ``cpu``, ``cuda`` or ``cuda:N`` (:func:`sr_audit.device.resolve_device`).
    budget : Budget, optional
        Replaces the recipe's budget.
    checkpoint_dir : path, optional
        Folder for ``checkpoint.pt`` (training state) and ``model.pt`` (the final model with its
        metadata, :func:`sr_audit.weights.save_model`); created when missing.
    resume : bool
        Continue the run whose checkpoint is in ``checkpoint_dir``.
    eval_images : Dataset, optional
        Scored (PSNR in the recipe's network space under ``protocol``, inputs made by
        ``degradation``) at every checkpoint; at the end, every space of the protocol is scored and
        goes into the metadata, with the recipe's reported figures for that set and scale.
    protocol : str or Protocol
        Protocol of those scores (:func:`sr_audit.protocol.get_protocol`); both Y and RGB are scored
        whatever its ``spaces``.
    progress : bool
        Show a progress bar.
    cache_dir : path, optional
        Patch cache folder (:func:`sr_audit.patches.default_cache_dir` by default).
    options : TrainOptions, optional
        Checkpoint cadence and CUDA switches; ``progress`` here overrides ``options.progress``.

    Training on the CPU is 1.6-1.7x faster at batches of 128 (benchmarks/README.md) when the
    program has tuned the C allocator of its whole process (:func:`sr_audit.allocator.retain_freed_memory`,
    which ``sr-audit train`` and ``sr-audit matrix`` call; this function does not). The metadata's
    ``freed_memory_retained`` says whether it was in effect.

    Returns
    -------
    TrainResult
        The model with ``recipe.eval_padding`` (CPU, eval mode) and its metadata: recipe,
        degradation (and whether it is the recipe's own pipeline), seed, image names and hashes,
        library versions, device, steps, training and wall seconds, loss and PSNR history, final
        scores and the matching reported figures.
    """
    wall_start = time.perf_counter()
    recipe = get_recipe(recipe)
    config = recipe.model_config
    if degradation.space != recipe.space:
        raise SpecError(
            f"recipe {recipe.name!r} trains a {config.channels}-channel model, which needs a degradation in space "
            f"{recipe.space!r}, got {degradation.space!r}"
        )
    dev = resolve_device(device) if not isinstance(device, torch.device) else device
    retained = dev.type == "cpu" and freed_memory_retained()  # the program's choice: see sr_audit.allocator
    options = dataclasses.replace(options or TrainOptions(), progress=progress)
    images = tuple(train_images)
    samples = prepare_samples(images, degradation, recipe, cache_dir=cache_dir)
    prep_seconds = time.perf_counter() - wall_start
    full_protocol = dataclasses.replace(get_protocol(protocol), spaces=tuple(METRIC_SPACES))
    score_protocol = dataclasses.replace(full_protocol, spaces=(recipe.space,))

    def evaluator(model: SRCNN) -> float:
        assert eval_images is not None
        scores = evaluate(inference_model(model, recipe), eval_images, degradation, score_protocol, device=dev)
        return float(getattr(scores.mean, f"psnr_{recipe.space}"))

    identity = cache_record([r.sha256 for r in images], degradation, recipe.patch, config.shrink)
    trained, summary = train_patches(
        samples,
        recipe,
        seed=seed,
        device=dev,
        budget=budget,
        checkpoint_dir=checkpoint_dir,
        resume=resume,
        evaluator=evaluator if eval_images is not None else None,
        options=options,
        data_identity=identity,
        scale=degradation.scale,
    )
    final = inference_model(trained, recipe)
    final_eval = None
    if eval_images is not None:
        scores = evaluate(final, eval_images, degradation, full_protocol, device=dev).mean.as_dict()
        final_eval = {
            "data": eval_images.name,
            "protocol": full_protocol.name,
            "space": recipe.space,
            "psnr": scores[f"psnr_{recipe.space}"],
            "scores": scores,
            "reported": [
                dataclasses.asdict(f) for f in recipe.reported if f.matches(eval_images.name, degradation.scale)
            ],
        }
    metadata: dict[str, Any] = {
        "kind": "srcnn-trained",
        "recipe": recipe.as_dict(),
        "budget": str(budget or recipe.budget),
        "degradation": degradation.as_dict(),
        "degradation_spec": str(degradation),
        "recipe_pipeline": recipe.pipeline is not None and degradation == recipe.pipeline.degradation(recipe.space),
        "seed": seed,
        "train_data": {
            "name": getattr(train_images, "name", None),
            "source": getattr(train_images, "source", None),
            "images": [{"name": r.name, "sha256": r.sha256} for r in images],
        },
        "eval": final_eval,
        "versions": _versions(degradation),
        "freed_memory_retained": retained,
        "prepare_seconds": prep_seconds,
        "wall_seconds": time.perf_counter() - wall_start,
        **{k: summary[k] for k in summary if k != "psnr"},
    }
    if checkpoint_dir is not None:
        save_model(Path(checkpoint_dir) / MODEL_FILE, final, metadata)
    return TrainResult(final, metadata)
