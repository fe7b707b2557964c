"""The report's finding and the seed-spread marks, on synthetic records (no training).

Two seeds with known numbers: seed 1 is seed 0 with every trained cell 0.2 dB higher, so each
trained cell's spread over seeds is 0.2/√2 and the per-seed vs-matched differences do not move
(paired spread 0): the rule's combined spread √(s_A² + s_B²) = 0.2 decides, marking the
within-family costs (about −0.1 dB) not significant and the cross-family ones (about −1.1 dB)
significant; gains over bicubic (about +2.6 dB, spread 0.14) are significant.
"""
from __future__ import annotations

import math
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from sr_audit.matrix.store import Store
from sr_audit.report import write_report
from sr_audit.report.tables import FAMILIES, ONE_SEED, SEED_SPREAD_RULE, UNDER_TRAINED, SeedSpreadRule, build, fmt
from test_store import TRAIN_SPECS, write_synthetic_store

SHIFT = 0.2
NS = SEED_SPREAD_RULE.marker


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    return write_synthetic_store(tmp_path_factory.mktemp("finding") / "store")


def _seed1(records):
    return [replace(r, seed=1, model_key=(r.model_key or "")[:-1] + "1",
                    images=tuple(replace(im, psnr_y=im.psnr_y + SHIFT) for im in r.images))
            for r in records if r.kind == "trained"]


def _two_seeds(store: Store):
    records = store.cell_records()
    return build([*records, *_seed1(records)], store.model_records())


def _family(train: str, eval_spec: str) -> str:
    t, e = train.endswith("+aa"), eval_spec.endswith("+aa")
    return "same" if t == e else "aa-to-plain" if t else "plain-to-aa"


def _median(m, family: str) -> float:
    return float(np.median([m.vs_matched.loc[t, e] for t in TRAIN_SPECS for e in TRAIN_SPECS
                            if t != e and _family(t, e) == family]))


def test_the_rule_takes_the_larger_spread_and_k_times_it() -> None:
    rule = SeedSpreadRule()
    assert rule.noise(paired=0.3, cell=0.1, reference=0.1) == 0.3, "paired spread larger"
    assert rule.noise(paired=0.0, cell=0.3, reference=0.4) == 0.5, "combined spread larger"
    assert rule.noise(paired=math.nan, cell=0.1) != rule.noise(paired=math.nan, cell=0.1), "unknown is NaN"
    assert rule.significant(0.51, 0.5) is True and rule.significant(-0.5, 0.5) is False
    assert rule.significant(math.nan, 0.5) is None and rule.significant(1.0, math.nan) is None
    assert SeedSpreadRule(k=2).significant(0.9, 0.5) is False
    assert NS in rule.legend() and ONE_SEED.capitalize() in rule.legend()


