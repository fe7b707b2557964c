"""Turn a :class:`~sr_audit.matrix.plan.MatrixPlan` into work, do it, and never lose finished work.

Work
----
:func:`build_workload` loads the data sets once per scale (:func:`load_per_scale`: a folder laid
out per scale, SelfExSR's ``image_SRF_K`` or RCAN's ``xK``, gives each scale its own images), finds
the authors' weights, computes every model and cell key (:func:`sr_audit.matrix.store.model_key`,
:func:`sr_audit.matrix.store.cell_key`) and groups the unfinished cells into :class:`Job` s. **The unit of work is a job: one model and its cells**:

* ``trained``: one SRCNN per (train spec, scale, seed) with the plan's recipe, trained once (or
  read from the store when a finished model has its key) and evaluated on every eval spec and eval
  set at that scale;
* ``official``: the authors' released weights of the plan's model at one scale
  (``srcnn_official_weights/<model>_<training set>/x<scale>.mat`` under the data root), evaluated
  on the same cells; Y models, so only plans whose recipe trains in Y get them;
* ``external``: a pretrained model the user brings (``--model FILE_OR_FACTORY``,
  :mod:`sr_audit.model_source`), at every scale, evaluated on the same cells and never trained:
  how much it loses when its LR comes from another library. Its row is its file name or factory;
  its model key covers what it is (kind, input, SRCNN config) and its content
  (:attr:`~sr_audit.model_source.ResolvedModel.identity`: the file's SHA-256, or the factory name
  and its module file's SHA-256);
* ``bicubic``: the identity model at one scale, i.e. the network input itself: each eval spec's
  own bicubic baseline.

A job lists only the cells not yet in the store, and a job with none is not made, so a rerun skips
finished cells and finished models. Jobs are ordered scale by scale, trained models first.

Keys
----
A model key covers the train spec (canonical string), scale, the saved model's config, seed, the
recipe (every field, budget included), the training images (name -> pixel SHA-256) and the versions
of the libraries that touch the numbers (:func:`library_versions`); a cell key covers its model
key, the eval spec, eval set, scale, protocol (``Protocol.as_dict()``), eval images, versions and
the network space (``space``, hashed only for RGB, :data:`sr_audit.matrix.store.CELL_KEY_OPTIONAL`, so Y
keys are those of stores written before RGB recipes). A model's space is in its config
(``channels``). The compute path (float) is the same for every matrix (:mod:`sr_audit.matrix.plan`),
so no key needs to name it. The dicts hashed into a key are the very dicts written into the record.

Doing a job (:class:`Worker`)
-----------------------------
* The model: a finished model is loaded from the store. Otherwise the worker claims the model key
  and trains with :func:`sr_audit.train.train_model`, checkpointing into ``STORE/work/<model
  key>/`` every ``plan.checkpoint_every``; a checkpoint left there by a killed or interrupted run
  is resumed (bit-identically on the CPU for step and epoch budgets). The final model goes into the
  store with :meth:`~sr_audit.matrix.store.Store.put_model`, then the work folder is deleted.
* Each cell is claimed (:meth:`~sr_audit.matrix.store.Store.claim`), computed and stored with its crops
  by :meth:`~sr_audit.matrix.store.Store.put_cell` inside the claim, so a killed run loses at most the
  cell in progress, and two processes never compute the same model or cell. A key another process
  holds is skipped at first and waited for at the end.
* Evaluation inputs are prepared once per (eval spec, scale, eval set) and worker by the one
  evaluation path (:func:`sr_audit.evaluation.prepare` with the default
  :class:`~sr_audit.evaluation.Preparation`): the ground truth is cropped to a multiple of the
  scale and its network planes degraded: in Y, the Y plane, and for colour images the Cb and Cr
  planes too (the RGB metrics of a Y model, :data:`sr_audit.protocol.Y_MODEL_RGB`); in RGB, the
  three channels (a grayscale image repeated). Every model then only runs
  :func:`~sr_audit.evaluation.run_model` and :func:`~sr_audit.evaluation.score_prepared`, so scores
  are :func:`sr_audit.evaluation.evaluate`'s. The worker keeps the inputs of the current scale and
  drops the others when the scale changes.
* Inference runs in float32 (:func:`sr_audit.infer.infer`) with the recipe's ``eval_padding``,
  which must keep the image size (``same-replicate`` or ``same-zero``).

Crops
-----
For the first ``plan.crop_images`` eval images, one ``crop_size`` square window, the one with the
largest variance of the ground truth's Y among windows on a half-window grid inside the shaved
border, is stored per cell: the ground truth (``hr``), the network input (``bicubic``: the eval
spec's own upscale) and, for models, the output (``sr``), as 8-bit RGB (or gray for gray images;
a Y output gets the degraded input's chroma; an RGB output is shown as it is).
"""
from __future__ import annotations

