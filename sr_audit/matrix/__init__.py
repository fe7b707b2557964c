"""The main job: train one SRCNN per train backend spec and evaluate it on every eval backend spec.

:class:`MatrixPlan` says what to compute (checked at the boundary), :func:`run_matrix` computes
what the store does not hold yet and returns what it ran; tables and reports are the report
layer's (:mod:`sr_audit.report`), read from the store. Layers: :mod:`~sr_audit.matrix.plan`
(the plan as data), :mod:`~sr_audit.matrix.work` (keys, jobs, the worker that trains and
evaluates), :mod:`~sr_audit.matrix.executors` (``local`` and ``ray``),
:mod:`~sr_audit.matrix.runner` (the whole run), :mod:`~sr_audit.matrix.store` (the results store).
"""
import importlib
from typing import Any

#: Where each public name lives. They are imported on first use, so importing a submodule (the
#: store, the plan) does not import the trainer.
_SOURCES = {
    "EXECUTORS": "executors",
    "MatrixPlan": "plan",
    "MatrixResult": "runner",
    "run_matrix": "runner",
}

__all__ = sorted(_SOURCES)


def __getattr__(name: str) -> Any:
    if name not in _SOURCES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_SOURCES[name]}"), name)