def test_two_seeds_mark_differences_within_the_spread_both_ways(store: Store) -> None:
    data = _two_seeds(store)
    group = data.groups[0]
    assert group.seeds == (0, 1)
    m = data.matrix(group, "psnr_y")
    s = SHIFT / math.sqrt(2)
    within, across = ("pil:bicubic+aa", "matlab:bicubic+aa"), ("pil:bicubic+aa", "cv2:bicubic-aa")
    for t, e in (within, across):
        assert m.spread["absolute"].loc[t, e] == pytest.approx(s) and m.spread["vs_matched"].loc[t, e] == pytest.approx(0, abs=1e-12)
    # |−0.14| <= 0.2 (= √2 · s): within the spread; |−1.09| > 0.2: significant.
    assert abs(m.vs_matched.loc[within]) < SHIFT < abs(m.vs_matched.loc[across])
    assert m.verdict("vs_matched", *within) is False and m.verdict("vs_matched", *across) is True
    assert m.verdict("vs_matched", "pil:bicubic+aa", "pil:bicubic+aa") is None, "the reference is no difference"
    assert m.verdict("vs_matched", "pil:bicubic+aa", "torch:bicubic-aa") is None, "no reference"
    assert m.verdict("absolute", *within) is None
    assert all(m.verdict("vs_bicubic", t, t) for t in TRAIN_SPECS), "gains of ~+2.6 dB against a spread of 0.14"
    # The authors' row is one model for both seeds: its vs-matched spread is the matched cell's.
    authors = m.absolute.index[m.n_trained_rows]
    assert m.spread["vs_matched"].loc[authors, "pil:bicubic+aa"] == pytest.approx(s)
    table = m.text("vs_matched")
    rows = {r[0]: dict(zip(table.columns, r)) for r in table.rows}
    classes = {r[0]: dict(zip(table.columns, c)) for r, c in zip(table.rows, table.classes)}
    assert rows[within[0]][within[1]] == f"{fmt('psnr_y', m.vs_matched.loc[within], signed=True)} ±0.00 {NS}"
    assert rows[across[0]][across[1]].endswith("±0.00") and NS not in rows[across[0]][across[1]]
    assert classes[within[0]][within[1]].endswith(" ns") and "ns" not in classes[across[0]][across[1]]
    assert not any(NS in v for r in m.text("absolute").rows for v in r), "absolute values are not differences"
    # The groups of each seed mark nothing.
    single = data.matrix(data.groups[1], "psnr_y")
    assert single.significant is None and not any(NS in v for r in single.text("vs_matched").rows for v in r)


def test_finding_numbers_are_the_tables_numbers(store: Store) -> None:
    data = _two_seeds(store)
    finding = data.finding()
    [(group, panel)] = finding.panels
    assert group.seeds == (0, 1) and list(panel.vs_matched.index) == list(panel.vs_matched.columns) == sorted(TRAIN_SPECS)
    m = data.matrix(group, "psnr_y")
    costs = {(t, e): m.vs_matched.loc[t, e] for t in TRAIN_SPECS for e in TRAIN_SPECS if t != e}
    (t, e), worst = min(costs.items(), key=lambda kv: kv[1])
    text = finding.text
    table = {r[0]: dict(zip(m.text("vs_matched").columns, r)) for r in m.text("vs_matched").rows}
    printed = fmt("psnr_y", worst, signed=True)
    assert table[t][e].startswith(printed)
    assert f"The largest cost is {printed} dB: trained on {t}, evaluated on {e} (Set5 ×3)" in text
    for family, label in FAMILIES.items():
        n = sum(_family(*k) == family for k in costs)
        marked = sum(m.verdict("vs_matched", *k) is False for k in costs if _family(*k) == family)
        assert f"{label}, median {fmt('psnr_y', _median(m, family), signed=True)} dB" in text
        assert f"{n} cells, {marked} {NS})" in text and marked == (2 if family == "same" else 0)
    n_sig = sum(bool(m.verdict("vs_matched", *k)) for k in costs)
    assert (n_sig, len(costs)) == (4, 6)
    assert f"{n_sig} of {len(costs)} mismatch costs stand out and {len(costs) - n_sig} are marked {NS}" in text
    gains = [m.vs_bicubic.loc[s, s] for s in TRAIN_SPECS]
    lo, hi = fmt("psnr_y", min(gains), signed=True), fmt("psnr_y", max(gains), signed=True)
    span = lo if lo == hi else f"{lo} to {hi}"  # the synthetic gains print alike: one value
    assert f"the matched cells gain {span} dB over their own bicubic input (3 of 3 beyond the seed spread)" in text
    assert "mean over seeds 0, 1" in text and "no published figure of recipe paper-91" in text
    assert "Read first" not in text and ONE_SEED not in text