import hashlib
import re
import shutil
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from sr_audit import __version__, backends
from sr_audit.conventions import ResizeSpec
from sr_audit.datasets import Dataset, find_data_root, load_dataset
from sr_audit.degradation import Degradation
from sr_audit.device import resolve_device
from sr_audit.errors import DataError, SpecError
from sr_audit.evaluation import (
    ENVIRONMENT_DISTRIBUTIONS,
    Preparation,
    Prepared,
    colour_output,
    prepare,
    run_model,
    score_prepared,
)
from sr_audit.io_util import installed_version
from sr_audit.matrix.plan import COMPUTE, MatrixPlan
from sr_audit.matrix.store import (
    CellRecord,
    Environment,
    ImageMetrics,
    ModelRecord,
    Store,
    cell_key,
    crop_name,
    model_key,
)
from sr_audit.model import SRCNNConfig
from sr_audit.model_source import ModelSource, resolve_model
from sr_audit.rounding import quantize
from sr_audit.train import MODEL_FILE, STATE_FILE, TrainOptions, load_state, train_model
from sr_audit.weights import load_authors_mat, load_model

#: Folder of the store that holds the training checkpoints of unfinished models, by model key.
WORK_DIR = "work"

#: Folder under the data root that holds the authors' released weights.
OFFICIAL_DIR = "srcnn_official_weights"

Log = Callable[[str], None]


def _quiet(message: str) -> None:
    """A :data:`Log` that drops messages."""


def library_versions(specs: Iterable[ResizeSpec]) -> dict[str, str]:
    """Versions of sr-audit, the core numeric libraries and the libraries of ``specs``' backends.

    Part of every key: a different version of any of them is a different result.
    """
    out = {"sr-audit": __version__}
    for dist in ENVIRONMENT_DISTRIBUTIONS:
        out[dist] = installed_version(dist) or "not installed"
    for spec in specs:
        backend = backends.get_backend(spec.backend)
        out[backend.distribution] = backend.version() or "not installed"
    return out


def device_label(device: torch.device) -> str:
    """``cpu``, or ``cuda:N (GPU name)``, as records show it."""
    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        return f"cuda:{index} ({torch.cuda.get_device_name(index)})"
    return str(device)


# --------------------------------------------------------------------------------------------
# The work


@dataclass(frozen=True)
class OfficialWeights:
    """One of the authors' ``.mat`` files.

    Attributes
    ----------
    path : str
        Absolute path.
    label : str
        ``<folder>/<file>`` under :data:`OFFICIAL_DIR`, e.g. ``9-1-5_T91/x3.mat``.
    scale : int
    sha256 : str
        SHA-256 of the file's bytes.
    """

    path: str
    label: str
    scale: int
    sha256: str


@dataclass(frozen=True)
class CellTask:
    """One unfinished cell: its key and the exact inputs hashed into it."""

    key: str
    eval_spec: ResizeSpec
    eval_set: str
    inputs: Mapping[str, Any]


