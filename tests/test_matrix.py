"""Tests of ``sr-audit matrix``: the plan, keys and skipping, equality with ``evaluate``, crops,
resilience (SIGKILL then rerun, two processes on one store), the process-per-device executor, and
the quick recipe's promise that matched cells beat their bicubic baseline.

Most tests run a tiny matrix (a few 80x80 training crops, two 60x60 eval images, 30 steps) so the
suite stays short on two CPU cores.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import skimage.data
from PIL import Image

from sr_audit import backends
from sr_audit.backends.base import Backend
from sr_audit.cli.main import main_from_args
from sr_audit.datasets import load_dataset
from sr_audit.degradation import Degradation
from sr_audit.errors import BackendUnavailableError, SpecError
from sr_audit.evaluation import evaluate
from sr_audit.matrix import MatrixPlan, run_matrix
from sr_audit.matrix import executors
from sr_audit.matrix.executors import ExecutorUnavailableError, import_ray, local_workers, run_local
from sr_audit.matrix.plan import load_recipe, parse_int_list
from sr_audit.matrix.work import WORK_DIR, build_workload, crop_corner
from sr_audit.recipes import Budget, Recipe
from sr_audit.io_util import canonical_json
from sr_audit.matrix.store import Store
from sr_audit.report import BICUBIC_ROW, summary_tables
from sr_audit.weights import load_model

SPECS = ("pil", "cv2")

#: A recipe small enough for tests: Adam on batches of 16, 30 steps.
TINY = Recipe(name="tiny", description="test recipe", optimizer="adam", lr=(1e-3, 1e-3, 1e-4), loss="mse", init="he",
              batch_size=16, budget=Budget("steps", 30))


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Folders of small images: 4 RGB training crops, an RGB and a gray eval crop; no weights."""
    root = tmp_path_factory.mktemp("tiny-data")
    train, evals = root / "train", root / "eval"
    train.mkdir()
    evals.mkdir()
    for name, y, x in (("astronaut", 80, 160), ("coffee", 100, 250), ("rocket", 150, 200), ("chelsea", 60, 180)):
        Image.fromarray(getattr(skimage.data, name)()[y:y + 80, x:x + 80]).save(train / f"{name}.png")
    Image.fromarray(skimage.data.immunohistochemistry()[200:260, 200:260]).save(evals / "ihc.png")
    Image.fromarray(skimage.data.camera()[100:160, 200:260]).save(evals / "camera.png")
    return {"train": train, "eval": evals, "root": root}


