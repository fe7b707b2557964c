"""Everything a report shows, computed from store records with no I/O: matrices, per-image tables,
best/worst cells, conventions, protocols, environments.

Definitions (repeated in the reports)
-------------------------------------
A **group** is every cell that shares eval set, protocol, scale, network space (Y or RGB), model
name, seed and recipe; its train x eval matrices have train specs as rows and eval specs as columns. For a metric M and the
cell (T, E) of train spec T and eval spec E:

* **absolute**: M(T, E), the mean over the eval set's images;
* **vs matched**: M(T, E) - M(E, E), where (E, E) is the cell of the same group whose *train* spec
  is the column's eval spec E (the model trained on E's own degradation); a column whose eval spec
  was not trained has no reference and shows nothing;
* **vs bicubic**: M(T, E) - M(bicubic, E), where bicubic is the ``bicubic`` cell of E with the same
  eval set, protocol, scale and network space: the LR image (its Y plane, or its RGB channels)
  upscaled by E's own bicubic, i.e. the network's input.

When a group exists for several seeds, one more group stands for all of them: each view is computed
per seed, then its mean and standard deviation (ddof 1) over seeds are shown, and every difference
(vs matched, vs bicubic) within the seed spread is marked not significant by one rule,
:data:`SEED_SPREAD_RULE` (:class:`SeedSpreadRule`). With one seed the spread is unknown and nothing
is marked.

**The finding** (:meth:`ReportData.finding`): the vs-matched view of the trained rows, one panel
per eval set and scale, for the report's main configuration (protocol, model, space and recipe with
the most mismatch cells; groups over seeds where a configuration has them), and one paragraph
generated from those numbers: the largest cost, the median cost by antialiasing family (from the
cells' recorded conventions), how many costs stand out from the seed spread, and the models'
quality (gains over bicubic, published figures, training notes).

The authors' released weights (``official`` cells of the same eval set, protocol, scale and model
name; Y models) are extra rows under the train specs of Y groups, treated like any row; so are the
pretrained models brought with ``--model`` (``external`` cells of the same eval set, protocol, scale
and network space), each labelled by its file name or factory.

**Published vs measured** (:meth:`ReportData.published`): every figure a recipe's source reports
(:class:`sr_audit.published.ReportedFigure`, carried in the cells' recipe dicts) beside the matched
cells (train spec = eval spec) of that recipe on the same eval set (name, case ignored) and scale,
in the figure's metric space; Δ = measured − reported. Recipes that aim at a figure their source
does not report (``fast`` and ``sprint`` at the paper's 9-1-5 figures,
:data:`sr_audit.published.TARGETS`) are compared with it the same way, the source saying "target",
on the matched cells of the paper's degradation only (:data:`~sr_audit.published.TARGET_BACKENDS`).
"""
from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sr_audit.conventions import ResizeSpec
from sr_audit.errors import SpecError
from sr_audit.report.markdown import markdown_table
from sr_audit.published import TARGET_BACKENDS, TARGET_SOURCE, TARGETS, ReportedFigure
from sr_audit.io_util import canonical_json
from sr_audit.matrix.store import CELL_KINDS, CellRecord, ModelRecord, dict_label

#: What each metric column is, as reports label it.
METRIC_LABELS: dict[str, str] = {
    "psnr_rgb": "PSNR RGB (dB)",
    "psnr_y": "PSNR Y (dB)",
    "ssim_rgb": "SSIM RGB",
    "ssim_y": "SSIM Y",
}
#: The three views of a train x eval matrix, as reports title them.
VIEWS: dict[str, str] = {
    "absolute": "absolute",
    "vs_matched": "Δ vs matched (T,E) − (E,E)",
    "vs_bicubic": "gain over bicubic (T,E) − bicubic(E)",
}
#: Row label of the authors' released weights.
OFFICIAL = "authors' weights"
#: Row label of the bicubic baseline in per-image tables.
BICUBIC = "bicubic"
#: Row label of the bicubic baselines, the last row of the absolute train x eval table
#: (:meth:`Matrix.table`): in the report and in the terminal summary of ``sr-audit matrix``.
BICUBIC_ROW = f"({BICUBIC})"
#: Conventions fields in the order the conventions table shows them (others follow, sorted).
CONVENTION_ORDER: tuple[str, ...] = (
    "kernel", "cubic_a", "antialias", "pixel_centre", "border", "size_rule", "scale_source",
    "pass_order", "float_precision", "uint8_path", "rounding", "dtypes", "notes",
)