@dataclass(frozen=True)
class Job:
    """One model (trained, official or the bicubic identity) and its unfinished cells.

    Attributes
    ----------
    kind : str
        ``trained``, ``official`` or ``bicubic`` (see the module notes).
    scale : int
    cells : tuple of CellTask
    model_key : str or None
        None for ``bicubic``.
    model_inputs : mapping or None
        The inputs hashed into ``model_key`` (None for ``bicubic``).
    train_spec : ResizeSpec or None
        ``trained`` only.
    seed : int or None
        ``trained`` only.
    weights : OfficialWeights or None
        ``official`` only.
    source : ModelSource or None
        ``external`` only.
    """

    kind: str
    scale: int
    cells: tuple[CellTask, ...]
    model_key: str | None = None
    model_inputs: Mapping[str, Any] | None = None
    train_spec: ResizeSpec | None = None
    seed: int | None = None
    weights: OfficialWeights | None = None
    source: ModelSource | None = None

    @property
    def label(self) -> str:
        """What the job is, for progress messages."""
        if self.kind == "trained":
            return f"SRCNN trained on {self.train_spec} ×{self.scale} seed {self.seed}"
        if self.kind == "official":
            return f"authors' weights {self.weights.label}"  # type: ignore[union-attr]
        if self.kind == "external":
            return f"pretrained {self.source.label} ×{self.scale}"  # type: ignore[union-attr]
        return f"bicubic baselines ×{self.scale}"


@dataclass(frozen=True)
class Workload:
    """A plan with its data loaded and its keys computed: everything a worker needs (picklable).

    Attributes
    ----------
    plan : MatrixPlan
    store_root : str
        Absolute path of the store.
    train_sets : dict of int to Dataset
        The training images at each scale of the plan (:func:`load_per_scale`).
    eval_sets : dict of int to tuple of Dataset
        The eval sets at each scale of the plan, in plan order.
    official : tuple of OfficialWeights
        The authors' weights found for the plan's model and scales.
    jobs : tuple of Job
        The unfinished work, in run order.
    cells : tuple of str
        The key of every cell of the plan (finished or not), in plan order.
    notes : tuple of str
        What was left out and why (missing authors' weights, ...).
    """

    plan: MatrixPlan
    store_root: str
    train_sets: Mapping[int, Dataset]
    eval_sets: Mapping[int, tuple[Dataset, ...]]
    official: tuple[OfficialWeights, ...]
    jobs: tuple[Job, ...]
    cells: tuple[str, ...]
    notes: tuple[str, ...] = ()

    def train_set(self, scale: int) -> Dataset:
        """The training images at ``scale``."""
        try:
            return self.train_sets[scale]
        except KeyError:
            raise DataError(f"no training set at x{scale} in this workload; scales: {sorted(self.train_sets)}") from None

    def eval_set(self, name: str, scale: int) -> Dataset:
        """The eval set called ``name`` at ``scale``."""
        sets = self.eval_sets.get(scale, ())
        for ds in sets:
            if ds.name == name:
                return ds
        raise DataError(f"no eval set {name!r} at x{scale} in this workload; sets: {', '.join(d.name for d in sets)}")

    @property
    def pending_cells(self) -> int:
        """Cells the jobs still have to compute."""
        return sum(len(j.cells) for j in self.jobs)


