"""Heatmaps of train x eval matrices, drawn with matplotlib's object API and the Agg canvas.

No pyplot and no global backend switch: each figure is a standalone :class:`~matplotlib.figure.Figure`
rendered to PNG bytes, so importing this module changes nothing for the caller.

Reading a figure: rows are train specs (then the authors' weights below a rule), columns are eval
specs, matched cells (train spec = eval spec) are outlined. The absolute panel uses a sequential
colormap; both difference panels use a diverging colormap centred at 0, symmetric about it
(blue: better than the reference, red: worse), and every cell is annotated with its value; in a
group over seeds, mean ± std, and a difference within the seed spread is set in italics and ends
with the rule's marker (:data:`~sr_audit.report.tables.SEED_SPREAD_RULE`, as in the tables).

:func:`finding_png` draws the report's opening figure: the vs-matched view of the trained rows,
one panel per scale (a row of panels per eval set), on one colour scale.
"""
from __future__ import annotations

import io
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from sr_audit.report.tables import METRIC_LABELS, SEED_SPREAD_RULE, VIEWS, Finding, Matrix

DPI = 150
#: Most eval specs for which the three panels sit side by side.
SIDE_BY_SIDE_MAX = 5
_SEQUENTIAL = "viridis"
_DIVERGING = "RdBu"
_MISSING = "#e4e4e4"


def _text_colour(rgba: tuple[float, float, float, float]) -> str:
    r, g, b, _ = rgba
    return "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.5 else "white"


# Layout in inches. Text widths are estimated (DejaVu Sans at 8.5 pt is about 0.068 in a character)
# so the figure needs no layout engine, which would draw every figure twice.
_CELL_W, _CELL_H = 0.78, 0.36
_CHAR_W = 0.068
_TITLE_H = 0.32  # a panel title
_SUPTITLE_H = 0.34
_BAR_W = 0.9  # gap, colour bar, its tick labels and label
_GAP = 0.3
_MARGIN = 0.12


def _signed_norm(matrices: list[Matrix], view: str) -> Normalize:
    """A colour scale symmetric about 0 over ``view`` of every matrix."""
    values = np.concatenate([m.view(view).to_numpy(dtype=float).ravel() for m in matrices])
    finite = values[np.isfinite(values)]
    span = float(np.max(np.abs(finite))) if finite.size else 0.0
    span = span or (0.01 if matrices[0].metric.startswith("psnr") else 1e-4)
    return Normalize(-span, span)


def _panel(fig: Figure, ax, bar_ax, matrix: Matrix, view: str, *, row_labels: bool,  # type: ignore[no-untyped-def]
           norm: Normalize | None = None, title: str | None = None) -> Any:
    """Draw one view of ``matrix`` on ``ax`` (its colour bar on ``bar_ax`` unless None); ``norm``
    fixes the colour scale (default: this panel's values). Returns the image, for a shared bar."""
    import matplotlib

    frame = matrix.view(view)
    values = frame.to_numpy(dtype=float)
    finite = values[np.isfinite(values)]
    signed = view != "absolute"
    if signed:
        norm, cmap = norm or _signed_norm([matrix], view), matplotlib.colormaps[_DIVERGING]
    elif norm is not None:
        cmap = matplotlib.colormaps[_SEQUENTIAL]
    else:
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        pad = (hi - lo) * 0.05 or 0.01
        norm, cmap = Normalize(lo - pad, hi + pad), matplotlib.colormaps[_SEQUENTIAL]
    cmap = cmap.with_extremes(bad=_MISSING)
    image = ax.imshow(np.ma.masked_invalid(values), cmap=cmap, norm=norm, aspect="auto", interpolation="nearest")
    for i, row in enumerate(frame.index):
        for j, col in enumerate(frame.columns):
            v = values[i, j]
            colour = "#777777" if not np.isfinite(v) else _text_colour(cmap(norm(v)))
            weight = "bold" if row == col else "normal"
            style = "italic" if matrix.verdict(view, str(row), str(col)) is False else "normal"
            ax.text(j, i, matrix.cell_text(view, str(row), str(col), v, sep="\n"), ha="center", va="center",
                    fontsize=8.5 if matrix.spread is None else 7.5, linespacing=1.0,
                    color=colour, fontweight=weight, fontstyle=style)
            if row == col:
                ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, edgecolor="black", linewidth=1.8))
    if matrix.n_trained_rows < len(frame.index):
        ax.axhline(matrix.n_trained_rows - 0.5, color="black", linewidth=1.6)
    ax.set_xticks(range(len(frame.columns)), labels=list(frame.columns), rotation=35, ha="right",
                  rotation_mode="anchor", fontsize=8.5)
    ax.set_yticks(range(len(frame.index)), labels=list(frame.index) if row_labels else [], fontsize=8.5)
    ax.tick_params(length=0)
    ax.set_xlabel("eval spec", fontsize=9)
    if row_labels:
        ax.set_ylabel("train spec", fontsize=9)
    ax.set_title(VIEWS[view] if title is None else title, fontsize=9.5)
    for spine in ax.spines.values():
        spine.set_visible(False)
    if bar_ax is not None:
        _bar(fig, image, bar_ax, matrix.metric, signed)
    return image


def _bar(fig: Figure, image: Any, bar_ax: Any, metric: str, signed: bool) -> None:
    bar = fig.colorbar(image, cax=bar_ax)
    bar.ax.tick_params(labelsize=7.5)
    unit = "dB" if metric.startswith("psnr") else ""
    bar.set_label(f"Δ {unit}".strip() if signed else unit, fontsize=8)


def agg_figure(**kwargs: Any) -> Figure:
    """A standalone :class:`~matplotlib.figure.Figure` (``kwargs``: its arguments) on its own Agg
    canvas: drawn without pyplot and without switching the process's matplotlib backend."""
    fig = Figure(**kwargs)
    FigureCanvasAgg(fig)
    return fig