def test_one_seed_says_spread_unknown_and_marks_nothing(store: Store, tmp_path: Path) -> None:
    files = write_report(store, tmp_path / "out")
    md = files.markdown.read_text(encoding="utf-8")
    finding = md.split("## Finding\n\n", 1)[1].split("\n## ", 1)[0]
    assert md.index("## Finding") < md.index("## How to read it")
    assert f"{ONE_SEED.capitalize()} (seed 0), so no difference is tested" in finding
    assert "![Finding" in finding and (tmp_path / "out" / "figures" / "finding.png").is_file()
    tables = [line for line in md.splitlines() if line.startswith("|")]
    assert tables and not any(f" {NS}" in line for line in tables)
    assert f"- **{NS}**: " in md, "the marker is explained once, in the legend"
    html = files.html.read_text(encoding="utf-8")
    assert 'id="finding"' in html and html.index('id="finding"') < html.index('id="how-to-read"')
    assert 'class="ns' not in html and "ns num" not in html


def test_report_over_two_seeds_shows_the_marks_everywhere(store: Store, tmp_path: Path) -> None:
    """Markdown, HTML and the heatmaps of the group over seeds carry the marks; the finding figure
    has one panel per scale."""
    two = Store(tmp_path / "store", create=True)
    keys = {}
    for model in store.model_records():
        for change in ({}, {"seed": 1}, {"scale": 2}, {"scale": 2, "seed": 1}):
            if model.kind == "official" and "seed" in change:
                continue
            derived = replace(model, **change)
            keys[model.key, tuple(change.items())] = two.put_model(derived, checkpoint=b"synthetic")
    for r in store.cell_records():
        for scale in (3, 2):
            worse = -0.5 if (scale, r.train_spec, r.eval_spec) == (2, "matlab:bicubic+aa", "cv2:bicubic-aa") else 0.0
            for seed in ((0, 1) if r.kind == "trained" else (r.seed,)):
                change = (({"scale": 2} if scale == 2 else {}) | ({"seed": 1} if seed == 1 else {}))
                shift = worse + (SHIFT if seed == 1 else 0.0)
                two.put_cell(replace(r, scale=scale, seed=seed,
                                     model_key=r.model_key and keys[r.model_key, tuple(change.items())],
                                     images=tuple(replace(im, psnr_y=im.psnr_y + shift) for im in r.images)))
    files = write_report(two, tmp_path / "out")
    md = files.markdown.read_text(encoding="utf-8")
    finding = md.split("## Finding\n\n", 1)[1].split("\n## ", 1)[0]
    data = build(two.cell_records(), two.model_records())
    x2 = data.matrix(next(g for g in data.groups if g.seeds and g.scale == 2), "psnr_y")
    worst = x2.vs_matched.loc["matlab:bicubic+aa", "cv2:bicubic-aa"]
    assert (f"The largest cost is {fmt('psnr_y', worst, signed=True)} dB: trained on matlab:bicubic+aa, evaluated on "
            f"cv2:bicubic-aa (Set5 ×2); the largest per scale: ×2 {fmt('psnr_y', worst, signed=True)} dB") in finding
    assert "8 of 12 mismatch costs stand out and 4 are marked" in finding
    rows = [line for line in md.splitlines() if line.startswith("| pil:bicubic+aa |")]
    assert any(f"±0.00 {NS} |" in line for line in rows), "markdown marks"
    html = files.html.read_text(encoding="utf-8")
    assert re.search(rf'<td class="(pos|neg) ns num">[^<]* ±0\.00 {re.escape(NS)}</td>', html), "HTML marks and classes"
    assert x2.cell_text("vs_matched", "pil:bicubic+aa", "matlab:bicubic+aa", x2.vs_matched.loc[
        "pil:bicubic+aa", "matlab:bicubic+aa"], sep="\n").endswith(f"\n±0.00 {NS}"), "the heatmaps' annotation"
    with Image.open(tmp_path / "out" / "figures" / "finding.png") as im:
        assert im.width > 1.5 * im.height, "two scales side by side"
    one = data.finding()
    assert [g.scale for g, _ in one.panels] == [2, 3] and all(g.seeds == (0, 1) for g, _ in one.panels)