def fmt(metric: str, value: float, *, signed: bool = False) -> str:
    """A metric value as tables print it: PSNR with 2 decimals, SSIM with 4; '–' for missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if math.isinf(value):
        return "∞" if value > 0 else "−∞"
    digits = 2 if metric.startswith("psnr") else 4
    text = f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"
    return text.replace("-", "−")


@dataclass(frozen=True)
class SeedSpreadRule:
    """When a difference shown for a group over several seeds is within seed-to-seed noise.

    A difference D = A − B between a cell A and its reference B (the matched cell (E, E) in the
    vs-matched view; the bicubic baseline of E in the vs-bicubic view), averaged over n ≥ 2 seeds,
    is **significant** when

        |mean over seeds of D| > k · σ,    σ = max(s_D, √(s_A² + s_B²)),

    and is marked :attr:`marker` otherwise (ties are not significant, so a difference of 0 with no
    spread is not). s_X is the standard deviation over seeds (ddof 1) of X: s_D of the per-seed
    difference (the ± printed beside it), s_A and s_B of the two cells' own values (the ± of the
    absolute table). The bicubic baseline does not depend on the seed (s_B = 0), so in the
    vs-bicubic view σ is the cell's own spread; a row of the authors' weights is one model for all
    seeds (s_A = 0). Where a spread is unknown (a cell stored for one seed only) nothing is decided
    or marked.

    Why σ takes the larger of two spreads: both read "the seed spread". s_D is the noise of the
    difference when a seed pairs the two models (in a matrix one seed gives every train spec the
    same initialisation and batch order), what a paired test would use; √(s_A² + s_B²) is the
    noise of a difference between two cells that each move by their own spread when retrained.
    With two seeds each estimate has one degree of freedom and either can be near 0 by chance: two
    models of one seed trained on near-identical degradations stay near-identical (s_D ≈ 0) while
    each moves by hundredths of a dB between seeds. A difference is significant only when it
    stands out from both.

    Why k = 1: it is the issue's own reading ("every difference smaller than the seed spread").
    A mean over n seeds whose magnitude exceeds σ lies more than √n standard errors from 0 (1.4 for
    two seeds, about 84 % two-sided were σ known). It is a screen for differences another seed
    could make or unmake, not a test with a stated error rate: with σ estimated from two seeds no
    threshold is one (Student's t with one degree of freedom needs 12.7 standard errors for 95 %).

    >>> rule = SeedSpreadRule()
    >>> rule.noise(paired=0.01, cell=0.03, reference=0.04)
    0.05
    >>> rule.significant(-0.06, 0.05), rule.significant(-0.04, 0.05), rule.significant(0.0, 0.0)
    (True, False, False)
    """

    k: float = 1.0
    marker: str = "n.s."

    @staticmethod
    def noise(paired: float, cell: float, reference: float = 0.0) -> float:
        """σ of one difference from its three spreads (NaN when any is unknown)."""
        values = (paired, cell, reference)
        if any(v is None or math.isnan(v) for v in values):
            return math.nan
        return round(max(paired, math.hypot(cell, reference)), 12)

    def significant(self, mean: float, noise: float) -> bool | None:
        """``|mean| > k · noise``; None when either is unknown."""
        if mean is None or noise is None or math.isnan(mean) or math.isnan(noise):
            return None
        return abs(mean) > self.k * noise

    def frame(self, mean: pd.DataFrame, paired: pd.DataFrame, cell: pd.DataFrame,
              reference: pd.DataFrame) -> pd.DataFrame:
        """:meth:`significant` cell by cell (frames of one shape): 1.0 significant, 0.0 not, NaN unknown."""
        out = pd.DataFrame(np.nan, index=mean.index, columns=mean.columns)
        for i in range(mean.shape[0]):
            for j in range(mean.shape[1]):
                noise = self.noise(float(paired.iat[i, j]), float(cell.iat[i, j]), float(reference.iat[i, j]))
                verdict = self.significant(float(mean.iat[i, j]), noise)
                out.iat[i, j] = math.nan if verdict is None else float(verdict)
        return out

    def legend(self) -> str:
        """The rule as the reports' legend states it."""
        k = "" if self.k == 1 else f"{self.k:g} × "
        return (f"in a group over several seeds, a difference (vs matched, vs bicubic) whose mean over seeds is "
                f"within {k}its seed spread is marked '{self.marker}' (not significant): |mean| ≤ {k}σ, σ the larger "
                "of the difference's own standard deviation over seeds (the ± beside it) and the combined "
                "deviation √(s_A² + s_B²) of its two cells (the ± of the absolute table; the bicubic baseline "
                f"has none). {ONE_SEED.capitalize()}: nothing is marked")


#: The rule that marks differences within the seed spread (one place: the tables, the figures'
#: annotations, the legend and the finding all read it).
SEED_SPREAD_RULE = SeedSpreadRule()
#: What the reports say where a group has one seed.
ONE_SEED = "one seed: spread unknown"


@dataclass(frozen=True)
class TextTable:
    """A table of already formatted strings, rendered as markdown or HTML.

    Attributes
    ----------
    columns : tuple of str
    rows : tuple of tuple of str
    classes : tuple of tuple of str
        A CSS class per body cell ("" for none): ``diag`` (matched cell), ``em`` (emphasised),
        ``pos`` / ``neg`` (better / worse than the reference), ``na`` (missing), ``ref`` (baseline).
    numeric : tuple of bool
        Per column: right-align.
    """

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    classes: tuple[tuple[str, ...], ...] = ()
    numeric: tuple[bool, ...] = ()

    def __post_init__(self) -> None:
        if any(len(r) != len(self.columns) for r in self.rows):
            raise ValueError("every row needs one value per column")
        if not self.classes:
            object.__setattr__(self, "classes", tuple(("",) * len(self.columns) for _ in self.rows))
        if not self.numeric:
            object.__setattr__(self, "numeric", (False,) * len(self.columns))

    def markdown(self) -> str:
        """GitHub-flavoured markdown (:func:`sr_audit.report.markdown.markdown_table`); diagonal and
        emphasised cells are bold."""
        rows = [[f"**{t}**" if c in ("diag", "em") and t else t for t, c in zip(row, cls)]
                for row, cls in zip(self.rows, self.classes)]
        return markdown_table(self.columns, rows, right=self.numeric)


def frame_table(frame: pd.DataFrame) -> TextTable:
    """A plain DataFrame as a :class:`TextTable`: missing values empty, floats to 6 significant digits."""
    def text(v: object) -> str:
        if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
            return ""
        return f"{v:.6g}" if isinstance(v, float) else str(v)

    numeric = tuple(pd.api.types.is_numeric_dtype(frame[c]) for c in frame.columns)
    return TextTable(columns=tuple(map(str, frame.columns)),
                     rows=tuple(tuple(text(v) for v in row) for row in frame.itertuples(index=False)),
                     numeric=numeric)


@dataclass(frozen=True)
class Group:
    """Cells that share everything but the train and eval specs.

    With ``seeds`` set (and ``seed`` None) the group stands for the groups of those seeds, and its
    matrices are their mean and standard deviation over seeds.
    """

    eval_set: str
    protocol: str
    scale: int
    model: str
    seed: int | None
    recipe: str | None
    seeds: tuple[int, ...] = ()
    space: str = "y"

    @property
    def label(self) -> str:
        parts = [self.eval_set, f"×{self.scale}", f"SRCNN {self.model}" + (" RGB" if self.space == "rgb" else "")]
        parts += [f"seed {self.seed}"] if self.seed is not None else []
        parts += [f"seeds {', '.join(map(str, self.seeds))} (mean ± std)"] if self.seeds else []
        parts += [f"recipe {self.recipe}"] if self.recipe is not None else []
        return " · ".join(parts + [f"protocol {self.protocol}"])

    @property
    def slug(self) -> str:
        seed = f"seeds{'_'.join(map(str, self.seeds))}" if self.seeds else f"seed{self.seed}"
        space = "-rgb" if self.space == "rgb" else ""
        text = f"{self.eval_set}-x{self.scale}-{self.model}{space}-{seed}-{self.recipe}-{self.protocol}"
        return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in text)