def find_official(plan: MatrixPlan) -> tuple[tuple[OfficialWeights, ...], tuple[str, ...]]:
    """The authors' weights of ``plan.model`` at ``plan.scales`` under the data root, and notes on
    what was not found (an absent data root or folder is a note, not an error)."""
    if not plan.official:
        return (), ()
    if plan.space != "y":
        return (), (f"authors' weights skipped: they are Y models and recipe {plan.recipe.name!r} trains in {plan.space}",)
    root, how = find_data_root(plan.data_root)
    if root is None:
        return (), (f"authors' weights skipped: no data root ({how})",)
    folder = root / OFFICIAL_DIR
    if not folder.is_dir():
        return (), (f"authors' weights skipped: {folder} does not exist (data root from {how})",)
    found, notes = [], []
    candidates = sorted(p for p in folder.iterdir() if p.is_dir() and p.name.startswith(f"{plan.model}_"))
    for scale in plan.scales:
        files = [d / f"x{scale}.mat" for d in candidates if (d / f"x{scale}.mat").is_file()]
        if not files:
            notes.append(f"no authors' weights for SRCNN {plan.model} ×{scale} in {folder}")
        for path in files:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            found.append(OfficialWeights(str(path.absolute()), f"{path.parent.name}/{path.name}", scale, digest))
    return tuple(found), tuple(notes)


def external_model(source: ModelSource, plan: MatrixPlan, log: Log = _quiet) -> tuple[dict[str, Any], dict[str, str]]:
    """(model_config, identity) of a pretrained model for its key: what it is and the content
    hashes that identify it (:attr:`~sr_audit.model_source.ResolvedModel.identity`). Loads it
    once to check it fits the plan, logs its loading notes and any training-scale mismatch.

    Raises
    ------
    SpecError
        An SRCNN whose channels do not fit the plan's network space.
    """
    resolved = resolve_model(source)
    srcnn = resolved.srcnn
    if srcnn is not None and ("y" if srcnn.config.channels == 1 else "rgb") != plan.space:
        raise SpecError(f"--model {source.label} is a {srcnn.config.channels}-channel SRCNN; recipe {plan.recipe.name!r} "
                        f"evaluates in {plan.space}: choose a recipe of that space")
    for note in resolved.notes:
        log(note)
    for scale in plan.scales:
        warning = resolved.scale_warning(scale)
        if warning:
            log(warning)
    config = {"source": source.label, "kind": resolved.kind, "input": source.input,
              "srcnn": None if srcnn is None else srcnn.config.as_dict()}
    return config, dict(resolved.identity)


#: An option name in a data layout's message: the matrix's own option for it is ``--scales``.
_SCALE_OPTION = re.compile(r"(?<![\w-])--scale(?![\w-])")


def _same_images(a: Dataset, b: Dataset) -> bool:
    return (a.name, a.source, [(r.name, r.sha256) for r in a]) == (b.name, b.source, [(r.name, r.sha256) for r in b])


def load_per_scale(data: str, plan: MatrixPlan) -> dict[int, Dataset]:
    """The images ``data`` names at each of ``plan.scales``
    (:func:`sr_audit.datasets.load_dataset` with ``scale``).

    A folder with a per-scale layout (SelfExSR's ``Set5/image_SRF_K``, RCAN's ``HR/Set5/xK``)
    gives each scale its own images, and HR files named for another scale are left out; a plain
    folder gives the same images at every scale, kept once (one object for all scales, so a
    pickled workload holds them once). A layout's message that names ``--scale`` names the
    matrix's ``--scales``.

    Raises
    ------
    DataError
        As :func:`~sr_audit.datasets.load_dataset`, e.g. a folder of x2 HR files at x3.
    """
    out: dict[int, Dataset] = {}
    for scale in plan.scales:
        try:
            ds = load_dataset(data, data_root=plan.data_root, scale=scale)
        except DataError as exc:
            raise DataError(_SCALE_OPTION.sub("--scales", str(exc))) from exc
        out[scale] = next((d for d in out.values() if _same_images(d, ds)), ds)
    return out