def figure_png(fig: Figure, **kwargs: Any) -> bytes:
    """``fig`` as PNG bytes (``kwargs``: :meth:`~matplotlib.figure.Figure.savefig`'s)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", **kwargs)
    return buffer.getvalue()


def heatmaps_png(matrix: Matrix, title: str) -> bytes:
    """The three views of ``matrix`` (absolute, vs matched, vs bicubic) as one PNG.

    Parameters
    ----------
    matrix : Matrix
        One metric of one group (:meth:`ReportData.matrix`).
    title : str
        Figure title (the metric label is prepended).

    Returns
    -------
    bytes
        PNG image at :data:`DPI` dots per inch. Up to :data:`SIDE_BY_SIDE_MAX` eval specs the
        panels sit side by side (about 13 inches wide for 4 eval specs); with more they are stacked.
    """
    frame = matrix.absolute
    n_rows, n_cols = frame.shape
    left = 0.45 + _CHAR_W * max(len(str(r)) for r in frame.index)
    bottom = 0.45 + 0.6 * _CHAR_W * max(len(str(c)) for c in frame.columns)
    panel_w, panel_h = _CELL_W * n_cols, (_CELL_H if matrix.spread is None else 1.3 * _CELL_H) * n_rows
    side_by_side = n_cols <= SIDE_BY_SIDE_MAX
    if side_by_side:
        width = left + 3 * (panel_w + _BAR_W) + 2 * _GAP + _MARGIN
        height = _SUPTITLE_H + _TITLE_H + panel_h + bottom
        origins = [(left + k * (panel_w + _BAR_W + _GAP), bottom) for k in range(3)]
    else:
        width = left + panel_w + _BAR_W + _MARGIN
        slot = _TITLE_H + panel_h + bottom
        height = _SUPTITLE_H + 3 * slot
        origins = [(left, bottom + (2 - k) * slot) for k in range(3)]
    fig = agg_figure(figsize=(width, height), dpi=DPI)
    for k, (view, (x, y)) in enumerate(zip(VIEWS, origins)):
        ax = fig.add_axes((x / width, y / height, panel_w / width, panel_h / height))
        bar_ax = fig.add_axes(((x + panel_w + 0.1) / width, y / height, 0.12 / width, panel_h / height))
        _panel(fig, ax, bar_ax, matrix, view, row_labels=k == 0 or not side_by_side)
    fig.suptitle(f"{METRIC_LABELS[matrix.metric]} — {title}", fontsize=10.5, y=1 - 0.08 / height, va="top")
    return figure_png(fig, metadata={"Software": None})


def finding_png(finding: Finding, title: str) -> bytes | None:
    """The finding's figure (:meth:`ReportData.finding`): what each train/eval mismatch costs, one
    panel per scale (columns) and eval set (rows), all on one diverging colour scale symmetric
    about 0, matched cells outlined and read "ref".

    Parameters
    ----------
    finding : Finding
    title : str
        Figure title (after "What each train/eval mismatch costs").

    Returns
    -------
    bytes or None
        PNG at :data:`DPI`; None when the finding has no panel.
    """
    if not finding.panels:
        return None
    sets = list(dict.fromkeys(g.eval_set for g, _ in finding.panels))
    scales = sorted({g.scale for g, _ in finding.panels})
    matrices = [m for _, m in finding.panels]
    n_rows = max(m.absolute.shape[0] for m in matrices)
    n_cols = max(m.absolute.shape[1] for m in matrices)
    seeds = any(m.spread is not None for m in matrices)
    left = 0.45 + _CHAR_W * max(len(str(r)) for m in matrices for r in m.absolute.index)
    bottom = 0.45 + 0.6 * _CHAR_W * max(len(str(c)) for m in matrices for c in m.absolute.columns)
    panel_w, panel_h = _CELL_W * n_cols, (1.3 * _CELL_H if seeds else _CELL_H) * n_rows
    slot_w, slot_h = left + panel_w + _GAP, _TITLE_H + panel_h + bottom
    width = len(scales) * slot_w + _BAR_W + _MARGIN
    height = _SUPTITLE_H + 0.2 + len(sets) * slot_h
    fig = agg_figure(figsize=(width, height), dpi=DPI)
    norm = _signed_norm(matrices, "vs_matched")
    image = None
    for group, matrix in finding.panels:
        i, j = sets.index(group.eval_set), scales.index(group.scale)
        x, y = j * slot_w + left, bottom + (len(sets) - 1 - i) * slot_h
        shape = matrix.absolute.shape
        w, h = panel_w * shape[1] / n_cols, panel_h * shape[0] / n_rows
        ax = fig.add_axes((x / width, (y + panel_h - h) / height, w / width, h / height))
        image = _panel(fig, ax, None, matrix, "vs_matched", row_labels=True, norm=norm,
                       title=f"{group.eval_set} ×{group.scale}")
    bar_x = len(scales) * slot_w + 0.1
    bar_ax = fig.add_axes((bar_x / width, bottom / height, 0.12 / width, (height - _SUPTITLE_H - 0.2 - bottom) / height))
    _bar(fig, image, bar_ax, finding.metric, True)
    note = (f"mean ± std over seeds; italic '{SEED_SPREAD_RULE.marker}': within the seed spread" if seeds
            else "one seed: spread unknown")
    fig.suptitle(f"What each train/eval mismatch costs: {METRIC_LABELS[finding.metric]}, Δ vs matched (T,E) − (E,E)\n"
                 f"{title} · {note}", fontsize=10, y=1 - 0.06 / height, va="top", linespacing=1.3)
    return figure_png(fig, metadata={"Software": None})
