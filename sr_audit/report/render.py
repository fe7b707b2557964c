"""Write ``report.md`` (with ``figures/*.png``) and one self-contained ``report.html`` from a store.

Nothing is recomputed: the report reads the store's records and crops only, so it can be
regenerated at any time. The HTML embeds every image as a base64 PNG data URI and uses no external
CSS, JavaScript or fonts. Every file is written atomically; figures first, then the markdown, then
the HTML.
"""
from __future__ import annotations

import base64
import io
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import jinja2

from sr_audit.errors import DataError
from sr_audit.report.plots import DPI, finding_png, heatmaps_png
from sr_audit.report.tables import (METRIC_LABELS, PUBLISHED_TITLE, SEED_SPREAD_RULE, VIEWS, Cell, Finding,
                                    PublishedComparison, ReportData, TextTable, build, fmt)
from sr_audit.io_util import atomic_write_bytes
from sr_audit.matrix.runs import RunRecord, read_runs
from sr_audit.matrix.store import CROP_ROLES, Store

#: Metrics in report order: luma first, as SR papers report it.
REPORT_METRICS: tuple[str, ...] = ("psnr_y", "ssim_y", "psnr_rgb", "ssim_rgb")

#: Title of the report's opening section.
FINDING_TITLE = "Finding"

#: Title of the section of the store's run records (:mod:`sr_audit.matrix.runs`).
RUNS_TITLE = "How this store was made"

#: How to read the report; shared by the markdown and the HTML.
DEFINITIONS: tuple[tuple[str, str], ...] = (
    ("cell", "one (train spec, eval spec, scale, model, seed, recipe) result: a model trained on the train "
             "spec's degradation, evaluated on LR images made by the eval spec and upscaled by the eval spec's "
             "bicubic before the network; every value is the mean over the eval set's images"),
    ("rows and columns", "train specs are rows, eval specs are columns; the authors' released weights are "
                         "extra rows below a rule; matched cells (train spec = eval spec) are outlined/bold"),
    (VIEWS["absolute"], "the metric of cell (T, E); the last table row is the bicubic baseline of each column"),
    (VIEWS["vs_matched"], "cell (T, E) minus cell (E, E) of the same group: the reference of column E is the "
                          "model trained on E's own degradation, so the diagonal reads 'ref' (0 by construction) and a "
                          "negative value is the cost of training with another library; columns whose eval spec was not trained "
                          "have no reference (–)"),
    (VIEWS["vs_bicubic"], "cell (T, E) minus the bicubic cell of E (same eval set, protocol and scale): what "
                          "the network adds to its own input"),
    ("seeds", "when a group was trained with several seeds, one more group shows each view's mean ± "
              "standard deviation over seeds (computed per seed, then averaged), to read differences against "
              "seed-to-seed noise"),
    (SEED_SPREAD_RULE.marker, SEED_SPREAD_RULE.legend() + "; in the figures such values are in italics"),
    ("finding", "the report's opening paragraph and figure: the vs-matched view of the trained rows of the main "
                "configuration (the protocol, model, space and recipe with the most mismatch cells; the mean over "
                "seeds where there are several), one panel per eval set and scale on one colour scale; every number "
                "in the paragraph is computed from these panels, the published figures and the training notes"),
    ("colours", "blue is better than the reference, red is worse; difference colour scales are symmetric "
                "about 0"),
    ("best / worst cells", "the trained cells with the largest and smallest PSNR Y gain over their eval "
                           "spec's bicubic baseline"),
    ("published vs measured", "each figure a recipe's source reports (data set, scale, metric space), beside "
                              "this store's matched cells of that recipe on the same data set and scale, under the "
                              "store's protocol; Δ = measured − reported. A matrix row resizes down and up with one "
                              "spec, so a cell reproduces the source's own pipeline only when that pipeline does too"),
)


@dataclass(frozen=True)
class ReportFiles:
    """Paths written by :func:`write_report`."""

    markdown: Path
    html: Path
    figures: tuple[Path, ...]


@dataclass(frozen=True)
class _Figure:
    metric: str
    label: str
    png: bytes
    file: str  # relative to the report folder
    tables: tuple[tuple[str, TextTable], ...]
    per_image: TextTable | None  # None for a group over seeds: see the groups of each seed

    @property
    def data_uri(self) -> str:
        return _data_uri(self.png)

    @property
    def css_width(self) -> int:
        """Width in CSS pixels (96 per inch) at which the figure shows at its drawn size."""
        return _css_width(self.png)


