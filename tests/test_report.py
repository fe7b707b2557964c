"""Tests of the reports, on the synthetic store of ``test_store.py`` (no training)."""
from __future__ import annotations

import base64
import io
import math
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from sr_audit.cli.main import main_from_args
from sr_audit.errors import DataError, SpecError
from sr_audit.report import BICUBIC_ROW, REPORT_METRICS, ReportFiles, summary_tables, write_report
from sr_audit.report.plots import heatmaps_png
from sr_audit.report.tables import OFFICIAL, build, fmt
from sr_audit.matrix.store import Environment, Store
from test_store import EVAL_SPECS, IMAGES, TRAIN_SPECS, synthetic_psnr_y, write_synthetic_store


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    return write_synthetic_store(tmp_path_factory.mktemp("report") / "store")


@pytest.fixture(scope="module")
def report(store: Store, tmp_path_factory: pytest.TempPathFactory) -> ReportFiles:
    return write_report(store, tmp_path_factory.mktemp("out"))


#: Row label of the synthetic store's authors' weights: named by their file.
AUTHORS = f"{OFFICIAL} srcnn_x3.mat"


def _mean(kind: str, train: str | None, eval_spec: str) -> float:
    return float(np.mean([synthetic_psnr_y(kind, train, eval_spec, im) for im in IMAGES]))


def test_matrices_follow_the_stated_definitions(store: Store) -> None:
    data = build(store.cell_records(), store.model_records())
    assert len(data.groups) == 1
    m = data.matrix(data.groups[0], "psnr_y")
    # Matched cells on the top-left diagonal, the untrained eval spec last, official row last.
    assert list(m.absolute.columns) == sorted(TRAIN_SPECS) + ["torch:bicubic-aa"]
    assert list(m.absolute.index) == sorted(TRAIN_SPECS) + [AUTHORS]
    assert set(m.absolute.columns) == set(EVAL_SPECS) and m.n_trained_rows == 3
    t, e = "cv2:bicubic-aa", "pil:bicubic+aa"
    assert m.absolute.loc[t, e] == pytest.approx(_mean("trained", t, e))
    assert m.vs_matched.loc[t, e] == pytest.approx(_mean("trained", t, e) - _mean("trained", e, e))
    assert m.vs_bicubic.loc[t, e] == pytest.approx(_mean("trained", t, e) - _mean("bicubic", None, e))
    assert m.vs_matched.loc[AUTHORS, e] == pytest.approx(_mean("official", None, e) - _mean("trained", e, e))
    assert all(m.vs_matched.loc[s, s] == 0 for s in TRAIN_SPECS)
    assert m.vs_matched["torch:bicubic-aa"].isna().all(), "no model was trained on torch: no reference"
    assert m.vs_bicubic["torch:bicubic-aa"].notna().all()


def test_tables_mark_reference_and_missing_cells(store: Store) -> None:
    data = build(store.cell_records(), store.model_records())
    m = data.matrix(data.groups[0], "ssim_y")
    table = m.text("vs_matched")
    row = table.rows[1]  # matlab:bicubic+aa
    assert row[0] == "matlab:bicubic+aa" and row[2] == "ref" and table.classes[1][2] == "diag"
    assert row[4] == "–" and table.classes[1][4] == "na"
    assert re.fullmatch(r"[+−]0\.\d{4}", row[1])
    absolute = m.text("absolute")
    assert absolute.rows[-1][0] == "(bicubic)" and len(absolute.rows) == len(m.absolute) + 1
    assert "**ref**" in table.markdown()
    per_image = data.per_image(data.groups[0], "psnr_y")
    assert per_image.columns == ("train spec / model", "eval spec", *IMAGES, "mean")
    assert len(per_image.rows) == (len(TRAIN_SPECS) + 2) * len(EVAL_SPECS)  # trained, official, baselines
    conv = data.conventions_table()
    emphasised = {r[0] for r, c in zip(conv.rows, conv.classes) if c[0] == "em"}
    assert {"cubic_a", "antialias", "border", "rounding"} <= emphasised and "kernel" not in emphasised