def build_workload(plan: MatrixPlan, store: Store, log: Log = _quiet) -> Workload:
    """Load the plan's data, compute every key and list the unfinished work as :class:`Job` s.

    Raises
    ------
    DataError
        A data set that cannot be found or read, two eval sets with the same name, or a training
        set with no image.
    SpecError
        A recipe whose ``eval_padding`` changes the image size.
    """
    recipe = plan.recipe
    if recipe.eval_config.padding == "valid":
        raise SpecError(f"recipe {recipe.name!r} has eval_padding 'valid', which crops the output; the matrix needs "
                        "full-size outputs: use same-replicate (the authors') or same-zero")
    train_sets = load_per_scale(plan.train_data, plan)
    per_set = [load_per_scale(name, plan) for name in plan.eval_data]
    eval_sets = {scale: tuple(sets[scale] for sets in per_set) for scale in plan.scales}
    for scale, sets in eval_sets.items():
        names = [d.name for d in sets]
        if len(set(names)) != len(names):
            raise DataError(f"two eval sets are called the same ({', '.join(names)}); rename a folder so names are unique")
    official, notes = find_official(plan)
    external = {source: external_model(source, plan, log) for source in plan.external}
    for note in notes:
        log(note)
    protocol = plan.protocol.as_dict()
    eval_data = {scale: {d.name: {r.name: r.sha256 for r in d} for d in sets} for scale, sets in eval_sets.items()}
    train_data = {scale: {r.name: r.sha256 for r in ds} for scale, ds in train_sets.items()}
    core = library_versions(())
    eval_versions = {str(s): library_versions((s,)) for s in plan.eval_specs}

    cells: list[str] = []
    jobs: list[Job] = []

    def cell_tasks(kind: str, mkey: str | None, scale: int, extra: Iterable[ResizeSpec] = ()) -> tuple[CellTask, ...]:
        tasks = []
        for spec in plan.eval_specs:
            versions = library_versions((*extra, spec)) if extra else eval_versions[str(spec)]
            for ds in eval_sets[scale]:
                inputs = {"kind": kind, "model_key": mkey, "eval_spec": str(spec), "eval_set": ds.name,
                          "scale": scale, "protocol": protocol, "data": eval_data[scale][ds.name], "versions": versions,
                          "space": plan.space}
                key = cell_key(inputs)
                cells.append(key)
                if not store.has_cell(key):
                    tasks.append(CellTask(key, spec, ds.name, inputs))
        return tuple(tasks)

    for scale in plan.scales:
        for spec in plan.train_specs:
            for seed in plan.seeds:
                inputs = {"kind": "trained", "train_spec": str(spec), "scale": scale,
                          "model_config": recipe.eval_config.as_dict(), "seed": seed, "recipe": recipe.as_dict(),
                          "data": train_data[scale], "versions": library_versions((spec,))}
                mkey = model_key(inputs)
                tasks = cell_tasks("trained", mkey, scale, extra=(spec,))
                if tasks:
                    jobs.append(Job("trained", scale, tasks, mkey, inputs, train_spec=spec, seed=seed))
        for weights in (w for w in official if w.scale == scale):
            config = load_authors_mat(weights.path).config
            inputs = {"kind": "official", "train_spec": None, "scale": scale, "model_config": config.as_dict(),
                      "seed": None, "recipe": None, "data": {weights.label: weights.sha256}, "versions": core}
            mkey = model_key(inputs)
            tasks = cell_tasks("official", mkey, scale)
            if tasks:
                jobs.append(Job("official", scale, tasks, mkey, inputs, weights=weights))
        for source, (model_config, identity) in external.items():
            inputs = {"kind": "external", "train_spec": None, "scale": scale, "model_config": model_config,
                      "seed": None, "recipe": None, "data": identity, "versions": core}
            mkey = model_key(inputs)
            tasks = cell_tasks("external", mkey, scale)
            if tasks:
                jobs.append(Job("external", scale, tasks, mkey, inputs, source=source))
        tasks = cell_tasks("bicubic", None, scale)
        if tasks:
            jobs.append(Job("bicubic", scale, tasks))
    return Workload(plan=plan, store_root=str(store.root.absolute()), train_sets=train_sets, eval_sets=eval_sets,
                    official=official, jobs=tuple(jobs), cells=tuple(cells), notes=notes)


# --------------------------------------------------------------------------------------------
# Evaluation inputs, prepared once per (eval spec, scale, eval set)