def test_finding_is_honest_about_under_trained_models(tmp_path: Path) -> None:
    short = write_synthetic_store(tmp_path / "short", recipe={"name": "fast", "budget": {"unit": "steps", "value": 20}},
                                  trained_offset=-14.0)
    text = build(short.cell_records(), short.model_records()).finding().text
    assert f"3 matched models score below their own bicubic input: {UNDER_TRAINED}" in text
    assert "the recipe ran with another budget than its own (Read first)" in text
    assert "recipe fast, 20 steps" in text


def test_finding_compares_with_published_figures(tmp_path: Path) -> None:
    figure = {"dataset": "Set5", "scale": 3, "space": "y", "psnr": 36.0, "source": "a paper", "ssim": None,
              "bicubic_psnr": None, "bicubic_ssim": None}
    st = write_synthetic_store(tmp_path / "s", recipe={"name": "paper-91", "reported": [figure]})
    data = build(st.cell_records(), st.model_records())
    deltas = [p.delta for p in data.published_rows()]
    assert len(deltas) == 3
    table = data.published().table
    assert sorted(r[11] for r in table.rows) == sorted(fmt("psnr", d, signed=True) for d in deltas)
    reached = sum(d >= 0 for d in deltas)
    assert (f"against the figures their recipe's source publishes they are {fmt('psnr', min(deltas), signed=True)} to "
            f"{fmt('psnr', max(deltas), signed=True)} dB ({reached} of 3 at or above; Published vs measured)") in data.finding().text


def test_no_mismatch_cell_still_opens_the_report(tmp_path: Path) -> None:
    st = write_synthetic_store(tmp_path / "s")
    records = [r for r in st.cell_records() if r.kind != "trained"]
    finding = build(records, st.model_records()).finding()
    assert finding.panels == () and finding.text.startswith("No train/eval mismatch is measured")


def test_a_train_spec_never_evaluated_is_a_row_of_the_finding(store: Store) -> None:
    """Its antialiasing comes from the spec string (+aa) when no cell records its conventions."""
    data = build([r for r in store.cell_records() if r.eval_spec != "matlab:bicubic+aa"], store.model_records())
    assert data.antialias("matlab:bicubic+aa") is True and data.antialias("cv2:bicubic-aa") is False
    finding = data.finding()
    [(_, panel)] = finding.panels
    assert list(panel.vs_matched.index) == ["cv2:bicubic-aa", "pil:bicubic+aa", "matlab:bicubic+aa"]
    assert list(panel.vs_matched.columns) == ["cv2:bicubic-aa", "pil:bicubic+aa"]
    assert {(m.train, m.family) for m in finding.mismatches if m.train == "matlab:bicubic+aa"} == {
        ("matlab:bicubic+aa", "aa-to-plain"), ("matlab:bicubic+aa", "same")}


def test_sprint_and_fast_are_compared_with_the_paper_figures_they_aim_at(tmp_path: Path) -> None:
    """fast and sprint report no figure of their own; their matched Set5 x3 cells are set against
    the paper's 9-1-5 figure (published.TARGETS), not 'no published figure'."""
    st = write_synthetic_store(tmp_path / "s", recipe={"name": "sprint", "budget": {"unit": "steps", "value": 12000}})
    data = build(st.cell_records(), st.model_records())
    rows = [p for p in data.published_rows() if p.cell is not None]
    assert rows and {(p.figure.dataset, p.figure.scale, p.figure.psnr) for p in rows} == {("Set5", 3, 32.39)}
    assert all("target of sr-audit's recipes fast and sprint" in p.figure.source for p in rows)
    assert {p.cell.record.eval_spec.split(":")[0] for p in rows} <= {"matlab", "matlab-legacy"}, "the paper's degradation only"
    text = data.finding().text
    assert "against the paper's figures their recipe aims at" in text and "no published figure" not in text
    other = write_synthetic_store(tmp_path / "o", recipe={"name": "my-recipe"})
    assert not [p for p in build(other.cell_records(), other.model_records()).published_rows()]
