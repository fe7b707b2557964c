"""The main job: train one SRCNN per train backend spec and evaluate it on every eval backend spec.

:class:`MatrixPlan` says what to compute (checked at the boundary), :func:`run_matrix` computes
what the store does not hold yet and writes the report. Layers: :mod:`~sr_audit.matrix.plan`
(the plan as data), :mod:`~sr_audit.matrix.work` (keys, jobs, the worker that trains and
evaluates), :mod:`~sr_audit.matrix.executors` (``local`` and ``ray``),
:mod:`~sr_audit.matrix.runner` (the whole run).
"""
from sr_audit.matrix.executors import EXECUTORS
from sr_audit.matrix.plan import MatrixPlan
from sr_audit.matrix.runner import MatrixResult, run_matrix
from sr_audit.matrix.work import BICUBIC_ROW, diagonal_gains

__all__ = ["BICUBIC_ROW", "EXECUTORS", "MatrixPlan", "MatrixResult", "diagonal_gains", "run_matrix"]
