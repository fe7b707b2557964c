"""``run_matrix``: plan -> workload -> executor -> store.

The steps (see :mod:`sr_audit.matrix.work` for what a job does, :mod:`sr_audit.matrix.executors`
for where it runs):

1. open (or create) the store at ``out``;
2. :func:`~sr_audit.matrix.work.build_workload`: load the data, compute every key, list the
   unfinished jobs; a rerun finds finished models and cells by their keys and skips them;
3. run the jobs with the chosen executor, with a tqdm bar over cells (finished cells of earlier
   runs are counted from the start, so the ETA covers only what is left);
4. return what was run: the plan's cell keys and what each job did.

Tables and reports are the report layer's, read from the store afterwards
(:func:`sr_audit.report.summary_tables` for the plan's cells, :func:`sr_audit.report.write_report`);
``sr-audit matrix`` does both.
"""
from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from tqdm.auto import tqdm

from sr_audit.errors import SpecError
from sr_audit.matrix.executors import EXECUTORS, local_workers, run_local, run_ray
from sr_audit.matrix.plan import MatrixPlan
from sr_audit.matrix.store import Store
from sr_audit.matrix.work import JobReport, Log, build_workload


@dataclass(frozen=True)
class MatrixResult:
    """What a matrix run did.

    Attributes
    ----------
    store : Path
    cell_keys : tuple of str
        The key of every cell of the plan, in plan order: all in the store when the run returns
        (computed now or before); the summary reads them (:func:`sr_audit.report.summary_tables`).
    jobs : tuple of JobReport
        One per job this run did.
    cells_total : int
        Cells of the plan.
    cells_before : int
        Cells already in the store when the run started.
    notes : tuple of str
        Skipped backends and missing authors' weights.
    seconds : float
        Wall time of the run.
    workers : int
        Worker processes of the ``local`` executor (1: this process; 0 for Ray).
    threads : int
        torch threads of each of them.
    """

    store: Path
    cell_keys: tuple[str, ...]
    jobs: tuple[JobReport, ...]
    cells_total: int
    cells_before: int
    notes: tuple[str, ...]
    seconds: float
    workers: int = 1
    threads: int = 1

    @property
    def computed(self) -> int:
        """Cells computed by this run."""
        return sum(j.computed for j in self.jobs)

    @property
    def trained(self) -> int:
        """Models trained (or finished from a checkpoint) by this run."""
        return sum(j.trained for j in self.jobs)

    @property
    def resumed(self) -> tuple[JobReport, ...]:
        """Jobs whose training resumed from a checkpoint of an earlier run."""
        return tuple(j for j in self.jobs if j.resumed_from is not None)


def run_matrix(
    plan: MatrixPlan,
    out: str | os.PathLike[str],
    *,
    executor: str = "local",
    address: str | None = None,
    workers: int | str = "auto",
    threads: int | None = None,
    progress: bool = True,
    log: Log | None = None,
) -> MatrixResult:
    """Train and evaluate everything ``plan`` names into the store at ``out``; see the module notes.

    Parameters
    ----------
    plan : MatrixPlan
    out : path
        Store folder; created when missing or empty.
    executor : str
        A key of :data:`~sr_audit.matrix.executors.EXECUTORS`.
    address : str, optional
        Ray cluster address (``ray`` only).
    workers : int or ``"auto"``
        Worker processes of the ``local`` executor (:func:`~sr_audit.matrix.executors.local_workers`;
        default ``auto``); 1 runs everything in this process.
    threads : int, optional
        torch threads of each worker process (default: the cores divided among them on the CPU).
    progress : bool
        Show the tqdm bar over cells (on stderr).
    log : callable, optional
        Receives notes (skipped backends, missing weights); default: written above the bar on stderr.

    Returns
    -------
    MatrixResult

    Raises
    ------
    SpecError
        Unknown executor, or an address without ``ray``.
    SrAuditError
        Whatever the data, the store, training or a worker raise (finished cells are kept).
    """
    if executor not in EXECUTORS:
        raise SpecError(f"unknown executor {executor!r}; executors: {', '.join(EXECUTORS)}")
    if address is not None and executor != "ray":
        raise SpecError("--address is the address of a Ray cluster; add --executor ray or drop --address")
    start = time.perf_counter()
    say = log or (lambda text: tqdm.write(text, file=sys.stderr))
    notes = tuple(f"skipped backend {s.name}: {s.reason}" for s in plan.skipped)
    for note in notes:
        say(note)
    store = Store(out, create=True)
    workload = build_workload(plan, store, say)
    total, pending = len(workload.cells), workload.pending_cells
    bar = tqdm(total=total, initial=total - pending, unit="cell", desc="matrix", smoothing=0, dynamic_ncols=True,
               disable=not progress, file=sys.stderr)
    devices: tuple[str, ...] = ()
    per_worker = threads
    try:
        if executor == "ray":
            reports = run_ray(workload, address=address, progress=bar.update, status=bar.set_postfix_str)
        else:
            models = sum(1 for job in workload.jobs if job.kind == "trained")
            devices, per_worker = local_workers(plan.device, workers, models, threads)
            if len(devices) == 1 and per_worker is not None:
                torch.set_num_threads(per_worker)  # the one worker is this process
            reports = run_local(workload, devices=devices, threads=per_worker, progress=bar.update,
                                status=bar.set_postfix_str)
    finally:
        bar.close()
    return MatrixResult(store=store.root, cell_keys=workload.cells, jobs=tuple(reports), cells_total=total,
                        cells_before=total - pending, notes=notes + workload.notes, seconds=time.perf_counter() - start,
                        workers=len(devices), threads=per_worker or torch.get_num_threads())