def test_summary_is_the_reports_absolute_table(store: Store, report: ReportFiles) -> None:
    """The terminal summary of `sr-audit matrix` (sr_audit.report.summary) is the report's absolute
    table, one builder: same title, columns, row labels and order, printed values; its gains are
    the vs-bicubic view's diagonal, for the trained eval specs only."""
    data = build(store.cell_records(), store.model_records())
    [group] = data.groups
    matrix = data.matrix(group, "psnr_y")
    [summary] = summary_tables(store)
    shown = matrix.text("absolute")
    assert shown.columns == (summary.table.index.name, *summary.table.columns)
    assert [r[0] for r in shown.rows] == list(summary.table.index) == [*sorted(TRAIN_SPECS), AUTHORS, BICUBIC_ROW]
    assert [r[1:] for r in shown.rows] == [tuple(fmt("psnr_y", v) for v in row) for row in summary.table.to_numpy()]
    assert summary.gains == {s: matrix.vs_bicubic.loc[s, s] for s in TRAIN_SPECS}
    assert summary.gains["pil:bicubic+aa"] == pytest.approx(_mean("trained", "pil:bicubic+aa", "pil:bicubic+aa")
                                                            - _mean("bicubic", None, "pil:bicubic+aa"))
    assert summary.title == f"{group.label}: PSNR Y (dB)" and f"\n## {group.label}\n" in report.markdown.read_text()
    text = summary.text().splitlines()
    assert text[0] == summary.title and text[-1].startswith(f"matched cells minus {BICUBIC_ROW}: min ")
    assert any(line.startswith(AUTHORS) for line in text)
    assert summary_tables(store, ["0" * 64]) == [], "keys not in the store are left out"
    assert summary_tables(store, metric="ssim_y")[0].table.loc[BICUBIC_ROW].between(0, 1).all()
    with pytest.raises(SpecError, match="unknown metric 'psnr'; metrics: psnr_rgb, psnr_y"):
        summary_tables(store, metric="psnr")


def test_html_is_one_self_contained_file(report: ReportFiles) -> None:
    html = report.html.read_text(encoding="utf-8")
    assert "<script" not in html and "<link" not in html and "@import" not in html
    refs = re.findall(r"""(?:src|href)\s*=\s*["']([^"']*)""", html) + re.findall(r"url\(([^)]*)\)", html)
    assert refs and all(r.startswith(("data:image/png;base64,", "#")) for r in refs), [r[:40] for r in refs if not r.startswith(("data:", "#"))]
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', html)
    heatmaps, crops = len(REPORT_METRICS), 3 + 3  # best: hr, bicubic, sr; worst: the same (no matched model)
    assert len(images) == 1 + heatmaps + crops, "the finding's figure, the heatmaps, the crops"
    for data in images:
        with Image.open(io.BytesIO(base64.b64decode(data))) as im:
            assert im.format == "PNG" and min(im.size) >= 16
    for text in ("authors&#39; weights", "torch:bicubic-aa", "BT.601", "Best cell", "Worst cell", "renormalise", "2.13.0"):
        assert text in html, text


def test_markdown_links_resolve(report: ReportFiles) -> None:
    md = report.markdown.read_text(encoding="utf-8")
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md)
    assert len(links) == 1 + len(REPORT_METRICS) + 6 and links[0] == "figures/finding.png"
    assert all((report.markdown.parent / link).is_file() for link in links)
    assert len(report.figures) == 1 + len(REPORT_METRICS) and all(f.parent.name == "figures" for f in report.figures)
    assert "| train \\ eval | cv2:bicubic-aa |" in md and "## Conventions of the eval specs" in md


def test_heatmaps_are_readable_images(report: ReportFiles, store: Store) -> None:
    with Image.open(report.figures[0]) as im:
        rgb = np.asarray(im.convert("RGB"))
    assert rgb.shape[1] > rgb.shape[0] and len(np.unique(rgb.reshape(-1, 3), axis=0)) > 50
    data = build(store.cell_records(), store.model_records())
    m = data.matrix(data.groups[0], "psnr_y")
    wide = m.absolute.reindex(columns=[*m.absolute.columns, "a:bicubic", "b:bicubic", "c:bicubic"])
    stacked = replace(m, absolute=wide, vs_matched=wide - 1, vs_bicubic=wide - 2)
    with Image.open(io.BytesIO(heatmaps_png(stacked, "seven eval specs"))) as im:
        assert im.height > im.width, "more than five eval specs stack the panels"