@dataclass(frozen=True)
class Matrix:
    """One metric of one group as train x eval frames (rows: train specs, then official rows).

    For a group over several seeds the frames are means over seeds, ``spread`` holds each view's
    standard deviation over seeds (ddof 1) and ``significant`` each difference view's verdict under
    :data:`SEED_SPREAD_RULE` (1.0 significant, 0.0 within the seed spread, NaN unknown or the
    reference itself); both are None with one seed.
    """

    metric: str
    absolute: pd.DataFrame
    vs_matched: pd.DataFrame
    vs_bicubic: pd.DataFrame
    bicubic: pd.Series
    n_trained_rows: int
    spread: Mapping[str, pd.DataFrame] | None = None
    significant: Mapping[str, pd.DataFrame] | None = None

    def view(self, name: str) -> pd.DataFrame:
        return getattr(self, name)

    def table(self) -> pd.DataFrame:
        """The train x eval table: the absolute view with the bicubic baselines as a last row
        labelled :data:`BICUBIC_ROW`; the report's absolute table and the terminal summary of
        ``sr-audit matrix`` both show this frame (a mean over seeds for a group over seeds)."""
        baseline = self.bicubic.reindex(self.absolute.columns).to_frame(BICUBIC_ROW).T
        frame = pd.concat([self.absolute, baseline])
        frame.index.name = "train \\ eval"
        return frame

    def diagonal_gains(self) -> dict[str, float]:
        """Matched cell minus bicubic baseline, the vs-bicubic view's diagonal: eval spec -> gain,
        for every eval spec that is also a trained row (NaN where a cell or baseline is missing)."""
        trained = set(self.absolute.index[:self.n_trained_rows])
        return {spec: float(self.vs_bicubic.loc[spec, spec]) for spec in self.vs_bicubic.columns if spec in trained}

    def verdict(self, view: str, row: str, col: str) -> bool | None:
        """Whether the difference (``view`` vs_matched or vs_bicubic) of cell (row, col) stands out
        from the seed spread (:data:`SEED_SPREAD_RULE`); None with one seed, for the absolute view,
        for the matched view's reference cells and where a spread is unknown."""
        if self.significant is None or view not in self.significant:
            return None
        value = self.significant[view].loc[row, col]
        return None if math.isnan(value) else bool(value)

    def mismatch(self) -> Matrix:
        """The finding's part of this matrix: trained rows only, and the eval specs that have a
        matched reference (a trained row of their own), in the same order."""
        rows = list(self.absolute.index[:self.n_trained_rows])
        cols = [c for c in self.absolute.columns if c in rows]

        def cut(frame: pd.DataFrame) -> pd.DataFrame:
            return frame.loc[rows, cols]

        return Matrix(metric=self.metric, absolute=cut(self.absolute), vs_matched=cut(self.vs_matched),
                      vs_bicubic=cut(self.vs_bicubic), bicubic=self.bicubic.reindex(cols), n_trained_rows=len(rows),
                      spread=None if self.spread is None else {k: cut(v) for k, v in self.spread.items()},
                      significant=None if self.significant is None else {k: cut(v) for k, v in self.significant.items()})

    def text(self, view: str) -> TextTable:
        """A view as a table: row label column, one column per eval spec; the diagonal marked, and
        differences within the seed spread marked (:meth:`cell_text`) and classed ``ns``.

        The absolute view is :meth:`table`, with its last row of bicubic baselines.
        """
        frame = self.table() if view == "absolute" else self.view(view)
        signed = view != "absolute"
        rows, classes = [], []
        for label, values in frame.iterrows():
            if label == BICUBIC_ROW:
                rows.append((BICUBIC_ROW, *(fmt(self.metric, v) for v in values)))
                classes.append(("ref",) * (len(frame.columns) + 1))
                continue
            rows.append((str(label), *(self.cell_text(view, str(label), col, v) for col, v in values.items())))
            classes.append(("", *(self._cls(str(label), col, v, signed)
                                  + (" ns" if self.verdict(view, str(label), col) is False else "")
                                  for col, v in values.items())))
        return TextTable(columns=("train \\ eval", *map(str, frame.columns)), rows=tuple(rows),
                         classes=tuple(classes), numeric=(False,) + (True,) * len(frame.columns))

    def cell_text(self, view: str, row: str, col: str, value: float, *, sep: str = " ") -> str:
        """A value as tables and heatmaps print it: the reference cells of the matched view read
        "ref"; with a spread over seeds, ``mean{sep}±std``, followed by `` n.s.``
        (:attr:`SeedSpreadRule.marker`) for a difference within the seed spread."""
        if view == "vs_matched" and row == col and value == 0:
            return "ref"
        text = fmt(self.metric, value, signed=view != "absolute")
        if self.spread is not None and not math.isnan(value):
            std = self.spread[view].loc[row, col]
            text += f"{sep}±{fmt(self.metric, std)}" if not math.isnan(std) else ""
        if self.verdict(view, row, col) is False:
            text += f" {SEED_SPREAD_RULE.marker}"
        return text

    @staticmethod
    def _cls(row: str, col: str, value: float, signed: bool) -> str:
        if value is None or math.isnan(value):
            return "na"
        if row == col:
            return "diag"
        if signed and value != 0:
            return "pos" if value > 0 else "neg"
        return ""


def _ordered_specs(train: Iterable[str], evals: Iterable[str]) -> tuple[list[str], list[str]]:
    """Rows and columns with the specs in both first, in the same order, so matched cells sit on
    the top-left diagonal; the rest follow sorted."""
    train, evals = set(train), set(evals)
    both = sorted(train & evals)
    return both + sorted(train - evals), both + sorted(evals - train)


@dataclass(frozen=True)
class Cell:
    """A cell with the fields reports need: its record, labels and means."""

    record: CellRecord
    protocol: str
    recipe: str | None
    row: str  # train spec, OFFICIAL..., or BICUBIC

    @property
    def key(self) -> str:
        return self.record.key

    def mean(self, metric: str) -> float:
        return self.record.means[metric]


@dataclass(frozen=True)
class PublishedComparison:
    """The "published vs measured" table and the sources its ``[n]`` marks refer to (``sources[n - 1]``)."""

    table: TextTable
    sources: tuple[str, ...]


@dataclass(frozen=True)
class PublishedRow:
    """One row of "published vs measured": a reported figure and one matched cell that measures
    it (None: not measured in the store), with that cell's bicubic baseline in the figure's space."""

    recipe: str
    figure: ReportedFigure
    cell: Cell | None
    bicubic: float | None

    @property
    def measured(self) -> float:
        """The cell's PSNR in the figure's space (NaN without a cell)."""
        return math.nan if self.cell is None else self.cell.mean(f"psnr_{self.figure.space}")

    @property
    def delta(self) -> float:
        """Measured minus reported PSNR."""
        return self.measured - self.figure.psnr


#: Columns of the published-vs-measured table.
PUBLISHED_COLUMNS: tuple[str, ...] = (
    "recipe", "data set", "scale", "space", "reported PSNR", "reported SSIM", "matched cell (train = eval spec)",
    "seed", "protocol", "measured PSNR", "measured SSIM", "Δ PSNR", "reported bicubic", "measured bicubic", "source",
)


