"""Where a matrix's jobs run: :data:`EXECUTORS`.

Every executor runs :class:`~sr_audit.matrix.work.Job` s (one model and its cells, the unit of
work) with :class:`~sr_audit.matrix.work.Worker` s, and **the workers write their results to the
store themselves**: the store is a folder with per-key locks, so any number of processes can write
to it (``sr_audit.matrix.store``, "Concurrency"). The driver only counts finished cells for the progress
bar. A job whose model another process is training is put back at the end of the queue and then
waited for.

``local``
    In this process, one job after the other, on ``plan.device``. With ``--device auto`` on a
    machine with several CUDA GPUs, one worker process per GPU (spawned), each taking jobs from a
    shared queue; each process prepares the evaluation inputs it needs once.
``ray``
    One Ray task per job (``pip install 'sr-audit[ray]'``). Without an address a local Ray
    instance is started (and shut down at the end); with ``--address`` the run joins that cluster,
    whose workers must all see the store folder at the same path on a file system with POSIX locks
    (a local disk, or NFS with a lock daemon), and the data. A task asks for one CPU, plus one GPU
    when the cluster has GPUs, and sets torch's thread count to the CPUs Ray gave it. Each Ray
    worker process keeps its prepared evaluation inputs between tasks.
"""
from __future__ import annotations

import hashlib
import multiprocessing
import queue as queue_module
import traceback
from collections.abc import Callable, Sequence
from typing import Any

import torch

from sr_audit.errors import SrAuditError
from sr_audit.matrix.work import Job, JobReport, Log, Worker, Workload

#: Executors by name.
EXECUTORS: dict[str, str] = {
    "local": "this process (one worker process per CUDA GPU with --device auto and several GPUs)",
    "ray": "one Ray task per model and its cells; local Ray instance, or --address of a cluster",
}

#: How to get Ray.
RAY_INSTALL_HINT = "pip install 'sr-audit[ray]'"


class ExecutorUnavailableError(SrAuditError, ImportError):
    """The library an executor needs is not installed; the message has the install hint."""


class WorkerFailedError(SrAuditError, RuntimeError):
    """A worker process failed; the message names the job and carries the worker's error."""


Progress = Callable[[int], None]


def local_devices(device: str) -> tuple[str, ...]:
    """Devices of the ``local`` executor: every CUDA GPU for ``auto`` when there are several, else ``device``."""
    if device.strip().lower() == "auto" and torch.cuda.is_available() and torch.cuda.device_count() > 1:
        return tuple(f"cuda:{i}" for i in range(torch.cuda.device_count()))
    return (device,)


def run_local(workload: Workload, *, devices: Sequence[str] | None = None, progress: Progress = lambda n: None,
              status: Log = lambda text: None) -> list[JobReport]:
    """Run the jobs in this process, or in one process per device when several are given.

    Parameters
    ----------
    workload : Workload
    devices : sequence of str, optional
        Default :func:`local_devices` of ``plan.device``. Several devices (``("cuda:0",
        "cuda:1")``, or ``("cpu", "cpu")`` to try the path without GPUs) start one process each.
    progress : callable
        Called with the number of cells just finished.
    status : callable
        Called with what is being done.
    """
    devices = tuple(devices) if devices is not None else local_devices(workload.plan.device)
    if len(devices) > 1:
        return _run_processes(workload, devices, progress, status)
    worker = Worker(workload, devices[0], on_cell=lambda key: progress(1), on_status=status)
    reports, busy = [], []
    for job in workload.jobs:
        report = worker.run(job)
        if report.busy:
            busy.append(job)
        else:
            reports.append(report)
    reports += [worker.run(job, wait=True) for job in busy]
    return reports


# --------------------------------------------------------------------------------------------
# Local worker processes


def _process_main(workload: Workload, device: str, jobs: Any, events: Any) -> None:
    """Body of a local worker process: do jobs from ``jobs`` until None, report on ``events``."""
    try:
        worker = Worker(workload, device, on_cell=lambda key: events.put(("cell", key)),
                        on_status=lambda text: events.put(("status", f"{device}: {text}")))
        while (item := jobs.get()) is not None:
            job, wait = item
            report = worker.run(job, wait=wait)
            events.put(("busy", job) if report.busy else ("done", report))
    except BaseException as exc:  # reported to the driver, which stops the others
        events.put(("error", f"{device}: {type(exc).__name__}: {exc}", traceback.format_exc()))


