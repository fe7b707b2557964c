"""The train x eval summary of a matrix run, as ``sr-audit matrix`` prints it in the terminal.

One builder for the terminal and the report: a summary is the report's own train x eval table
(:meth:`~sr_audit.report.tables.Matrix.table` of :func:`~sr_audit.report.tables.build`'s groups),
built from the run's cells, so its rows, labels (the train specs, ``authors' weights <file>``, a
pretrained model's name, :data:`~sr_audit.report.tables.BICUBIC_ROW`), order and values are those
of the report's absolute table, printed with the same rounding (:func:`~sr_audit.report.tables.fmt`).
Each table ends with the matched cells' gains over their bicubic baseline (the vs-bicubic view's
diagonal), the main job's promise: every matched cell beats its own bicubic input.

The terminal shows one table per group of one seed; the report's groups over several seeds
(mean ± std) are left to the report.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from sr_audit.errors import SpecError
from sr_audit.matrix.store import Store
from sr_audit.report.tables import BICUBIC_ROW, METRIC_LABELS, Group, build, fmt


@dataclass(frozen=True)
class Summary:
    """One group's train x eval table of one metric and its diagonal's gains over bicubic.

    Attributes
    ----------
    group : Group
        The report's group (its label is the report's section title).
    metric : str
        A key of :data:`~sr_audit.report.tables.METRIC_LABELS`.
    table : DataFrame
        :meth:`~sr_audit.report.tables.Matrix.table`: rows train specs, then other models, then
        :data:`~sr_audit.report.tables.BICUBIC_ROW`; columns eval specs.
    gains : mapping of str to float
        :meth:`~sr_audit.report.tables.Matrix.diagonal_gains`: eval spec -> matched cell minus its
        bicubic baseline.
    """

    group: Group
    metric: str
    table: pd.DataFrame
    gains: Mapping[str, float]

    @property
    def title(self) -> str:
        """The report's section title and the metric: ``Set5 · ×3 · ... : PSNR Y (dB)``."""
        return f"{self.group.label}: {METRIC_LABELS[self.metric]}"

    def gains_line(self) -> str | None:
        """``matched cells minus (bicubic): min +0.20 dB (tf:bicubic-aa), mean +0.31 dB``; None
        without a matched cell."""
        if not self.gains:
            return None
        worst = min(self.gains, key=lambda k: self.gains[k] if not math.isnan(self.gains[k]) else math.inf)
        mean = sum(self.gains.values()) / len(self.gains)
        unit = " dB" if self.metric.startswith("psnr") else ""
        return (f"matched cells minus {BICUBIC_ROW}: min {fmt(self.metric, self.gains[worst], signed=True)}{unit} "
                f"({worst}), mean {fmt(self.metric, mean, signed=True)}{unit}")

    def text(self) -> str:
        """The title, the table (values rounded as in the report, ``–`` for missing) and the gains line."""
        lines = [self.title, self.table.to_string(float_format=lambda v: fmt(self.metric, v), na_rep="–")]
        gains = self.gains_line()
        return "\n".join(lines + ([gains] if gains else []))


def summary_tables(store: Store, keys: Iterable[str] | None = None, metric: str = "psnr_y") -> list[Summary]:
    """The summaries of the cells ``keys`` of ``store`` (default: every cell), in the report's group
    order; one per group of one seed (see the module notes).

    Parameters
    ----------
    store : Store
    keys : iterable of str, optional
        Cell keys, e.g. :attr:`sr_audit.matrix.MatrixResult.cell_keys` (a run's plan); keys not in
        the store are left out.
    metric : str
        A key of :data:`~sr_audit.report.tables.METRIC_LABELS`.

    Raises
    ------
    SpecError
        An unknown metric.
    """
    if metric not in METRIC_LABELS:
        raise SpecError(f"unknown metric {metric!r}; metrics: {', '.join(METRIC_LABELS)}")
    records = store.cell_records()
    if keys is not None:
        wanted = set(keys)
        records = [r for r in records if r.key in wanted]
    data = build(records, store.model_records())
    out = []
    for group in data.groups:
        if group.seeds:
            continue
        matrix = data.matrix(group, metric)
        out.append(Summary(group=group, metric=metric, table=matrix.table(), gains=matrix.diagonal_gains()))
    return out


def format_summaries(summaries: Sequence[Summary]) -> str:
    """Every summary's :meth:`~Summary.text`, a blank line between them."""
    return "\n\n".join(s.text() for s in summaries)