@dataclass
class ReportData:
    """All report content, built by :func:`build` from a store's records."""

    cells: list[Cell]
    models: list[ModelRecord]
    groups: list[Group] = field(default_factory=list)
    superseded: list[Cell] = field(default_factory=list)

    # ---- lookups

    def baseline(self, eval_set: str, protocol: str, scale: int, eval_spec: str, space: str) -> Cell | None:
        """The bicubic cell of ``eval_spec`` in network space ``space`` (None when not stored)."""
        for c in self.cells:
            r = c.record
            if r.kind == "bicubic" and (r.eval_set, c.protocol, r.scale, r.eval_spec, r.space) == (
                eval_set, protocol, scale, eval_spec, space
            ):
                return c
        return None

    def matched(self, cell: Cell) -> Cell | None:
        """The reference of ``cell`` in the vs-matched view: the trained cell of the same group whose
        train spec is ``cell``'s eval spec."""
        r = cell.record
        for c in self.cells:
            q = c.record
            if (q.kind == "trained" and q.train_spec == r.eval_spec == q.eval_spec and c.protocol == cell.protocol
                    and c.recipe == cell.recipe
                    and (q.eval_set, q.scale, q.space, q.model, q.seed) == (r.eval_set, r.scale, r.space, r.model, r.seed)):
                return c
        return None

    def members(self, group: Group) -> list[Cell]:
        """The group's trained cells, the official cells of its eval set, protocol, scale, space and
        model, and the external cells of its eval set, protocol, scale and space."""
        out = []
        for c in self.cells:
            r = c.record
            if r.kind == "external" and (r.eval_set, c.protocol, r.scale, r.space) == (
                group.eval_set, group.protocol, group.scale, group.space
            ):
                out.append(c)  # a pretrained model joins every group of its eval set, protocol, scale and space
                continue
            if (r.eval_set, c.protocol, r.scale, r.space, r.model) != (
                group.eval_set, group.protocol, group.scale, group.space, group.model
            ):
                continue
            if r.kind == "official" or (r.kind == "trained" and (r.seed, c.recipe) == (group.seed, group.recipe)):
                out.append(c)
        return out

    def matrix(self, group: Group, metric: str) -> Matrix:
        """The train x eval matrices of one metric (see the module docstring for the definitions)."""
        if group.seeds:
            return self._over_seeds(group, metric)
        members = self.members(group)
        trained = [c for c in members if c.record.kind == "trained"]
        official = [c for c in members if c.record.kind in ("official", "external")]
        rows, cols = _ordered_specs((c.row for c in trained), (c.record.eval_spec for c in members))
        rows += sorted({c.row for c in official})
        absolute = pd.DataFrame(np.nan, index=rows, columns=cols)
        for c in members:
            absolute.loc[c.row, c.record.eval_spec] = c.mean(metric)
        matched = pd.Series({e: absolute.loc[e, e] if e in absolute.index else np.nan for e in cols}, dtype=float)
        bicubic = pd.Series({e: (b.mean(metric) if (b := self.baseline(group.eval_set, group.protocol, group.scale, e,
                                                                        group.space)) else np.nan) for e in cols}, dtype=float)
        return Matrix(metric=metric, absolute=absolute, vs_matched=absolute - matched, vs_bicubic=absolute - bicubic,
                      bicubic=bicubic, n_trained_rows=len({c.row for c in trained}))

    def _over_seeds(self, group: Group, metric: str) -> Matrix:
        per_seed = [self.matrix(dataclasses.replace(group, seed=s, seeds=()), metric) for s in group.seeds]
        trained = {r for m in per_seed for r in m.absolute.index[:m.n_trained_rows]}
        rows, cols = _ordered_specs(trained, {c for m in per_seed for c in m.absolute.columns})
        rows += sorted({r for m in per_seed for r in m.absolute.index} - trained)
        means, spread = {}, {}
        for view in VIEWS:
            stacked = pd.concat([m.view(view).reindex(index=rows, columns=cols) for m in per_seed])
            means[view] = stacked.groupby(level=0, sort=False).mean().reindex(index=rows)
            spread[view] = stacked.groupby(level=0, sort=False).std(ddof=1).reindex(index=rows)
        bicubic = pd.concat([m.bicubic for m in per_seed]).groupby(level=0).first().reindex(cols)
        cell = spread["absolute"]
        matched = pd.DataFrame({e: [cell.loc[e, e] if e in cell.index else np.nan] * len(rows) for e in cols}, index=rows)
        significant = {
            "vs_matched": SEED_SPREAD_RULE.frame(means["vs_matched"], spread["vs_matched"], cell, matched),
            "vs_bicubic": SEED_SPREAD_RULE.frame(means["vs_bicubic"], spread["vs_bicubic"], cell, cell * 0.0),
        }
        for e in cols:  # the matched view's reference cells are not differences
            if e in rows:
                significant["vs_matched"].loc[e, e] = np.nan
        return Matrix(metric=metric, bicubic=bicubic, n_trained_rows=len(trained), spread=spread,
                      significant=significant, **means)

    def per_image(self, group: Group, metric: str) -> TextTable:
        """Rows: every cell of the group and the baselines of its eval specs; columns: images, mean."""
        members = self.members(group)
        evals = sorted({c.record.eval_spec for c in members})
        baselines = [b for e in evals if (b := self.baseline(group.eval_set, group.protocol, group.scale, e, group.space))]
        order = {label: i for i, label in enumerate(self.matrix(group, metric).absolute.index)}
        cells = sorted(members, key=lambda c: (order[c.row], c.record.eval_spec)) + baselines
        images = sorted({im.name for c in cells for im in c.record.images})
        rows = []
        for c in cells:
            values = {im.name: getattr(im, metric) for im in c.record.images}
            rows.append((c.row, c.record.eval_spec, *(fmt(metric, values.get(n, math.nan)) for n in images), fmt(metric, c.mean(metric))))
        classes = tuple(("ref",) * (len(images) + 3) if c.row == BICUBIC else ("",) * (len(images) + 3) for c in cells)
        return TextTable(columns=("train spec / model", "eval spec", *images, "mean"), rows=tuple(rows), classes=classes,
                         numeric=(False, False) + (True,) * (len(images) + 1))

    def gains(self) -> list[tuple[Cell, float]]:
        """Trained cells with a bicubic baseline and their PSNR-Y gain over it, best first."""
        out = []
        for c in self.cells:
            r = c.record
            if r.kind == "trained" and (b := self.baseline(r.eval_set, c.protocol, r.scale, r.eval_spec, r.space)):
                out.append((c, c.mean("psnr_y") - b.mean("psnr_y")))
        return sorted(out, key=lambda pair: -pair[1])

    # ---- tables of the records' descriptions

    def conventions_table(self) -> TextTable:
        """What each eval spec's resize computes: one row per conventions field, one column per eval
        spec (per distinct conventions of it, if its cells disagree); fields whose values differ
        across columns are emphasised (class ``em``)."""
        seen: dict[tuple[str, str], dict] = {}
        for c in self.cells:
            seen.setdefault((c.record.eval_spec, canonical_json(c.record.conventions)), dict(c.record.conventions))
        fields = [f for f in CONVENTION_ORDER if any(f in conv for conv in seen.values())]
        fields += sorted({f for conv in seen.values() for f in conv} - set(fields))
        specs = sorted(seen)
        rows, classes = [], []
        for f in fields:
            values = [_describe(seen[s].get(f)) for s in specs]
            rows.append((f, *values))
            classes.append(("em" if len(set(values)) > 1 else "",) + ("",) * len(values))
        return TextTable(columns=("field", *(spec for spec, _ in specs)), rows=tuple(rows), classes=tuple(classes))

    def protocol_tables(self) -> list[tuple[str, TextTable]]:
        """Each distinct protocol: its label and a field/value table."""
        seen: dict[str, tuple[str, dict]] = {}
        for c in self.cells:
            seen.setdefault(canonical_json(c.record.protocol), (c.protocol, dict(c.record.protocol)))
        return [(label, TextTable(columns=("field", "value"), rows=tuple((k, _describe(v)) for k, v in proto.items())))
                for label, proto in sorted(seen.values(), key=lambda p: p[0])]

    def environment_table(self) -> TextTable:
        """Distinct (device, sr-audit version, library versions) with what they computed and when."""
        envs: dict[str, dict] = {}
        for what, env in [("cells", c.record.environment) for c in self.cells] + [("models", m.environment) for m in self.models]:
            key = canonical_json({"device": env.device, "sr_audit": env.sr_audit, "versions": env.versions})
            e = envs.setdefault(key, {"env": env, "cells": 0, "models": 0, "dates": []})
            e[what] += 1
            e["dates"].append(env.date)
        rows = []
        for e in envs.values():
            env, dates = e["env"], sorted(e["dates"])
            span = dates[0] if dates[0] == dates[-1] else f"{dates[0]} … {dates[-1]}"
            versions = ", ".join(f"{k} {v}" for k, v in sorted(env.versions.items()))
            rows.append((env.device, env.sr_audit, versions, str(e["cells"]), str(e["models"]), span))
        return TextTable(columns=("device", "sr-audit", "library versions", "cells", "models", "date (UTC)"),
                         rows=tuple(sorted(rows)), numeric=(False, False, False, True, True, False))

    def models_table(self) -> TextTable:
        """One row per model: what was trained, how long it took, its final loss."""
        rows = []
        for m in self.models:
            rows.append((m.kind, m.train_spec or "–", f"×{m.scale}", m.model, "–" if m.seed is None else str(m.seed),
                         dict_label(m.recipe) or "–", data_label(m.data),
                         "–" if m.wall_time_s is None else f"{m.wall_time_s:.0f}",
                         "–" if m.final_loss is None else f"{m.final_loss:.3g}", m.environment.device, m.key[:12]))
        return TextTable(columns=("kind", "train spec", "scale", "model", "seed", "recipe", "data", "wall time (s)",
                                  "final loss", "device", "key"), rows=tuple(rows),
                         numeric=(False,) * 7 + (True, True, False, False))

    def published_rows(self) -> list[PublishedRow]:
        """Each figure reported by the recipe of a trained cell, and each it aims at
        (:data:`sr_audit.published.TARGETS`: the paper's figures for ``fast`` and ``sprint``), beside
        each matched cell of that recipe that measures it (module notes); a figure nobody measured
        gets one row with no cell."""
        figures: dict[str, list[ReportedFigure]] = {}
        for c in self.cells:
            if c.record.kind == "trained" and c.recipe is not None and c.recipe not in figures:
                figures[c.recipe] = [ReportedFigure(**dict(f)) for f in (c.record.recipe or {}).get("reported", ())]
                figures[c.recipe] += TARGETS.get(str((c.record.recipe or {}).get("name")), ())
        out = []
        for recipe, reported in sorted(figures.items()):
            for f in reported:
                matched = sorted((c for c in self.cells if c.record.kind == "trained" and c.recipe == recipe
                                  and c.record.train_spec == c.record.eval_spec and f.matches(c.record.eval_set, c.record.scale)
                                  and (f.source != TARGET_SOURCE or ResizeSpec.parse(c.record.eval_spec).backend in TARGET_BACKENDS)),
                                 key=lambda c: (c.record.eval_spec, c.record.seed or 0, c.protocol))
                if not matched:
                    out.append(PublishedRow(recipe, f, None, None))
                for c in matched:
                    r = c.record
                    bicubic = self.baseline(r.eval_set, c.protocol, r.scale, r.eval_spec, r.space)
                    out.append(PublishedRow(recipe, f, c, None if bicubic is None else bicubic.mean(f"psnr_{f.space}")))
        return out

    def published(self) -> PublishedComparison | None:
        """The published-vs-measured table of :meth:`published_rows`; None when no recipe in the
        store reports a figure."""
        sources: list[str] = []
        rows, classes = [], []
        for p in self.published_rows():
            f = p.figure
            if f.source not in sources:
                sources.append(f.source)
            head = (p.recipe, f.dataset, f"×{f.scale}", f.space.upper(), fmt("psnr", f.psnr),
                    "–" if f.ssim is None else fmt("ssim", f.ssim))
            tail = ("–" if f.bicubic_psnr is None else fmt("psnr", f.bicubic_psnr),)
            mark = f"[{sources.index(f.source) + 1}]"
            if p.cell is None:
                rows.append((*head, "not measured in this store", "–", "–", "–", "–", "–", *tail, "–", mark))
                classes.append(("",) * 6 + ("na",) * 6 + ("", "na", ""))
                continue
            r, delta = p.cell.record, p.delta
            rows.append((*head, r.eval_spec, str(r.seed), p.cell.protocol, fmt("psnr", p.measured),
                         fmt("ssim", p.cell.mean(f"ssim_{f.space}")), fmt("psnr", delta, signed=True), *tail,
                         "–" if p.bicubic is None else fmt("psnr", p.bicubic), mark))
            classes.append(("",) * 11 + ("pos" if delta > 0 else "neg" if delta < 0 else "",) + ("",) * 3)
        if not rows:
            return None
        table = TextTable(columns=PUBLISHED_COLUMNS, rows=tuple(rows), classes=tuple(classes),
                          numeric=(False, False, False, False, True, True, False, True, False, True, True, True, True, True, False))
        return PublishedComparison(table=table, sources=tuple(sources))

    def training_notes(self, group: Group | None = None) -> list[str]:
        """What a reader must know before trusting the trained rows (of ``group``, or of all): each
        recipe run with another budget than its own, and each model that scores below its own
        bicubic input on the cell it was trained for (under-trained or diverged), with the numbers."""
        notes: list[str] = []
        seen: set[str] = set()
        for c in self.cells:
            r = c.record
            if r.kind != "trained":
                continue
            if group is not None and (r.eval_set, c.protocol, r.scale, r.space, r.model, c.recipe) != (
                group.eval_set, group.protocol, group.scale, group.space, group.model, group.recipe
            ):
                continue
            if group is not None and group.seed is not None and r.seed != group.seed:
                continue
            why = short_budget(r)
            if why is not None and c.recipe not in seen:
                seen.add(c.recipe or "")
                notes.append(f"recipe {c.recipe}: {why}")
            bicubic = self.baseline(r.eval_set, c.protocol, r.scale, r.eval_spec, r.space)
            metric = f"psnr_{r.space}"
            if r.train_spec == r.eval_spec and bicubic is not None and c.mean(metric) < bicubic.mean(metric):
                notes.append(
                    f"{UNDER_TRAINED}: SRCNN {r.model} trained on {r.train_spec} (recipe {c.recipe}, seed {r.seed}) scores "
                    f"{fmt(metric, c.mean(metric))} dB on {r.eval_set} ×{r.scale}, "
                    f"{fmt(metric, bicubic.mean(metric) - c.mean(metric))} dB below its own bicubic input "
                    f"({fmt(metric, bicubic.mean(metric))} dB): its row measures the training budget, not the resize"
                )
        return notes

    def counts(self) -> dict[str, int]:
        return {kind: sum(c.record.kind == kind for c in self.cells) for kind in CELL_KINDS}

    # ---- the finding

    def antialias(self, spec: str) -> bool | None:
        """Whether ``spec``'s resize antialiases: as its cells' recorded conventions say (None if
        they disagree), else as the spec string says (``+aa`` / ``-aa``), else None."""
        seen = {c.record.conventions.get("antialias") for c in self.cells if c.record.eval_spec == spec}
        seen.discard(None)
        if seen:
            return seen.pop() if len(seen) == 1 else None
        try:
            return ResizeSpec.parse(spec).antialias
        except SpecError:
            return None

    def finding_groups(self) -> list[list[Group]]:
        """The groups the finding can show, by configuration (protocol, model, space, recipe), the
        configuration with the most mismatch cells first (ties: report order); within one, by eval
        set and scale. A group over seeds stands for its seeds' groups; a group of one seed counts
        only where its family has no group over seeds. Only groups with at least one mismatch cell
        (a trained row on another trained row's eval spec) count."""
        over = {dataclasses.replace(g, seeds=()) for g in self.groups if g.seeds}
        configs: dict[tuple, list[Group]] = {}
        sizes: dict[tuple, int] = {}
        for g in self.groups:
            if g.seed is None and not g.seeds:
                continue  # the authors' weights alone: no trained row
            if not g.seeds and dataclasses.replace(g, seed=None) in over:
                continue
            n = _mismatch_count(self.matrix(g, _finding_metric(g)).mismatch())
            if n:
                key = (g.protocol, g.model, g.space, g.recipe)
                configs.setdefault(key, []).append(g)
                sizes[key] = sizes.get(key, 0) + n
        order = sorted(configs, key=lambda k: -sizes[k])  # stable: report order among ties
        return [sorted(configs[k], key=lambda g: (g.eval_set, g.scale)) for k in order]

    def finding(self) -> Finding:
        """The report's opening: what each train/eval mismatch costs (module notes)."""
        configs = self.finding_groups()
        if not configs:
            return Finding(metric="psnr_y", panels=(), mismatches=(), gains=(), text=NO_FINDING)
        groups = configs[0]
        metric = _finding_metric(groups[0])
        panels = tuple((g, self.matrix(g, metric).mismatch()) for g in groups)
        mismatches, gains = [], []
        antialias = {spec: self.antialias(spec) for _, m in panels for spec in (*m.absolute.index, *m.absolute.columns)}
        for g, m in panels:
            for t in m.vs_matched.index:
                for e in m.vs_matched.columns:
                    value = float(m.vs_matched.loc[t, e])
                    if math.isnan(value):
                        continue
                    if t == e:
                        gains.append(Mismatch(g, t, e, float(m.vs_bicubic.loc[e, e]), m.verdict("vs_bicubic", t, e), None))
                        continue
                    aa = antialias[t], antialias[e]
                    family = None if None in aa else _family(*aa)  # type: ignore[arg-type]
                    mismatches.append(Mismatch(g, str(t), str(e), value, m.verdict("vs_matched", t, e), family))
        text = self._finding_text(metric, panels, mismatches, gains, sum(len(c) for c in configs[1:]))
        return Finding(metric=metric, panels=panels, mismatches=tuple(mismatches), gains=tuple(gains), text=text)

    def _finding_text(self, metric: str, panels: Sequence[tuple[Group, Matrix]], mismatches: Sequence[Mismatch],
                      gains: Sequence[Mismatch], others: int) -> str:
        groups = [g for g, _ in panels]
        g0 = groups[0]
        sets = _join(dict.fromkeys(g.eval_set for g in groups))
        scales = sorted({g.scale for g in groups})
        seeds = _seeds_text(groups)
        recipe = f", recipe {g0.recipe}" if g0.recipe is not None else ""
        out = [(f"What a resizing mismatch costs, in {METRIC_LABELS[metric]} on {sets} at "
                f"{_join(f'×{s}' for s in scales)} (SRCNN {g0.model}{recipe}, {seeds}, protocol {g0.protocol}): "
                "each model trained on one spec's degradation and evaluated on another's, minus the model trained "
                "on the eval spec's own (Δ vs matched, the figure below).")]
        if not mismatches:
            out.append("No cell pairs two different trained specs.")
        else:
            worst = min(mismatches, key=lambda m: m.value)
            if worst.value >= 0:
                out.append(f"No mismatch costs anything here: every cell is at or above its matched cell (smallest "
                           f"difference {_db(metric, worst.value)}, trained on {worst.train}, evaluated on {worst.eval_spec}).")
            else:
                line = (f"The largest cost is {_db(metric, worst.value)}: trained on {worst.train}, evaluated on "
                        f"{worst.eval_spec} ({worst.group.eval_set} ×{worst.group.scale})")
                if len(scales) > 1:
                    per = []
                    for s in scales:
                        w = min((m for m in mismatches if m.group.scale == s), key=lambda m: m.value, default=None)
                        if w is not None:
                            per.append(f"×{s} {_db(metric, w.value)} ({w.train} → {w.eval_spec}, {w.group.eval_set})")
                    line += "; the largest per scale: " + ", ".join(per)
                out.append(line + ".")
            out.append(self._families_text(metric, mismatches, scales))
        out.append(_spread_text(groups, mismatches))
        out.append(self._quality_text(metric, groups, gains))
        if others:
            out.append(f"Other configurations ({others} group{'s' if others > 1 else ''}) have their own sections below.")
        return " ".join(x for x in out if x)

    def _families_text(self, metric: str, mismatches: Sequence[Mismatch], scales: Sequence[int]) -> str:
        known = [m for m in mismatches if m.family is not None]
        present = [f for f in FAMILIES if any(m.family == f for m in known)]
        if not present:
            return "The specs' antialiasing is not recorded, so costs are not split by family."
        parts = []
        for family in present:
            values = [m.value for m in known if m.family == family]
            if len(scales) > 1:
                medians = [(s, [m.value for m in known if m.family == family and m.group.scale == s]) for s in scales]
                typical = ", ".join(f"{_db(metric, float(np.median(v)))} at ×{s}" for s, v in medians if v)
            else:
                typical = _db(metric, float(np.median(values)))
            spread = f"range {_span(metric, min(values), max(values))}, " if len(values) > 1 else ""
            tested = [m for m in known if m.family == family and m.significant is not None]
            marked = sum(not m.significant for m in tested)
            within = f", {marked} {SEED_SPREAD_RULE.marker}" if tested else ""
            parts.append(f"{FAMILIES[family]}, median {typical} ({spread}{len(values)} cell{'s' if len(values) > 1 else ''}"
                         f"{within})")
        head = "By antialiasing (the specs' recorded conventions): " if len(present) > 1 else \
            "Every spec is in one antialiasing family: "
        left = len(mismatches) - len(known)
        tail = f" ({left} cells whose spec's antialiasing is not recorded are left out)" if left else ""
        return head + "; ".join(parts) + tail + "."

    def _quality_text(self, metric: str, groups: Sequence[Group], gains: Sequence[Mismatch]) -> str:
        parts = []
        if gains:
            values = [m.value for m in gains]
            lo, hi = min(values), max(values)
            span = _span(metric, lo, hi)
            text = f"Model quality: the matched cells gain {span} over their own bicubic input"
            tested = [m for m in gains if m.significant is not None]
            if tested:
                text += f" ({sum(bool(m.significant) for m in tested)} of {len(tested)} beyond the seed spread)"
            parts.append(text)
        space = "rgb" if metric.endswith("_rgb") else "y"
        rows = [p for p in self.published_rows() if p.cell is not None and p.figure.space == space
                and any(_in_group(p.cell, g) for g in groups)]
        recipe = groups[0].recipe
        if rows:
            deltas = [p.delta for p in rows]
            reached = sum(d >= 0 for d in deltas)
            aimed = all(p.figure.source == TARGET_SOURCE for p in rows)
            whose = "the paper's figures their recipe aims at" if aimed else "the figures their recipe's source publishes"
            parts.append(f"against {whose} they are "
                         f"{_span('psnr', min(deltas), max(deltas))} ({reached} of {len(deltas)} at or above; "
                         f"{PUBLISHED_TITLE})")
        else:
            parts.append(f"no published figure of recipe {recipe} for {_join(dict.fromkeys(g.eval_set for g in groups))} "
                         f"at {_join(dict.fromkeys(f'×{g.scale}' for g in groups))} to compare them with")
        notes = list(dict.fromkeys(n for g in groups for n in self.training_notes(g)))
        under = sum(n.startswith(UNDER_TRAINED) for n in notes)
        if under:
            parts.append(f"{under} matched model{'s' if under > 1 else ''} score{'' if under > 1 else 's'} below "
                         f"{'their' if under > 1 else 'its'} own bicubic input: under-trained, {'their rows measure' if under > 1 else 'its row measures'} "
                         "the training budget, not the resize (Read first)")
        if len(notes) > under:
            parts.append("the recipe ran with another budget than its own (Read first)")
        return "; ".join(parts) + "." if parts else ""


