"""What each ``sr-audit matrix`` run into a store was: :class:`RunRecord`, one ``runs/*.json`` each.

A store holds cells from any number of runs; the report says how it was made from these records:
the command as typed, the configuration the command chose when options were left out and why (the
first line it printed, :func:`sr_audit.matrix.plan.describe_choice`), when it started, its wall
time, what it computed, and the machine. They are not part of any key and change no number.

Layout::

    runs/<started, compact UTC>-<pid>.json     one per run, written atomically when it ends
"""
from __future__ import annotations

import json
import os
import shlex
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sr_audit.errors import DataError
from sr_audit.io_util import atomic_write_bytes, cpu_model

#: Folder of the run records inside a store.
RUNS_DIR = "runs"


@dataclass(frozen=True)
class RunRecord:
    """One ``sr-audit matrix`` run into a store.

    Attributes
    ----------
    command : str
        The command line, quoted as a shell would need it.
    configuration : str
        The line the command printed first when it chose the configuration itself (data, recipe,
        train rows; why, and how to get the other one); "" when the options named it.
    started : str
        ISO 8601 start time, UTC.
    wall_seconds : float
        Wall time from the start to the last cell.
    cells_total, cells_computed, models_trained : int
        Cells of the plan, cells this run computed (the others were in the store), models it
        trained.
    machine : str
        CPU model and count, torch threads and the device.
    """

    command: str
    configuration: str
    started: str
    wall_seconds: float
    cells_total: int
    cells_computed: int
    models_trained: int
    machine: str

    def __post_init__(self) -> None:
        for name in ("command", "configuration", "started", "machine"):
            if not isinstance(getattr(self, name), str):
                raise DataError(f"run record: {name} must be a string, got {getattr(self, name)!r}")
        for name in ("cells_total", "cells_computed", "models_trained"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise DataError(f"run record: {name} must be a non-negative integer, got {value!r}")
        if isinstance(self.wall_seconds, bool) or not isinstance(self.wall_seconds, (int, float)) or not self.wall_seconds >= 0:
            raise DataError(f"run record: wall_seconds must be a non-negative number, got {self.wall_seconds!r}")
        try:
            datetime.fromisoformat(self.started)
        except ValueError:
            raise DataError(f"run record: started must be an ISO 8601 time, got {self.started!r}") from None

    @classmethod
    def from_dict(cls, obj: Any, where: str) -> RunRecord:
        """The record of a parsed ``runs/*.json``; :class:`DataError` naming ``where`` if it is not one."""
        fields = set(cls.__dataclass_fields__)
        if not isinstance(obj, dict) or set(obj) != fields:
            raise DataError(f"{where} is not a run record (fields {', '.join(sorted(fields))}); delete it or restore it")
        try:
            return cls(**obj)
        except DataError as exc:
            raise DataError(f"{where}: {exc}") from None


def machine_description(device: str, threads: int, workers: int = 1) -> str:
    """E.g. ``"AMD EPYC 7B13, 2 logical CPUs, torch 2 threads, cpu"`` (one worker: this process) or
    ``"..., 2 worker processes x torch 1 thread, cpu"``."""
    plural = "" if threads == 1 else "s"
    run = f"torch {threads} thread{plural}" if workers <= 1 else f"{workers} worker processes x torch {threads} thread{plural}"
    return f"{cpu_model()}, {os.cpu_count()} logical CPUs, {run}, {device}"


def command_line(argv: list[str]) -> str:
    """``sr-audit`` and its arguments, quoted as a shell would need them."""
    return shlex.join(["sr-audit", *argv])


def record_run(store_root: str | os.PathLike[str], run: RunRecord) -> Path:
    """Write ``run`` into the store's ``runs/`` folder (atomically); its path."""
    stamp = datetime.fromisoformat(run.started).astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path = Path(store_root) / RUNS_DIR / f"{stamp}-{os.getpid()}.json"
    atomic_write_bytes(path, (json.dumps(asdict(run), indent=1, ensure_ascii=False) + "\n").encode("utf-8"))
    return path


def read_runs(store_root: str | os.PathLike[str]) -> list[RunRecord]:
    """Every run record of the store, oldest first ([] for a store made before runs were recorded)."""
    runs = []
    for path in sorted((Path(store_root) / RUNS_DIR).glob("*.json")):
        try:
            obj = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise DataError(f"{path} is unreadable ({exc}); delete it or restore it") from None
        runs.append(RunRecord.from_dict(obj, str(path)))
    return sorted(runs, key=lambda r: datetime.fromisoformat(r.started))


__all__ = ["RUNS_DIR", "RunRecord", "command_line", "machine_description", "read_runs", "record_run"]