def test_report_is_regenerated_without_touching_results(store: Store, report: ReportFiles) -> None:
    results = sorted(store.root.glob("cells/*/*.json")) + sorted(store.root.glob("models/*/*"))
    before = {p: p.stat().st_mtime_ns for p in results}
    stale = store.root / "figures" / "old-group-psnr_y.png"
    stale.parent.mkdir(exist_ok=True)
    stale.write_bytes(b"old")
    assert main_from_args(["report", str(store.root)]) == 0
    assert not stale.exists()
    # Same content as the report written elsewhere, but for the generation date and crop paths.
    strip = re.compile(r"generated \S+|\]\([^)]*crops/")
    assert strip.sub("", (store.root / "report.md").read_text()) == strip.sub("", report.markdown.read_text())
    assert (store.root / "report.html").stat().st_size > 100_000
    assert {p: p.stat().st_mtime_ns for p in results} == before
    assert not list(store.root.rglob(".*.tmp"))


def test_a_newer_cell_at_the_same_place_supersedes_the_older(store: Store) -> None:
    records = store.cell_records()
    old = next(r for r in records if r.kind == "bicubic" and r.eval_spec == "cv2:bicubic-aa")
    newer = replace(old, environment=Environment(versions={**old.environment.versions, "opencv": "4.12.0"},
                                                 device="cpu", sr_audit="0.1.0", date="2026-02-01T00:00:00+00:00"),
                    images=tuple(replace(im, psnr_y=20.0) for im in old.images))
    assert newer.key != old.key
    data = build([*records, newer], store.model_records())
    assert [c.key for c in data.superseded] == [old.key]
    m = data.matrix(data.groups[0], "psnr_y")
    assert m.bicubic["cv2:bicubic-aa"] == 20.0
    assert m.vs_bicubic.loc["cv2:bicubic-aa", "cv2:bicubic-aa"] == pytest.approx(_mean("trained", "cv2:bicubic-aa", "cv2:bicubic-aa") - 20.0)


def test_several_seeds_get_a_mean_and_std_group(store: Store, tmp_path: Path) -> None:
    records = store.cell_records()
    seed1 = [replace(r, seed=1, model_key="1" * 64,
                     images=tuple(replace(im, psnr_y=im.psnr_y + (0.2 if r.train_spec != r.eval_spec else 0.0)) for im in r.images))
             for r in records if r.kind == "trained"]
    data = build([*records, *seed1], store.model_records())
    assert [(g.seed, g.seeds) for g in data.groups] == [(None, (0, 1)), (0, ()), (1, ())]
    m = data.matrix(data.groups[0], "psnr_y")
    t, e = "cv2:bicubic-aa", "pil:bicubic+aa"
    v0 = _mean("trained", t, e) - _mean("trained", e, e)
    assert m.vs_matched.loc[t, e] == pytest.approx(v0 + 0.1)
    assert m.spread["vs_matched"].loc[t, e] == pytest.approx(0.2 / math.sqrt(2))
    assert m.spread["absolute"].loc[AUTHORS, e] == 0.0 and m.vs_matched.loc[e, e] == 0.0
    assert m.text("vs_matched").rows[0][1:3] == ("ref", fmt("psnr_y", m.vs_matched.iloc[0, 1], signed=True) + " ±0.14")
    with Image.open(io.BytesIO(heatmaps_png(m, data.groups[0].label))) as im:
        im.save(tmp_path / "seeds.png")
        assert im.width > im.height