#: Title of the published-vs-measured section (the finding refers to it).
PUBLISHED_TITLE = "Published vs measured"
#: How a training note on a model below its own bicubic input starts.
UNDER_TRAINED = "under-trained"
#: The finding of a store with no mismatch cell.
NO_FINDING = ("No train/eval mismatch is measured in this store: no model was evaluated on another trained spec's "
              "degradation, so no cell has a matched model to compare with.")
#: The antialiasing families of a mismatch, by (train spec antialiases, eval spec antialiases), as
#: the finding names them; in this order.
FAMILIES: dict[str, str] = {
    "aa-to-plain": "trained with antialiasing and evaluated without",
    "plain-to-aa": "trained without antialiasing and evaluated with",
    "same": "within a family (both with or both without)",
}


def _family(train_aa: bool, eval_aa: bool) -> str:
    """The key of :data:`FAMILIES` of a mismatch."""
    return "same" if train_aa == eval_aa else "aa-to-plain" if train_aa else "plain-to-aa"


@dataclass(frozen=True)
class Mismatch:
    """One cell of the finding: trained on ``train``, evaluated on ``eval_spec``.

    ``value`` is the vs-matched difference (the cost, negative when the mismatch loses) for a
    mismatch, the gain over bicubic for a matched cell (``train == eval_spec``); a mean over seeds
    in a group over seeds. ``significant`` is :meth:`Matrix.verdict`; ``family`` a key of
    :data:`FAMILIES` (None for matched cells and where a spec's antialiasing is unknown).
    """

    group: Group
    train: str
    eval_spec: str
    value: float
    significant: bool | None
    family: str | None


