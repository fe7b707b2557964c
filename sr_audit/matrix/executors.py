"""Where a matrix's jobs run: :data:`EXECUTORS`.

Every executor runs :class:`~sr_audit.matrix.work.Job` s (one model and its cells, the unit of
work) with :class:`~sr_audit.matrix.work.Worker` s, and **the workers write their results to the
store themselves**: the store is a folder with per-key locks, so any number of processes can write
to it (``sr_audit.matrix.store``, "Concurrency"). The driver only counts finished cells for the progress
bar. A job whose model another process is training is put back at the end of the queue and then
waited for.

``local``
    Worker processes (spawned) taking jobs from a shared queue, each preparing the evaluation inputs
    it needs once; or this process alone, one job after the other, when there is one worker
    (:func:`local_workers`). By default (``--workers auto``) there is one worker per CUDA GPU with
    ``--device auto``, and on the CPU one per core (at most :data:`AUTO_CPU_WORKERS`, and no more
    than there are models to train), each with the cores divided among them as torch threads:
    SRCNN's small batches use one core far better than two (two one-thread trainings in parallel
    make about 1.5x the windows per second of one two-thread training; benchmarks/README.md).
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
import os
import queue as queue_module
import traceback
from collections.abc import Callable, Sequence
from typing import Any

import torch

from sr_audit.allocator import retain_freed_memory
from sr_audit.device import resolve_device
from sr_audit.errors import SpecError, SrAuditError
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


#: ``--workers auto`` starts at most this many CPU worker processes (each holds its own copy of the
#: training patches and prepared evaluation inputs, up to a few GB for the full matrix).
AUTO_CPU_WORKERS = 4


def cpu_cores() -> int:
    """Cores this process may run on (its CPU affinity where the platform has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def local_workers(device: str, workers: int | str, models: int, threads: int | None = None) -> tuple[tuple[str, ...], int | None]:
    """Devices (one per worker process) and torch threads per worker of the ``local`` executor.

    Parameters
    ----------
    device : str
        The plan's device (``auto``, ``cpu``, ``cuda``, ``cuda:N``).
    workers : int or ``"auto"``
        Worker processes; ``auto``: one per CUDA GPU (:func:`local_devices`) when training on CUDA,
        else one per core, at most :data:`AUTO_CPU_WORKERS` and at most ``models``. Several
        workers cycle over the GPUs of :func:`local_devices`.
    models : int
        Models the workload trains (more CPU workers than that would sit idle).
    threads : int, optional
        torch threads per worker; default: the cores divided among the workers on the CPU, torch's
        own choice on CUDA.

    >>> local_workers("cpu", 2, models=42)[0]
    ('cpu', 'cpu')
    """
    if workers != "auto" and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise SpecError(f"--workers must be a positive integer or auto, got {workers!r}")
    gpus = local_devices(device)
    on_cpu = resolve_device(gpus[0]).type == "cpu"
    if workers == "auto":
        workers = max(1, min(cpu_cores(), AUTO_CPU_WORKERS, models)) if on_cpu else len(gpus)
    devices = tuple(gpus[i % len(gpus)] for i in range(workers))
    if threads is None and on_cpu and workers > 1:
        threads = max(1, cpu_cores() // workers)
    return devices, threads


def run_local(workload: Workload, *, devices: Sequence[str] | None = None, threads: int | None = None,
              progress: Progress = lambda n: None, status: Log = lambda text: None) -> list[JobReport]:
    """Run the jobs in this process, or in one process per device when several are given.

    Parameters
    ----------
    workload : Workload
    devices : sequence of str, optional
        Default :func:`local_devices` of ``plan.device``. Several devices (``("cuda:0",
        "cuda:1")``, or ``("cpu", "cpu")``: two CPU workers, :func:`local_workers`) start one
        process each.
    threads : int, optional
        torch threads of each worker process (default torch's own choice); this process's are the
        caller's.
    progress : callable
        Called with the number of cells just finished.
    status : callable
        Called with what is being done.
    """
    devices = tuple(devices) if devices is not None else local_devices(workload.plan.device)
    if len(devices) > 1:
        return _run_processes(workload, devices, threads, progress, status)
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


def _process_main(workload: Workload, device: str, threads: int | None, jobs: Any, events: Any) -> None:
    """Body of a local worker process: do jobs from ``jobs`` until None, report on ``events``.

    A CPU worker owns its process, so it tunes the C allocator as the command does
    (:func:`sr_audit.allocator.retain_freed_memory`)."""
    try:
        if threads is not None:
            torch.set_num_threads(threads)
        if resolve_device(device).type == "cpu":
            retain_freed_memory()
        worker = Worker(workload, device, on_cell=lambda key: events.put(("cell", key)),
                        on_status=lambda text: events.put(("status", f"{device}: {text}")))
        while (item := jobs.get()) is not None:
            job, wait = item
            report = worker.run(job, wait=wait)
            events.put(("busy", job) if report.busy else ("done", report))
    except BaseException as exc:  # reported to the driver, which stops the others
        events.put(("error", f"{device}: {type(exc).__name__}: {exc}", traceback.format_exc()))


def _run_processes(workload: Workload, devices: Sequence[str], threads: int | None, progress: Progress,
                   status: Log) -> list[JobReport]:
    ctx = multiprocessing.get_context("spawn")
    jobs, events = ctx.Queue(), ctx.Queue()
    for job in workload.jobs:
        jobs.put((job, False))
    processes = [ctx.Process(target=_process_main, args=(workload, d, threads, jobs, events), daemon=True) for d in devices]
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