@dataclass(frozen=True)
class _Crop:
    role: str
    caption: str
    path: Path
    width: int
    height: int

    @property
    def data_uri(self) -> str:
        return _data_uri(self.path.read_bytes())

    @property
    def zoom(self) -> int:
        """Integer display zoom (nearest neighbour) so the longer side is about 176 CSS pixels."""
        return max(1, 176 // max(self.width, self.height))


@dataclass(frozen=True)
class _Visual:
    title: str
    description: str
    images: tuple[tuple[str, tuple[_Crop, ...]], ...]


@dataclass(frozen=True)
class _Opening:
    """The finding: its paragraph and figure (None without a mismatch cell)."""

    text: str
    png: bytes | None
    file: str = "figures/finding.png"

    @property
    def data_uri(self) -> str:
        return "" if self.png is None else _data_uri(self.png)

    @property
    def css_width(self) -> int:
        return _css_width(self.png) if self.png is not None else 0


def _opening(finding: Finding) -> _Opening:
    title = ""
    if finding.panels:
        g = finding.panels[0][0]
        title = " · ".join([f"SRCNN {g.model}" + (" RGB" if g.space == "rgb" else "")]
                           + ([f"recipe {g.recipe}"] if g.recipe is not None else []) + [f"protocol {g.protocol}"])
    return _Opening(text=finding.text, png=finding_png(finding, title))


def _css_width(png: bytes) -> int:
    """Width in CSS pixels (96 per inch) at which a figure shows at its drawn size."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as im:
        return round(im.width * 96 / DPI)


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _figures(data: ReportData) -> list[tuple[Any, list[_Figure]]]:
    sections = []
    for group in data.groups:
        figures = []
        for metric in REPORT_METRICS:
            matrix = data.matrix(group, metric)
            figures.append(_Figure(
                metric=metric, label=METRIC_LABELS[metric], png=heatmaps_png(matrix, group.label),
                file=f"figures/{group.slug}-{metric}.png",
                tables=tuple((VIEWS[v], matrix.text(v)) for v in VIEWS),
                per_image=None if group.seeds else data.per_image(group, metric)))
        sections.append((group, figures))
    return sections


def _crops(store: Store, cell: Cell, captions: dict[str, str]) -> dict[str, list[_Crop]]:
    """``image -> crops`` of ``cell`` for the roles in ``captions``, in that order."""
    from PIL import Image

    by_image: dict[str, list[_Crop]] = {}
    for role in captions:
        for (image, r), path in store.crops(cell.key).items():
            if r == role:
                with Image.open(path) as im:
                    by_image.setdefault(image, []).append(_Crop(role, captions[role], path, *im.size))
    return by_image


def _visuals(store: Store, data: ReportData) -> list[_Visual]:
    """Best and worst trained cells by PSNR Y gain over bicubic, with their crops; a cell that is not
    matched also shows the matched model's output on the same image."""
    gains = data.gains()
    picks = [("Best cell", *gains[0])] if gains else []
    if len(gains) > 1:
        picks.append(("Worst cell", *gains[-1]))
    out = []
    for title, cell, gain in picks:
        r = cell.record
        by_image = _crops(store, cell, {role: CROP_ROLES[role] for role in CROP_ROLES})
        matched = data.matched(cell)
        if matched is not None and matched.key != cell.key:
            extra = _crops(store, matched, {"sr": f"output of the model trained on {r.eval_spec} (matched)"})
            for image, crops in extra.items():
                if image in by_image:
                    by_image[image] += crops
        description = (f"train {r.train_spec} → eval {r.eval_spec} · {r.eval_set} ×{r.scale} · SRCNN {r.model} · "
                       f"seed {r.seed} · recipe {cell.recipe}: PSNR Y {fmt('psnr_y', cell.mean('psnr_y'))} dB, "
                       f"{fmt('psnr_y', gain, signed=True)} dB over bicubic")
        out.append(_Visual(title=title, description=description,
                           images=tuple((name, tuple(crops)) for name, crops in sorted(by_image.items()))))
    return out


def _markdown(store: Store, data: ReportData, opening: _Opening, sections: list[tuple[Any, list[_Figure]]],
              visuals: list[_Visual], published: PublishedComparison | None, header: dict[str, Any], out: Path,
              notes: list[str], group_notes: dict[str, list[str]], runs: TextTable | None) -> str:
    lines = ["# sr-audit report", "",
             f"Store `{store.root}` · generated {header['generated']} by sr-audit {header['version']} · "
             f"{header['summary']}", "", f"## {FINDING_TITLE}", "", opening.text, ""]
    if opening.png is not None:
        lines += [f"![{FINDING_TITLE}: what each train/eval mismatch costs]({opening.file})", ""]
    if notes:
        lines += ["## Read first: training budgets", ""] + [f"- {n}" for n in notes] + [""]
    if runs is not None:
        lines += [f"## {RUNS_TITLE}", "", runs.markdown(), ""]
    lines += ["## How to read it", ""]
    lines += [f"- **{term}**: {text}" for term, text in DEFINITIONS]
    if published is not None:
        lines += ["", f"## {PUBLISHED_TITLE}", "", published.table.markdown(), ""]
        lines += [f"{i}. {source}" for i, source in enumerate(published.sources, 1)]
    for group, figures in sections:
        lines += ["", f"## {group.label}"]
        if group_notes[group.slug]:
            lines += [""] + [f"> {n}" for n in group_notes[group.slug]]
        for fig in figures:
            lines += ["", f"### {fig.label}", "", f"![{fig.label}, {group.label}]({fig.file})"]
            for title, table in fig.tables:
                lines += ["", f"**{title}**", "", table.markdown()]
        for fig in figures:
            if fig.per_image is not None:
                lines += ["", f"### Per image: {fig.label}", "", fig.per_image.markdown()]
    lines += ["", "## Visual comparison", ""]
    if not visuals:
        lines.append("No trained cell with a bicubic baseline.")
    for v in visuals:
        lines += [f"### {v.title}", "", v.description, ""]
        if not v.images:
            lines += ["No crops stored for this cell.", ""]
        for name, crops in v.images:
            rel = [os.path.relpath(c.path, out) for c in crops]
            lines += [f"{name}: " + " ".join(f"![{c.role}]({p})" for c, p in zip(crops, rel)) + "  ",
                      " · ".join(c.caption for c in crops), ""]
    lines += ["## Conventions of the eval specs", "", data.conventions_table().markdown(), "", "## Metric protocol"]
    for label, table in data.protocol_tables():
        lines += ["", f"### {label}", "", table.markdown()]
    lines += ["", "## Models", "", data.models_table().markdown() if data.models else "No models.",
              "", "## Environment", "", data.environment_table().markdown()]
    if data.superseded:
        lines += ["", "## Superseded cells", "",
                  "Older cells at the same place as a newer one (e.g. reruns with other library versions); not shown above:", ""]
        lines += [f"- `{c.key[:12]}` {c.row} → {c.record.eval_spec} ({c.record.environment.date})" for c in data.superseded]
    return "\n".join(lines) + "\n"


def format_duration(seconds: float) -> str:
    """A wall time as the report and the terminal print it: ``"4 min 55 s"``, ``"1 h 02 min"`` or
    ``"38 s"``."""
    s = round(seconds)
    if s >= 3600:
        return f"{s // 3600} h {s % 3600 // 60:02d} min"
    return f"{s // 60} min {s % 60:02d} s" if s >= 60 else f"{s} s"


def runs_table(runs: list[RunRecord]) -> TextTable | None:
    """One row per ``sr-audit matrix`` run into the store: when, the command, the configuration it
    chose and why (empty when the options named it), wall time, what it computed, the machine; None
    for a store written before runs were recorded."""
    if not runs:
        return None
    rows = tuple(
        (r.started.replace("+00:00", " UTC"), r.command, r.configuration or "as given by the options",
         format_duration(r.wall_seconds), f"{r.cells_computed} of {r.cells_total}", str(r.models_trained), r.machine)
        for r in runs
    )
    return TextTable(("started", "command", "configuration", "wall time", "cells computed", "models trained", "machine"),
                     rows, numeric=(False, False, False, True, True, True, False))


def _template() -> jinja2.Template:
    env = jinja2.Environment(loader=jinja2.PackageLoader("sr_audit", "templates"),
                             autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    return env.get_template("report.html.j2")


def write_report(store: Store, out: str | os.PathLike[str] | None = None) -> ReportFiles:
    """Write ``report.md``, ``figures/`` and ``report.html`` for ``store``.

    Parameters
    ----------
    store : Store
    out : path, optional
        Folder to write into; default the store folder. Figures of an earlier report that this one
        does not produce are removed from ``out/figures``.

    Returns
    -------
    ReportFiles

    Raises
    ------
    DataError
        The store has no finished cell.
    """
    out = Path(out) if out is not None else store.root
    records = store.cell_records()
    if not records:
        raise DataError(f"the store {store.root} has no finished cells yet; run `sr-audit matrix` into it first")
    data = build(records, store.model_records())
    opening = _opening(data.finding())
    sections = _figures(data)
    visuals = _visuals(store, data)
    published = data.published()
    from sr_audit import __version__

    counts = data.counts()
    header = {
        "generated": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "version": __version__,
        "summary": f"{len(data.cells)} cells ({', '.join(f'{n} {k}' for k, n in counts.items())}), {len(data.models)} models",
    }
    figures = []
    if opening.png is not None:
        atomic_write_bytes(out / opening.file, opening.png)
        figures.append(out / opening.file)
    for _, figs in sections:
        for fig in figs:
            atomic_write_bytes(out / fig.file, fig.png)
            figures.append(out / fig.file)
    for old in (out / "figures").glob("*.png"):
        if old not in figures:
            old.unlink()
    markdown = out / "report.md"
    notes = data.training_notes()
    group_notes = {g.slug: data.training_notes(g) for g, _ in sections}
    runs = runs_table(read_runs(store.root))
    atomic_write_bytes(markdown, _markdown(store, data, opening, sections, visuals, published, header, out, notes,
                                           group_notes, runs).encode("utf-8"))
    html = _template().render(
        store=str(store.root), header=header, definitions=DEFINITIONS, opening=opening, finding_title=FINDING_TITLE,
        sections=sections, visuals=visuals, runs=runs, runs_title=RUNS_TITLE,
        published=published, published_title=PUBLISHED_TITLE, training_notes=notes, group_notes=group_notes,
        conventions=data.conventions_table(), protocols=data.protocol_tables(),
        models=data.models_table() if data.models else None, environment=data.environment_table(),
        superseded=data.superseded,
    )
    html_path = out / "report.html"
    atomic_write_bytes(html_path, html.encode("utf-8"))
    return ReportFiles(markdown=markdown, html=html_path, figures=tuple(figures))