@dataclass(frozen=True)
class Finding:
    """The report's opening (:meth:`ReportData.finding`).

    Attributes
    ----------
    metric : str
        PSNR in the network's space (``psnr_y``, or ``psnr_rgb`` for RGB models).
    panels : tuple of (Group, Matrix)
        One per eval set and scale: :meth:`Matrix.mismatch` of the group; empty without a mismatch.
    mismatches : tuple of Mismatch
        Every off-diagonal cell of the panels.
    gains : tuple of Mismatch
        Every matched cell's gain over bicubic.
    text : str
        The paragraph, generated from the above.
    """

    metric: str
    panels: tuple[tuple[Group, Matrix], ...]
    mismatches: tuple[Mismatch, ...]
    gains: tuple[Mismatch, ...]
    text: str


def _finding_metric(group: Group) -> str:
    return f"psnr_{group.space}"


def _mismatch_count(m: Matrix) -> int:
    values = m.vs_matched.to_numpy(dtype=float)
    return int(np.isfinite(values).sum() - sum(1 for c in m.vs_matched.columns if c in m.vs_matched.index))


def _in_group(cell: Cell, group: Group) -> bool:
    r = cell.record
    seeds = group.seeds or (group.seed,)
    return (r.kind == "trained" and (r.eval_set, cell.protocol, r.scale, r.space, r.model, cell.recipe) == (
        group.eval_set, group.protocol, group.scale, group.space, group.model, group.recipe) and r.seed in seeds)