@pytest.fixture(scope="module", autouse=True)
def _patch_cache(tmp_path_factory: pytest.TempPathFactory):
    """Training patches are cached in a temporary folder (subprocesses inherit it)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SR_AUDIT_CACHE", str(tmp_path_factory.mktemp("patch-cache")))
        yield


def tiny_plan(data: dict[str, Path], **changes: object) -> MatrixPlan:
    fields = dict(train_specs=SPECS, eval_specs=SPECS, recipe=TINY, train_data=str(data["train"]),
                  eval_data=(str(data["eval"]),), data_root=str(data["root"]), device="cpu", crop_size=16, crop_images=1)
    return MatrixPlan(**{**fields, **changes})  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def tiny_run(tiny_data: dict[str, Path], tmp_path_factory: pytest.TempPathFactory):
    store = tmp_path_factory.mktemp("tiny-run") / "store"
    return run_matrix(tiny_plan(tiny_data), store, progress=False)


def cell_metrics(store: Store) -> dict[str, list[tuple[str, float, float, float, float]]]:
    """key -> per-image metrics of every cell."""
    return {r.key: [(i.name, i.psnr_rgb, i.psnr_y, i.ssim_rgb, i.ssim_y) for i in r.images] for r in store.cell_records()}


# --------------------------------------------------------------------------------------------
# The plan


def test_plan_keeps_the_backends_all_skipped_and_names_the_option(monkeypatch: pytest.MonkeyPatch) -> None:
    original = Backend.unavailable_reason
    monkeypatch.setattr(Backend, "unavailable_reason",
                        lambda self: "TensorFlow is not installed" if self.name == "tf" else original(self))
    plan = MatrixPlan.from_options(train="all", eval="pil,cv2")
    assert "tf" not in [s.backend for s in plan.train_specs]
    assert [(s.name, s.reason) for s in plan.skipped] == [("tf", "TensorFlow is not installed")]
    with pytest.raises(BackendUnavailableError, match="^--eval: backend 'tf' cannot run"):
        MatrixPlan.from_options(train="pil", eval="pil,tf")


def test_int_lists_are_distinct_and_errors_name_the_option() -> None:
    assert parse_int_list("2, 4,2", "--scales", 2) == (2, 4)
    for bad in ("1", "x", ""):
        with pytest.raises(SpecError, match="--scales takes a comma list of integers >= 2"):
            parse_int_list(bad, "--scales", 2)


def test_plan_checks_its_fields(tiny_data: dict[str, Path]) -> None:
    plan = tiny_plan(tiny_data, train_specs=("pil",))
    assert plan.train_specs == (backends.resolve("pil"),) and plan.model == "9-1-5"
    assert tiny_plan(tiny_data, recipe=TINY.replace(channels=3)).space == "rgb"  # RGB recipes train RGB rows
    with pytest.raises(SpecError, match="twice"):
        tiny_plan(tiny_data, seeds=(0, 0))
    with pytest.raises(SpecError, match="crop_size"):
        tiny_plan(tiny_data, crop_size=300)
    with pytest.raises(SpecError, match="unknown recipe 'nope'; recipes: paper, fast, quick, pytorch-pil"):
        tiny_plan(tiny_data, recipe="nope")
    store = Store(tiny_data["root"] / "padding-store", create=True)
    with pytest.raises(SpecError, match="eval_padding 'valid'"):
        build_workload(tiny_plan(tiny_data, recipe=TINY.replace(eval_padding="valid")), store)


def test_recipe_from_a_json_file_and_budget_override(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text(json.dumps(TINY.as_dict()))
    assert load_recipe(str(path)) == TINY
    plan = MatrixPlan.from_options(train="pil", eval="pil", recipe=str(path), budget=Budget("steps", 7), model="9-5-5")
    assert plan.recipe.budget == Budget("steps", 7) and plan.model == "9-5-5"
    path.write_text("{")
    with pytest.raises(SpecError, match="not valid JSON"):
        load_recipe(str(path))
    with pytest.raises(SpecError, match="cannot read recipe file"):
        load_recipe(str(tmp_path / "missing.json"))


def test_ray_missing_gives_the_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(ExecutorUnavailableError, match=re.escape("pip install 'sr-audit[ray]'")):
        import_ray()


def test_cli_errors_are_one_line(tiny_data: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main_from_args(["matrix", "--train", "pil", "--eval", "pil", "--recipe", "fast", "--address", "x:1", "--out", str(tmp_path / "s")]) == 2
    assert "--address is the address of a Ray cluster" in capsys.readouterr().err
    assert main_from_args(["matrix", "--train", "pil", "--eval", "nope", "--out", str(tmp_path / "s")]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_crop_window_is_the_most_detailed_one() -> None:
    image = np.zeros((64, 64), np.uint8)
    image[44:60, 12:28] = np.indices((16, 16)).sum(axis=0) % 2 * 255
    assert crop_corner(image, 16, 4) == (44, 12)
    assert crop_corner(np.dstack([image] * 3), 16, 4) == (44, 12)
    assert crop_corner(image[:20, :30], 16, 4) == (2, 4), "rows too few for the border: centred; columns: the grid"


# --------------------------------------------------------------------------------------------
# A tiny matrix


def test_tiny_matrix_stores_every_cell_equal_to_evaluate(tiny_run, tiny_data: dict[str, Path]) -> None:
    store = Store(tiny_run.store)
    records = store.cell_records()
    assert tiny_run.cells_total == len(records) == 2 * 2 + 2 and tiny_run.cells_before == 0
    assert tiny_run.computed == 6 and tiny_run.trained == 2
    assert {r.kind for r in records} == {"trained", "bicubic"}, "no authors' weights under this data root"
    assert not (store.root / WORK_DIR).exists() or not any((store.root / WORK_DIR).iterdir())
    evalset = load_dataset(str(tiny_data["eval"]))
    plan = tiny_plan(tiny_data)
    for r in records:
        spec = backends.resolve(r.eval_spec)
        assert r.eval_spec == str(spec) and r.scale == 3
        assert canonical_json(r.protocol) == canonical_json(plan.protocol.as_dict())
        model = None if r.kind == "bicubic" else load_model(store.checkpoint_path(r.model_key)).model
        ev = evaluate(model, evalset, Degradation(spec, spec, 3), plan.protocol)
        expected = {i.name: (i.scores.psnr_rgb, i.scores.psnr_y, i.scores.ssim_rgb, i.scores.ssim_y) for i in ev.images}
        assert {i.name: (i.psnr_rgb, i.psnr_y, i.ssim_rgb, i.ssim_y) for i in r.images} == expected, r.kind
        roles = {role for (image, role) in store.crops(r.key)}
        assert roles == ({"hr", "bicubic"} if r.kind == "bicubic" else {"hr", "bicubic", "sr"})
        assert {image for (image, role) in store.crops(r.key)} == {"camera"}, "crops of the first image only"
    models = store.model_records()
    assert {(m.train_spec, m.seed, m.recipe["name"]) for m in models} == {(str(backends.resolve(s)), 0, "tiny") for s in SPECS}
    assert all(m.model_config["padding"] == "same-replicate" for m in models)
    assert set(tiny_run.cell_keys) == {r.key for r in records} and not (store.root / "report.md").exists(), \
        "run_matrix runs cells; the report is the command line's"


def test_summary_table_has_train_rows_and_the_bicubic_row(tiny_run) -> None:
    [summary] = summary_tables(Store(tiny_run.store), tiny_run.cell_keys)
    table = summary.table
    specs = sorted(str(backends.resolve(s)) for s in SPECS)
    assert list(table.columns) == specs and list(table.index) == [*specs, BICUBIC_ROW]
    store = Store(tiny_run.store)
    for r in store.cell_records():
        row = r.train_spec if r.kind == "trained" else BICUBIC_ROW
        assert table.loc[row, r.eval_spec] == pytest.approx(r.means["psnr_y"], abs=0)
    assert set(summary.gains) == set(specs)
    assert summary.gains[specs[0]] == table.loc[specs[0], specs[0]] - table.loc[BICUBIC_ROW, specs[0]]
    assert "recipe tiny, 30 steps" in summary.title and summary.title.endswith("PSNR Y (dB)")


def test_rerun_skips_finished_models_and_cells(tiny_run, tiny_data: dict[str, Path], tmp_path: Path) -> None:
    store = Store(tiny_run.store)
    before = {p: p.stat().st_mtime_ns for p in store.root.glob("*/*/*.json")}
    again = run_matrix(tiny_plan(tiny_data), tiny_run.store, progress=False)
    assert (again.computed, again.trained, again.cells_before, again.jobs) == (0, 0, 6, ())
    assert {p: p.stat().st_mtime_ns for p in store.root.glob("*/*/*.json")} == before
    assert again.cell_keys == tiny_run.cell_keys
    # one more eval spec: only its new cells are computed, with the stored models (in a copy: the
    # module's store stays the tiny plan's)
    shutil.copytree(tiny_run.store, tmp_path / "store")
    wider = run_matrix(tiny_plan(tiny_data, eval_specs=(*SPECS, "matlab")), tmp_path / "store", progress=False)
    assert (wider.computed, wider.trained, wider.cells_before) == (3, 0, 6)


def _markdown_rows(lines: list[str]) -> list[list[str]]:
    """Cells of a markdown table's lines (header and body; the alignment line and bold marks dropped)."""
    rows = [[c.strip().strip("*") for c in line.strip().strip("|").split("|")] for line in lines]
    return [rows[0], *rows[2:]]