@dataclass(frozen=True)
class PreparedImage:
    """One eval image, prepared once (:func:`sr_audit.evaluation.prepare`) for every model run on it.

    Attributes
    ----------
    image : Prepared
    box : (int, int) or None
        Top-left corner of the crop window, None when this image gets no crop.
    """

    image: Prepared
    box: tuple[int, int] | None


def crop_corner(reference: np.ndarray, size: int, border: int) -> tuple[int, int]:
    """Top-left corner of the ``size`` window of largest luma variance, on a ``size // 2`` grid
    inside ``border`` pixels (the image itself when it is too small for that)."""
    luma = reference.astype(np.float64) if reference.ndim == 2 else reference.astype(np.float64) @ [0.299, 0.587, 0.114]
    h, w = luma.shape
    step = max(1, size // 2)
    ys = range(border, max(border, h - border - size) + 1, step) if h - 2 * border >= size else [max(0, (h - size) // 2)]
    xs = range(border, max(border, w - border - size) + 1, step) if w - 2 * border >= size else [max(0, (w - size) // 2)]
    best = max((float(luma[y:y + size, x:x + size].var()), -y, -x) for y in ys for x in xs)
    return -best[1], -best[2]


def prepare_images(dataset: Dataset, spec: ResizeSpec, scale: int, space: str, *, crop_size: int, crop_images: int,
                   shave: int, model_input: str = "upsampled") -> tuple[PreparedImage, ...]:
    """Every image of ``dataset`` prepared for the eval spec at ``scale`` in ``space`` (the
    default :class:`~sr_audit.evaluation.Preparation`: modcrop, the authors' Y or RGB, and Cb/Cr of
    colour images in Y; the model given ``model_input``), the first ``crop_images`` with their
    crop window."""
    preparation = Preparation(Degradation(spec, spec, scale, space=space, compute=COMPUTE), model_input=model_input)
    out = []
    for i, record in enumerate(dataset):
        image = prepare(record.image, preparation, name=record.name)
        box = crop_corner(image.reference, crop_size, shave) if i < crop_images else None
        out.append(PreparedImage(image, box))
    return tuple(out)


# --------------------------------------------------------------------------------------------
# Doing jobs


@dataclass
class JobReport:
    """What a job did. ``busy``: another process held the model; nothing was done."""

    kind: str
    label: str
    computed: int = 0
    found: int = 0
    trained: bool = False
    resumed_from: int | None = None
    busy: bool = False
    seconds: float = 0.0
    keys: list[str] = field(default_factory=list)


class Worker:
    """Does the jobs of one workload on one device (see the module notes).

    Parameters
    ----------
    workload : Workload
    device : str
        Resolved here with :func:`sr_audit.device.resolve_device`.
    on_cell : callable, optional
        Called with a cell key when a cell is finished (computed here or by another process).
    on_status : callable, optional
        Called with a short text when a job starts training or evaluating.
    """

    def __init__(self, workload: Workload, device: str, *, on_cell: Callable[[str], None] | None = None,
                 on_status: Log = _quiet) -> None:
        self.workload = workload
        self.plan = workload.plan
        self.store = Store(workload.store_root)
        self.device = resolve_device(device)
        self.on_cell = on_cell or (lambda key: None)
        self.on_status = on_status
        self._prepared: dict[tuple[str, int, str, str], tuple[PreparedImage, ...]] = {}

    # ---- models

    def _model(self, job: Job, report: JobReport, wait: bool) -> nn.Module | None:
        """The job's model (None for bicubic), trained or read; ``report.busy`` when another process
        holds it and ``wait`` is False."""
        if job.kind == "bicubic":
            return None
        key = job.model_key
        assert key is not None
        if not self.store.has_model(key):
            with self.store.claim(key, wait=wait) as mine:
                if mine:
                    self._make_model(job, report)
                elif not self.store.has_model(key):
                    report.busy = True
                    return None
        if job.kind == "official":
            return load_authors_mat(job.weights.path)  # type: ignore[union-attr]
        if job.kind == "external":
            return resolve_model(job.source).module  # type: ignore[arg-type]
        path = self.store.checkpoint_path(key)
        if path is None:
            raise DataError(f"model {key} in {self.store.root} has no checkpoint; delete {self.store.model_dir(key)} "
                            "to train it again")
        return load_model(path).model

    def _environment(self, versions: Mapping[str, str]) -> Environment:
        return Environment.current(versions, device_label(self.device))

    def _make_model(self, job: Job, report: JobReport) -> None:
        inputs = job.model_inputs
        assert inputs is not None
        if job.kind in ("official", "external"):
            config = inputs["model_config"]
            name = SRCNNConfig(**config).name if job.kind == "official" else config["source"]
            record = ModelRecord(kind=job.kind, train_spec=None, scale=job.scale, model=name,
                                 model_config=config, seed=None, recipe=None, data=inputs["data"],
                                 environment=self._environment(inputs["versions"]))
            self._put_model(record, job, None)
            return
        recipe = self.plan.recipe
        spec = job.train_spec
        assert spec is not None and job.seed is not None
        work = self.store.root / WORK_DIR / job.model_key  # type: ignore[operator]
        state = work / STATE_FILE
        if state.is_file():
            report.resumed_from = int(load_state(state)["step"])
        self.on_status(f"training {job.label}" + (f" (resuming at step {report.resumed_from})" if report.resumed_from else ""))
        degradation = Degradation(spec, spec, job.scale, space=self.plan.space, compute=COMPUTE)
        result = train_model(
            degradation, self.workload.train_set(job.scale), recipe, seed=job.seed, device=self.device,
            checkpoint_dir=work, resume=report.resumed_from is not None, progress=False,
            options=TrainOptions(checkpoint_every=self.plan.checkpoint_every, progress=False),
        )
        meta = result.metadata
        record = ModelRecord(kind="trained", train_spec=str(spec), scale=job.scale, model=recipe.model,
                             model_config=inputs["model_config"], seed=job.seed, recipe=inputs["recipe"],
                             data=inputs["data"], environment=self._environment(inputs["versions"]),
                             wall_time_s=float(meta["wall_seconds"]), final_loss=meta["final_loss"])
        self._put_model(record, job, work / MODEL_FILE)
        shutil.rmtree(work)
        report.trained = True

    def _put_model(self, record: ModelRecord, job: Job, checkpoint: Path | None) -> None:
        if record.key != job.model_key:
            raise RuntimeError(f"model record key {record.key} differs from the planned key {job.model_key}")
        self.store.put_model(record, checkpoint=checkpoint)

    # ---- cells

    def prepared(self, spec: ResizeSpec, scale: int, eval_set: str, model_input: str = "upsampled") -> tuple[PreparedImage, ...]:
        """Evaluation inputs of (spec, scale, eval set, model input), made on first use; other
        scales are dropped."""
        key = (str(spec), scale, eval_set, model_input)
        if key not in self._prepared:
            self._prepared = {k: v for k, v in self._prepared.items() if k[1] == scale}
            self._prepared[key] = prepare_images(
                self.workload.eval_set(eval_set, scale), spec, scale, self.plan.space, crop_size=self.plan.crop_size,
                crop_images=self.plan.crop_images, shave=self.plan.protocol.shave_for(scale), model_input=model_input)
        return self._prepared[key]

    def score(self, model: nn.Module | None, task: CellTask, scale: int,
              model_input: str = "upsampled") -> tuple[list[ImageMetrics], dict[str, np.ndarray]]:
        """Per-image metrics and crops of ``model`` (None: the identity) on a cell's inputs."""
        protocol = self.plan.protocol
        metrics, crops = [], {}
        for item in self.prepared(task.eval_spec, scale, task.eval_set, model_input):
            image = item.image
            output = run_model(model, image, device=self.device)
            s = score_prepared(image, output, protocol)
            metrics.append(ImageMetrics(image.name, psnr_rgb=s.psnr_rgb, psnr_y=s.psnr_y, ssim_rgb=s.ssim_rgb, ssim_y=s.ssim_y))
            if item.box is not None:
                crops.update(self._crops(model, image, item.box, output))
        return metrics, crops

    def _crops(self, model: nn.Module | None, image: Prepared, box: tuple[int, int],
               output: np.ndarray) -> dict[str, np.ndarray]:
        y, x = box
        n = self.plan.crop_size

        def cut(a: np.ndarray) -> np.ndarray:
            return np.ascontiguousarray(a[y:y + n, x:x + n])

        def as_u8(plane: np.ndarray) -> np.ndarray:
            colour = colour_output(image, plane)
            return quantize(cut(colour if colour is not None else plane) * 255.0, np.uint8, "half-away-from-zero")

        out = {crop_name(image.name, "hr"): cut(image.reference), crop_name(image.name, "bicubic"): as_u8(image.upsampled)}
        if model is not None:
            out[crop_name(image.name, "sr")] = as_u8(output)
        return out

    def _record(self, job: Job, task: CellTask, images: list[ImageMetrics]) -> CellRecord:
        inputs = task.inputs
        conventions = backends.get_backend(task.eval_spec.backend).conventions(task.eval_spec).as_dict()
        model_fields: dict[str, Any] = {}
        if job.kind != "bicubic":
            m = job.model_inputs
            assert m is not None
            config = m["model_config"]
            model_fields = {"model_key": job.model_key, "train_spec": m["train_spec"], "seed": m["seed"],
                            "recipe": m["recipe"], "model_config": config,
                            "model": config["source"] if job.kind == "external" else SRCNNConfig(**config).name}
        record = CellRecord(kind=job.kind, eval_spec=inputs["eval_spec"], eval_set=inputs["eval_set"], scale=job.scale,
                            protocol=inputs["protocol"], conventions=conventions,
                            environment=self._environment(inputs["versions"]), data=inputs["data"],
                            images=tuple(images), space=inputs["space"], **model_fields)
        if record.key != task.key:
            raise RuntimeError(f"cell record key {record.key} differs from the planned key {task.key}")
        return record

    def _cell(self, job: Job, model: nn.Module | None, task: CellTask, wait: bool) -> bool | None:
        """Compute one cell if it is still to do: True computed, False found done, None busy."""
        if self.store.has_cell(task.key):
            return False
        with self.store.claim(task.key, wait=wait) as mine:
            if not mine:
                return False if self.store.has_cell(task.key) else None
            model_input = job.source.input if job.source is not None else "upsampled"
            images, crops = self.score(model, task, job.scale, model_input)
            self.store.put_cell(self._record(job, task, images), crops=crops)
            return True

    def run(self, job: Job, *, wait: bool = False) -> JobReport:
        """Do ``job``: get its model, then compute its cells.

        With ``wait`` False a model another process is training makes the report ``busy`` (run
        the job again later with ``wait=True``); cells another process holds are waited for after
        the others.
        """
        start = time.perf_counter()
        report = JobReport(job.kind, job.label)
        model = self._model(job, report, wait)
        if report.busy:
            return report
        self.on_status(f"evaluating {job.label}")
        deferred = []
        for task in job.cells:
            done = self._cell(job, model, task, wait=False)
            if done is None:
                deferred.append(task)
                continue
            self._count(report, task.key, done)
        for task in deferred:
            self._count(report, task.key, bool(self._cell(job, model, task, wait=True)))
        report.seconds = time.perf_counter() - start
        return report

    def _count(self, report: JobReport, key: str, computed: bool) -> None:
        if computed:
            report.computed += 1
        else:
            report.found += 1
        report.keys.append(key)
        self.on_cell(key)