def _db(metric: str, value: float) -> str:
    return fmt(metric, value, signed=True) + (" dB" if metric.startswith("psnr") else "")


def _span(metric: str, lo: float, hi: float) -> str:
    """``−2.40 to −1.57 dB``; one value when both print alike."""
    if fmt(metric, lo) == fmt(metric, hi):
        return _db(metric, lo)
    return f"{fmt(metric, lo, signed=True)} to {_db(metric, hi)}"


def _join(items: Iterable[str]) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _seeds_text(groups: Sequence[Group]) -> str:
    kinds = {g.seeds or (g.seed,) for g in groups}
    if len(kinds) == 1:
        (seeds,) = kinds
        return f"seed {seeds[0]}" if len(seeds) == 1 else f"mean over seeds {', '.join(map(str, seeds))}"
    return "seeds as each panel says"


def _spread_text(groups: Sequence[Group], mismatches: Sequence[Mismatch]) -> str:
    single = [g for g in groups if not g.seeds]
    if len(single) == len(groups):
        seeds = sorted({g.seed for g in groups if g.seed is not None})
        return (f"{ONE_SEED.capitalize()} (seed {', '.join(map(str, seeds))}), so no difference is tested against "
                "seed-to-seed noise.")
    tested = [m for m in mismatches if m.significant is not None]
    sig = sum(bool(m.significant) for m in tested)
    text = (f"Against the seed spread, {sig} of {len(tested)} mismatch costs stand out and {len(tested) - sig} are "
            f"marked {SEED_SPREAD_RULE.marker} (the rule under How to read it)")
    unknown = len(mismatches) - len(tested)
    if unknown:
        text += f"; {unknown} could not be tested (a spread unknown)"
    if single:
        text += "; " + ", ".join(f"{g.eval_set} ×{g.scale}" for g in single) + f": {ONE_SEED}"
    return text + "."