def _run_processes(workload: Workload, devices: Sequence[str], progress: Progress, status: Log) -> list[JobReport]:
    ctx = multiprocessing.get_context("spawn")
    jobs, events = ctx.Queue(), ctx.Queue()
    for job in workload.jobs:
        jobs.put((job, False))
    processes = [ctx.Process(target=_process_main, args=(workload, d, jobs, events), daemon=True) for d in devices]
    for p in processes:
        p.start()
    reports: list[JobReport] = []
    outstanding = len(workload.jobs)
    try:
        while outstanding:
            try:
                event = events.get(timeout=5.0)
            except queue_module.Empty:
                dead = [p for p in processes if not p.is_alive()]
                if dead:
                    raise WorkerFailedError(f"worker process {dead[0].pid} died (exit code {dead[0].exitcode}); "
                                            "rerun the matrix: finished cells are kept") from None
                continue
            kind = event[0]
            if kind == "cell":
                progress(1)
            elif kind == "status":
                status(event[1])
            elif kind == "busy":
                jobs.put((event[1], True))
            elif kind == "done":
                reports.append(event[1])
                outstanding -= 1
            else:
                raise WorkerFailedError(f"{event[1]}\n{event[2]}")
        for _ in processes:
            jobs.put(None)
        for p in processes:
            p.join()
    finally:
        for p in processes:
            if p.is_alive():
                p.terminate()
    return reports


# --------------------------------------------------------------------------------------------
# Ray


def import_ray() -> Any:
    """The ``ray`` module, or :class:`ExecutorUnavailableError` with the install hint."""
    try:
        import ray
    except ImportError as exc:
        raise ExecutorUnavailableError(f"--executor ray needs Ray ({exc}); install it with: {RAY_INSTALL_HINT}") from None
    return ray


#: Per Ray worker process: the Worker of the current workload (by content), kept between tasks.
_RAY_WORKER: dict[str, Worker] = {}


def _ray_task(workload: Workload, job: Job, wait: bool) -> JobReport:
    """Body of one Ray task: do ``job`` with this process's worker for ``workload``."""
    import ray

    cpus = ray.get_runtime_context().get_assigned_resources().get("CPU", 1.0)
    torch.set_num_threads(max(1, int(cpus)))
    ident = hashlib.sha256("\n".join([workload.store_root, repr(workload.plan), *sorted(workload.cells)]).encode()).hexdigest()
    if ident not in _RAY_WORKER:
        _RAY_WORKER.clear()
        _RAY_WORKER[ident] = Worker(workload, workload.plan.device)
    return _RAY_WORKER[ident].run(job, wait=wait)


def run_ray(workload: Workload, *, address: str | None = None, progress: Progress = lambda n: None,
            status: Log = lambda text: None) -> list[JobReport]:
    """Run every job as a Ray task; workers write to the store, the driver counts cells.

    Parameters
    ----------
    workload : Workload
    address : str, optional
        Ray cluster address (``ray://host:10001``, ``host:6379`` or ``auto``); without it, a Ray
        instance already initialised in this process is used, else a local one is started.
    progress, status : callable
        As in :func:`run_local`; progress is reported per finished job.
    """
    ray = import_ray()
    started = False
    if not ray.is_initialized():
        if address is None:
            status("starting a local Ray instance")
            ray.init(include_dashboard=False, log_to_driver=False)
        else:
            status(f"connecting to Ray at {address}")
            ray.init(address=address, log_to_driver=False)
        started = True
    try:
        gpus = ray.cluster_resources().get("GPU", 0)
        task = ray.remote(num_cpus=1, num_gpus=1 if gpus else 0, max_retries=0)(_ray_task)
        shared = ray.put(workload)
        pending = {task.remote(shared, job, False): job for job in workload.jobs}
        status(f"{len(pending)} Ray tasks submitted")
        reports = []
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            job = pending.pop(ready[0])
            try:
                report = ray.get(ready[0])
            except ray.exceptions.RayTaskError as exc:
                for ref in pending:
                    ray.cancel(ref)
                cause = exc.cause if isinstance(exc.cause, BaseException) else exc
                raise WorkerFailedError(f"Ray task for {job.label} failed: {type(cause).__name__}: {cause}") from None
            if report.busy:
                pending[task.remote(shared, job, True)] = job
                continue
            progress(report.computed + report.found)
            reports.append(report)
        return reports
    finally:
        if started:
            ray.shutdown()