def test_official_weights_alone_get_a_group(tmp_path: Path) -> None:
    store = write_synthetic_store(tmp_path / "store")
    records = [r for r in store.cell_records() if r.kind != "trained"]
    data = build(records, store.model_records())
    assert len(data.groups) == 1 and data.groups[0].seed is None
    m = data.matrix(data.groups[0], "psnr_y")
    assert list(m.absolute.index) == [AUTHORS] and m.vs_matched.isna().all().all()
    assert not math.isnan(m.vs_bicubic.loc[AUTHORS, "pil:bicubic+aa"])
    assert data.gains() == []


def test_report_command_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Store(tmp_path / "empty", create=True)
    assert main_from_args(["report", str(tmp_path / "empty")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no finished cells" in err
    with pytest.raises(DataError, match="no results store"):
        write_report(Store(tmp_path / "missing"))


def _with_budget(records, budget: dict, key_digit: str):
    """The trained records as if their models had been trained with another budget."""
    from sr_audit.report.tables import budget_text  # noqa: F401  (the function under test reads this field)

    out = []
    for r in records:
        if r.kind == "trained":
            r = replace(r, recipe={**r.recipe, "name": "fast", "budget": budget}, model_key=key_digit * 64,
                        images=tuple(replace(im, psnr_y=im.psnr_y - 14.0) for im in r.images))
        out.append(r)
    return out


def test_rows_name_models_by_budget_and_weights_file(store: Store) -> None:
    """Two budgets of one recipe are two groups whose titles say the budget; the authors' weights
    are named by their file; a short budget and a model below its own bicubic input are said where
    the numbers are."""
    records = store.cell_records()
    short = _with_budget(records, {"unit": "steps", "value": 20}, "2")
    full = [r for r in _with_budget(records, {"unit": "epochs", "value": 8}, "3") if r.kind == "trained"]
    full = [replace(r, images=tuple(replace(im, psnr_y=im.psnr_y + 14.0) for im in r.images)) for r in full]
    data = build([*short, *full], store.model_records())
    labels = sorted({g.recipe for g in data.groups})
    assert labels == ["fast, 20 steps", "fast, 8 epochs"], labels
    assert all(any(label in g.label for g in data.groups) for label in labels)
    notes = data.training_notes()
    assert any("recipe fast, 20 steps: budget 20 steps, not the recipe's own 8 epochs" in n for n in notes), notes
    under = [n for n in notes if n.startswith("under-trained")]
    assert len(under) == 3 and all("fast, 20 steps" in n and "below its own bicubic input" in n for n in under)
    short_group = next(g for g in data.groups if g.recipe == "fast, 20 steps")
    long_group = next(g for g in data.groups if g.recipe == "fast, 8 epochs")
    assert len(data.training_notes(short_group)) == 4 and data.training_notes(long_group) == []
    assert AUTHORS in data.matrix(short_group, "psnr_y").absolute.index


def test_recipes_that_read_alike_are_told_apart_by_their_fields() -> None:
    from sr_audit.report.tables import recipe_labels

    a = {"name": "fast", "budget": {"unit": "epochs", "value": 8}, "lr": [1e-3, 1e-3, 1e-4]}
    b = {**a, "lr": [2e-3, 2e-3, 2e-4]}
    c = {"name": "quick", "budget": {"unit": "steps", "value": 300}}
    labels = sorted(recipe_labels([a, b, c]).values())
    assert labels == ["fast, 8 epochs, lr 0.001, 0.001, 0.0001", "fast, 8 epochs, lr 0.002, 0.002, 0.0002", "quick, 300 steps"]


def test_report_says_read_first_where_budgets_are_short(tmp_path: Path) -> None:
    from test_store import write_synthetic_store as write

    short = write(tmp_path / "short", recipe={"name": "fast", "budget": {"unit": "steps", "value": 20}}, trained_offset=-14.0)
    files = write_report(short, tmp_path / "out")
    md = files.markdown.read_text()
    assert "## Read first: training budgets" in md and "under-trained" in md and "fast, 20 steps" in md
    assert md.index("Read first") < md.index("## How to read it")
    html = files.html.read_text()
    assert 'id="read-first"' in html and html.count('class="warn"') >= 4
    plain = write_report(write(tmp_path / "plain"), tmp_path / "out2").markdown.read_text()
    assert "Read first" not in plain and "under-trained" not in plain