def _describe(value: object) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value))
    if isinstance(value, float):
        return f"{value:g}"
    return "–" if value is None else str(value)


def _official_rows(cells: Sequence[CellRecord], models: Sequence[ModelRecord]) -> dict[str, str]:
    """Row label of each official model key: the weights file it was loaded from
    (``authors' 9-1-5_T91/x3.mat``), the key's first digits when its model record is missing."""
    files = {m.key: ", ".join(sorted(m.data)) for m in models if m.kind == "official" and m.data}
    keys = sorted({r.model_key for r in cells if r.kind == "official" and r.model_key})
    return {k: f"{OFFICIAL} {files.get(k, k[:8])}" for k in keys}


def budget_text(recipe: Mapping[str, object] | None) -> str | None:
    """A recipe dict's training budget as people write it (``20 steps``, ``8 epochs``), or None."""
    budget = None if recipe is None else recipe.get("budget")
    if isinstance(budget, Mapping) and isinstance(budget.get("value"), (int, float)) and budget.get("unit"):
        return f"{budget['value']:g} {budget['unit']}"
    return None


#: Names of a model's data a report lists in full; more are counted, with the first and last.
DATA_NAMES_SHOWN = 4


def data_label(data: Mapping[str, str]) -> str:
    """A model's data (name -> content hash) in a table cell: its names, or for more than
    :data:`DATA_NAMES_SHOWN` their count with the first and last (sorted).

    >>> data_label({"t2": "…", "t1": "…"}), data_label({f"im{i:02d}": "…" for i in range(91)})
    ('t1, t2', '91 images: im00 … im90')
    """
    names = sorted(data)
    if len(names) <= DATA_NAMES_SHOWN:
        return ", ".join(names)
    return f"{len(names)} images: {names[0]} … {names[-1]}"


def recipe_labels(recipes: Iterable[Mapping[str, object]]) -> dict[str, str]:
    """Label of each distinct recipe dict (by :func:`canonical_json`): its name and budget
    (``fast, 20 steps``), plus, where several dicts would still read alike, the fields that tell
    them apart (``fast, 8 epochs, lr [0.002, 0.002, 0.0002]``)."""
    distinct = {canonical_json(r): r for r in recipes}
    base = {k: ", ".join(x for x in (dict_label(r), budget_text(r)) if x) for k, r in distinct.items()}
    labels = {}
    for key, recipe in distinct.items():
        twins = [distinct[k] for k, b in base.items() if b == base[key] and k != key]
        differing = sorted({f for t in twins for f in set(t) | set(recipe) if t.get(f) != recipe.get(f)} - {"budget"})
        extra = ", ".join(f"{f} {_describe(recipe.get(f))}" for f in differing)
        labels[key] = base[key] + (f", {extra}" if extra else "")
    return labels


def model_columns(cells: Sequence[CellRecord], models: Sequence[ModelRecord]) -> pd.DataFrame:
    """What tells the cells' models apart, indexed by cell key: ``recipe`` (its label, budget
    included, :func:`recipe_labels`), ``budget`` and ``weights`` (the authors' weights file of an
    official cell)."""
    labels = recipe_labels(r.recipe for r in cells if r.recipe is not None)
    files = {m.key: ", ".join(sorted(m.data)) for m in models if m.kind == "official" and m.data}
    rows = [{"key": r.key,
             "recipe": None if r.recipe is None else labels[canonical_json(r.recipe)],
             "budget": budget_text(r.recipe),
             "weights": files.get(r.model_key or "") if r.kind == "official" else None} for r in cells]
    return pd.DataFrame(rows, columns=["key", "recipe", "budget", "weights"]).set_index("key")


def short_budget(record: CellRecord) -> str | None:
    """Why a trained cell's budget should be read with care: it differs from its recipe's own."""
    from sr_audit.recipes import RECIPES

    recipe = record.recipe or {}
    name, given = recipe.get("name"), budget_text(recipe)
    own = RECIPES.get(name) if isinstance(name, str) else None
    if own is None or given is None or given == str(own.budget):
        return None
    return f"budget {given}, not the recipe's own {own.budget}"


def build(cells: Sequence[CellRecord], models: Sequence[ModelRecord]) -> ReportData:
    """Report content from records.

    When several cells land on the same place (same group, row and eval spec: e.g. the same
    experiment rerun with other library versions), the newest one is shown and the others are
    listed in ``superseded``.
    """
    official = _official_rows(cells, models)
    recipes = recipe_labels(r.recipe for r in cells if r.recipe is not None)
    wrapped = []
    for r in cells:
        row = (r.train_spec if r.kind == "trained" else official[r.model_key] if r.kind == "official"
               else r.model if r.kind == "external" else BICUBIC)
        recipe = None if r.recipe is None else recipes[canonical_json(r.recipe)]
        wrapped.append(Cell(record=r, protocol=dict_label(r.protocol) or "", recipe=recipe, row=row))
    place: dict[tuple, Cell] = {}
    superseded = []
    for c in sorted(wrapped, key=lambda c: c.record.environment.date, reverse=True):
        r = c.record
        spot = (r.kind, r.eval_set, c.protocol, r.scale, r.space, r.model, r.seed, c.recipe, c.row, r.eval_spec)
        if spot in place:
            superseded.append(c)
        else:
            place[spot] = c
    hidden = {id(c) for c in superseded}
    kept = [c for c in wrapped if id(c) not in hidden]
    groups = {Group(c.record.eval_set, c.protocol, c.record.scale, c.record.model, c.record.seed, c.recipe,
                    space=c.record.space) for c in kept if c.record.kind == "trained"}
    for c in kept:  # official weights with no trained group of their model get a group of their own
        r = c.record
        if r.kind == "official" and not any(
            (g.eval_set, g.protocol, g.scale, g.space, g.model) == (r.eval_set, c.protocol, r.scale, r.space, r.model)
            for g in groups
        ):
            groups.add(Group(r.eval_set, c.protocol, r.scale, r.model, None, None, space=r.space))
    families: dict[Group, set[int]] = {}
    for g in groups:
        if g.seed is not None:
            families.setdefault(dataclasses.replace(g, seed=None), set()).add(g.seed)
    groups |= {dataclasses.replace(g, seeds=tuple(sorted(seeds))) for g, seeds in families.items() if len(seeds) > 1}
    ordered = sorted(groups, key=lambda g: (g.eval_set, g.protocol, g.scale, g.space, g.model, g.recipe or "", not g.seeds,
                                            g.seed is None, g.seed or 0))
    return ReportData(cells=kept, models=list(models), groups=ordered, superseded=superseded)