def test_terminal_summary_is_the_report_table(tiny_run, tiny_data: dict[str, Path], tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """One train x eval builder: for one store, `sr-audit matrix` prints the report's own absolute
    PSNR Y table (title, columns, row labels and order, values as printed) and the gains line
    reads that table."""
    store = tmp_path / "store"
    shutil.copytree(tiny_run.store, store)
    recipe = tmp_path / "tiny.json"
    recipe.write_text(json.dumps(TINY.as_dict()))
    assert main_from_args(_matrix_args(tiny_data, recipe, store)) == 0
    out = capsys.readouterr().out
    assert "6 cells: 0 computed now, 6 already in the store" in out, "the library ran nothing; the CLI reported"
    title, *terminal = out.split("\n\n")[0].splitlines()
    label = title.removesuffix(": PSNR Y (dB)")
    markdown = (store / "report.md").read_text(encoding="utf-8")
    section = markdown.split(f"\n## {label}\n", 1)[1].split("\n## ", 1)[0]
    absolute = section.split("### PSNR Y (dB)", 1)[1].split("**absolute**\n\n", 1)[1].split("\n\n", 1)[0]
    report = _markdown_rows(absolute.splitlines())
    gains_line = terminal.pop()
    # pandas prints the index name on a line of its own under the header
    header, index_name, *body = terminal
    assert [report[0][0], *header.split()] == report[0] and index_name.strip() == report[0][0]
    assert [[line[:len(row[0])], *line[len(row[0]):].split()] for line, row in zip(body, report[1:])] == report[1:]
    assert report[-1][0] == BICUBIC_ROW and len(body) == len(report) - 1
    values = {row[0]: dict(zip(report[0][1:], row[1:])) for row in report[1:]}
    gain, spec = re.fullmatch(rf"matched cells minus {re.escape(BICUBIC_ROW)}: min ([+−]\d+\.\d\d) dB \((.+)\), mean .*",
                              gains_line).groups()
    worst = float(values[spec][spec]) - float(values[BICUBIC_ROW][spec])
    assert abs(float(gain.replace("−", "-")) - worst) <= 0.01 + 1e-9


def test_worker_processes_per_device_give_the_same_cells(tiny_run, tiny_data: dict[str, Path], tmp_path: Path) -> None:
    store = Store(tmp_path / "store", create=True)
    workload = build_workload(tiny_plan(tiny_data), store)
    done = []
    # the same thread count as the reference run's workers: results are bit-identical per seed and thread count
    reports = run_local(workload, devices=("cpu", "cpu"), threads=tiny_run.threads, progress=done.append)
    assert sum(done) == 6 and sorted(r.kind for r in reports) == ["bicubic", "trained", "trained"]
    mine, reference = cell_metrics(store), cell_metrics(Store(tiny_run.store))
    assert len(mine) == 6 and mine == {k: reference[k] for k in mine}


def test_official_weights_get_a_model_and_cells(tiny_run, shared_datasets: Path, tiny_data: dict[str, Path],
                                                tmp_path: Path) -> None:
    shutil.copytree(tiny_run.store, tmp_path / "store")  # its pil model is found, not trained again
    plan = tiny_plan(tiny_data, train_specs=("pil",), eval_specs=("matlab",), data_root=str(shared_datasets))
    result = run_matrix(plan, tmp_path / "store", progress=False)
    assert result.trained == 0
    store = Store(result.store)
    official = [m for m in store.model_records() if m.kind == "official"]
    assert sorted(next(iter(m.data)) for m in official) == ["9-1-5_ImageNet/x3.mat", "9-1-5_T91/x3.mat"]
    cells = [r for r in store.cell_records() if r.kind == "official"]
    assert len(cells) == 2 and all(r.model == "9-1-5" and r.train_spec is None for r in cells)
    [summary] = summary_tables(store, result.cell_keys)
    assert {"authors' weights 9-1-5_T91/x3.mat", "authors' weights 9-1-5_ImageNet/x3.mat"} <= set(summary.table.index)
    assert build_workload(tiny_plan(tiny_data, recipe=TINY.replace(model="7-1-5"), data_root=str(shared_datasets)),
                          store).official == ()


def test_missing_data_root_skips_official_weights_with_a_note(tiny_data: dict[str, Path], tmp_path: Path) -> None:
    notes = []
    workload = build_workload(tiny_plan(tiny_data, data_root=str(tmp_path / "nowhere")), Store(tmp_path / "s", create=True),
                              notes.append)
    assert workload.official == () and len(notes) == 1 and "authors' weights skipped" in notes[0]


# --------------------------------------------------------------------------------------------
# Resilience: SIGKILL, then rerun; two processes on one store


def _matrix_args(data: dict[str, Path], recipe: Path, out: Path, *extra: str, train: tuple[str, ...] = SPECS) -> list[str]:
    """``sr-audit matrix`` arguments of the tiny plan (:func:`tiny_plan`) with ``recipe``."""
    return ["matrix", "--train", ",".join(train), "--eval", ",".join(SPECS), "--data", str(data["train"]),
            "--eval-data", str(data["eval"]), "--data-root", str(data["root"]), "--recipe", str(recipe),
            "--device", "cpu", "--crop-size", "16", "--no-progress", "--out", str(out), *extra]


def _matrix_cli(data: dict[str, Path], recipe: Path, out: Path, *extra: str, train: tuple[str, ...] = SPECS) -> list[str]:
    return [sys.executable, "-m", "sr_audit", *_matrix_args(data, recipe, out, "--no-report", *extra, train=train)]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONWARNINGS": "ignore"}


def _summary_numbers(stdout: str) -> tuple[int, int]:
    m = re.search(r"(\d+) computed now, \d+ already in the store; (\d+) models trained", stdout)
    assert m, stdout
    return int(m[1]), int(m[2])


@pytest.mark.slow
def test_sigkill_mid_training_then_rerun_equals_an_uninterrupted_run(tiny_data: dict[str, Path], tmp_path: Path) -> None:
    """A run killed while training its model, rerun, equals an uninterrupted run bit for bit.

    One trained model (pil, evaluated on both eval specs): the model being killed is the one under
    test; a second one would only be trained from scratch by both runs, which the tiny matrix
    covers. The uninterrupted run goes alongside the killed one (its own store; same thread count,
    so the same numbers)."""
    recipe = tmp_path / "recipe.json"
    recipe.write_text(json.dumps(TINY.replace(budget=Budget("steps", 150)).as_dict()))
    killed, train = tmp_path / "killed", ("pil",)
    clean = subprocess.Popen(_matrix_cli(tiny_data, recipe, tmp_path / "clean", train=train), env=_env(),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    proc = subprocess.Popen(_matrix_cli(tiny_data, recipe, killed, "--checkpoint-minutes", "0.002", train=train),
                            env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 300
    while not list(killed.glob(f"{WORK_DIR}/*/checkpoint.pt")):
        assert proc.poll() is None, proc.stderr.read().decode()
        assert time.monotonic() < deadline, "no training checkpoint appeared"
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    assert not Store(killed).model_records(), "killed during the model's training"
    rerun = subprocess.run(_matrix_cli(tiny_data, recipe, killed, train=train), env=_env(), capture_output=True,
                           text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    assert "(1 resumed from a checkpoint)" in rerun.stdout
    _, err = clean.communicate(timeout=600)
    assert clean.returncode == 0, err
    a, b = Store(killed), Store(tmp_path / "clean")
    assert len(cell_metrics(a)) == 2 + 2 and cell_metrics(a) == cell_metrics(b), "same keys, bit-identical metrics"
    [model] = b.model_records()
    sa, sb = (load_model(s.checkpoint_path(model.key)).model.state_dict() for s in (a, b))
    assert all(np.array_equal(sa[k].numpy(), sb[k].numpy()) for k in sb)


@pytest.mark.slow
def test_two_processes_on_one_store_share_the_work(tiny_data: dict[str, Path], tmp_path: Path) -> None:
    recipe = tmp_path / "recipe.json"
    recipe.write_text(json.dumps(TINY.replace(budget=Budget("steps", 60)).as_dict()))
    out = tmp_path / "shared"
    Store(out, create=True)
    procs = [subprocess.Popen(_matrix_cli(tiny_data, recipe, out), env=_env(), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err for _, err in results]
    computed, trained = zip(*(_summary_numbers(out_text) for out_text, _ in results))
    assert sum(computed) == 6 and sum(trained) == 2, "each cell and model computed exactly once"
    store = Store(out)
    assert len(store.cell_records()) == 6 and len(store.model_records()) == 2


# --------------------------------------------------------------------------------------------
# The main job's promise


@pytest.mark.slow
def test_quick_recipe_on_embedded_data_beats_bicubic_on_the_diagonal(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`sr-audit matrix` with its defaults (embedded data, x3, the quick recipe, the report) trained
    on tf:bicubic-aa and evaluated on tf and pil: the matched cell must beat its bicubic baseline.

    Why one trained backend is enough: the promise is that *every* matched cell beats bicubic, and
    tf's is the smallest matched gain of the full default run by far (+0.20 dB; the others +0.37
    to +0.67 dB, reports/README.md), so a regression of the recipe, the data or the trainer shows
    there first. Every backend trains through the same code; only the degradation differs, and the
    tiny matrix trains pil and cv2. Each trained model is a full quick-recipe training (most of
    this test's time), so a second one would double the test for a margin three times as wide.
    pil stays as an eval column: the off-diagonal cell costs one evaluation."""
    store = tmp_path / "store"
    no_weights = str(tmp_path)  # a data root without the authors' weights: no authors' row
    assert main_from_args(["matrix", "--train", "tf", "--eval", "tf,pil", "--data-root", no_weights,
                           "--out", str(store), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "recipe quick" in out and "matched cells minus (bicubic): min +" in out
    result = Store(store)
    rerun = run_matrix(MatrixPlan.from_options(train="tf", eval="tf,pil", data_root=no_weights), store, progress=False)
    assert rerun.computed == 0, "the CLI run stored every cell"
    [summary] = summary_tables(result, rerun.cell_keys)
    gains = summary.gains
    assert set(gains) == {"tf:bicubic-aa"} and list(summary.table.columns) == ["tf:bicubic-aa", "pil:bicubic+aa"]
    assert all(gain > 0.05 for gain in gains.values()), gains
    assert len(result.cell_records()) == 1 * 2 + 2 and (store / "report.html").is_file()


@pytest.mark.parametrize(("cores", "workers", "models", "threads", "expected"), [
    (2, "auto", 42, None, (("cpu", "cpu"), 1)),  # one per core, each one thread
    (2, "auto", 1, None, (("cpu",), None)),  # never more workers than models: this process, torch's threads
    (16, "auto", 42, None, (("cpu",) * 4, 4)),
    (2, 3, 42, None, (("cpu",) * 3, 1)),
    (8, 2, 42, 3, (("cpu", "cpu"), 3)),  # --threads wins
    (2, 1, 42, None, (("cpu",), None)),
])
def test_local_workers_divide_the_cores(monkeypatch, cores, workers, models, threads, expected) -> None:
    monkeypatch.setattr(executors, "cpu_cores", lambda: cores)
    monkeypatch.setattr(executors, "AUTO_CPU_WORKERS", 4)  # the shipped limit (conftest lowers it to 1)
    assert local_workers("cpu", workers, models, threads) == expected


@pytest.mark.parametrize("value", [0, -1, True, "two"])
def test_local_workers_refuse_a_bad_count(value) -> None:
    with pytest.raises(SpecError, match="--workers must be a positive integer or auto"):
        local_workers("cpu", value, 4)
