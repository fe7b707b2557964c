"""Tests of the results store, plus :func:`write_synthetic_store`, the synthetic store the report tests use.

The synthetic store needs no training: its numbers follow a small model of what SRCNN results look
like (bicubic baselines per eval backend, a gain over them when train and eval degradations match,
a penalty when the antialiasing of train and eval specs differs), so reports show realistic tables.
"""
from __future__ import annotations

import json
import math
import multiprocessing
import os
import signal
import sqlite3
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

from sr_audit.cli.main import main_from_args
from sr_audit.conventions import Conventions
from sr_audit.errors import DataError
from sr_audit.matrix.store import (
    CELL_KEY_FIELDS,
    CellRecord,
    Environment,
    ImageMetrics,
    ModelRecord,
    Store,
    cell_key,
    crop_name,
    model_key,
)

# --------------------------------------------------------------------------------------------
# The synthetic store

TRAIN_SPECS = ("pil:bicubic+aa", "cv2:bicubic-aa", "matlab:bicubic+aa")
EVAL_SPECS = ("pil:bicubic+aa", "cv2:bicubic-aa", "matlab:bicubic+aa", "torch:bicubic-aa")
IMAGES = ("baby", "bird")
SCALE = 3
SRCNN_915 = {"f1": 9, "f2": 1, "f3": 5, "n1": 64, "n2": 32, "channels": 1, "padding": "same-replicate"}
RECIPE = {"name": "paper-91", "patch": 33, "stride": 14, "lr": [1e-4, 1e-4, 1e-5], "iterations": 20000}
PROTOCOL = {
    "name": "matlab",
    "y": "BT.601 studio swing (MATLAB rgb2ycbcr), Y in [16, 235]",
    "quantise": "round output to uint8 before metrics",
    "shave": SCALE,
    "ssim": "Wang et al. 2004, Gaussian 11x11, sigma 1.5, K1 0.01, K2 0.03",
}
VERSIONS = {"torch": "2.13.0", "numpy": "2.1.3", "pillow": "13.0.0", "opencv": "4.11.0", "matlab-port": "1"}
DATE = "2026-01-15T10:00:00+00:00"

_BICUBIC_Y = {"baby": 33.91, "bird": 32.58}
_BACKEND_OFFSET = {"pil": 0.0, "cv2": -0.26, "matlab": 0.02, "torch": -0.27}
_GAIN = {"baby": 2.31, "bird": 2.93}


def _conventions(spec: str) -> dict:
    backend, aa = spec.split(":")[0], spec.endswith("+aa")
    table = {
        "pil": ("renormalise", "floor", "sizes", "half-up", -0.5, "fixed point, 22 fractional bits, rounded after each pass"),
        "cv2": ("reflect", "round", "sizes", "half-up", -0.75, "fixed point, 11 fractional bits"),
        "matlab": ("symmetric", "ceil", "given", "half-away-from-zero", -0.5, "float64, rounded once at the end"),
        "torch": ("replicate", "floor", "given", "half-to-even", -0.75, "float32, rounded once at the end"),
    }
    border, size_rule, source, rounding, a, uint8 = table[backend]
    return Conventions(
        kernel="bicubic", cubic_a=a, antialias=aa, pixel_centre="half-pixel", border=border, size_rule=size_rule,
        scale_source=source, pass_order="height then width" if backend == "matlab" else "width then height",
        uint8_path=uint8, float_precision="float64" if backend == "matlab" else "float32", rounding=rounding,
        dtypes=("uint8", "float32"),
    ).as_dict()


def _metrics(image: str, psnr_y: float) -> ImageMetrics:
    ssim_y = min(0.999, 0.9135 + 0.0042 * (psnr_y - 33.0))
    return ImageMetrics(image, psnr_rgb=psnr_y - 1.71, psnr_y=psnr_y, ssim_rgb=ssim_y - 0.0153, ssim_y=ssim_y)


def _zone_plate(size: int = 48) -> np.ndarray:
    y, x = np.mgrid[:size, :size] - size / 2
    return (127.5 + 127.5 * np.cos(np.pi * (x**2 + y**2) / (1.6 * size))).astype(np.float64)


def _blur(a: np.ndarray, passes: int) -> np.ndarray:
    for _ in range(passes):
        a = (a + np.roll(a, 1, 0) + np.roll(a, -1, 0) + np.roll(a, 1, 1) + np.roll(a, -1, 1)) / 5
    return a


def _rgb(a: np.ndarray) -> np.ndarray:
    a = np.clip(np.rint(a), 0, 255).astype(np.uint8)
    return np.stack([a, (a * 0.8 + 30).astype(np.uint8), (255 - a // 2)], axis=-1)


def _crops(sharpness: float) -> dict[str, np.ndarray]:
    hr = _zone_plate()
    bicubic = _blur(hr, 4)
    sr = bicubic + sharpness * (hr - bicubic)
    return {crop_name("baby", "hr"): _rgb(hr), crop_name("baby", "bicubic"): _rgb(bicubic), crop_name("baby", "sr"): _rgb(sr)}


def synthetic_psnr_y(kind: str, train: str | None, eval_spec: str, image: str) -> float:
    """PSNR-Y of a synthetic cell, so tests can check the report's arithmetic against it."""
    base = _BICUBIC_Y[image] + _BACKEND_OFFSET[eval_spec.split(":")[0]]
    if kind == "bicubic":
        return base
    if kind == "official":
        return base + _GAIN[image] - 0.07 - (0.95 if not eval_spec.endswith("+aa") else 0.0)
    assert train is not None
    penalty = 0.0 if train == eval_spec else (0.12 if train.endswith("+aa") == eval_spec.endswith("+aa") else 1.07)
    jitter = 0.01 * (TRAIN_SPECS.index(train) - EVAL_SPECS.index(eval_spec))
    return round(base + _GAIN[image] - penalty + jitter, 4)


def write_synthetic_store(root: Path, recipe: dict | None = None, trained_offset: float = 0.0) -> Store:
    """A store with 3 trained models x 4 eval specs, scale 3, two images, bicubic baselines for the
    4 eval specs, one official-weights model evaluated on the 4 eval specs, and crops of image
    ``baby`` for every trained and official cell. ``recipe`` replaces :data:`RECIPE` and
    ``trained_offset`` is added to every trained cell's PSNR-Y."""
    recipe = RECIPE if recipe is None else recipe
    store = Store(root, create=True)
    env = Environment(versions=VERSIONS, device="cpu", sr_audit="0.1.0", date=DATE)
    data = {im: f"sha256-of-{im}" for im in IMAGES}

    def cell(kind: str, eval_spec: str, model: ModelRecord | None) -> CellRecord:
        return CellRecord(
            kind=kind, eval_spec=eval_spec, eval_set="Set5", scale=SCALE, protocol=PROTOCOL,
            conventions=_conventions(eval_spec), environment=env, data=data,
            images=tuple(_metrics(im, synthetic_psnr_y(kind, model.train_spec if model else None, eval_spec, im)
                                  + (trained_offset if kind == "trained" else 0.0)) for im in IMAGES),
            model_key=model.key if model else None, train_spec=model.train_spec if model else None,
            model=model.model if model else "bicubic", model_config=model.model_config if model else {},
            seed=model.seed if model else None, recipe=model.recipe if model else None,
        )

    for eval_spec in EVAL_SPECS:
        store.put_cell(cell("bicubic", eval_spec, None))
    for train in TRAIN_SPECS:
        model = ModelRecord(kind="trained", train_spec=train, scale=SCALE, model="9-1-5", model_config=SRCNN_915,
                            seed=0, recipe=recipe, data={"T91": "sha256-of-T91"}, environment=env,
                            wall_time_s=812.5, final_loss=0.00231)
        store.put_model(model, checkpoint=b"synthetic checkpoint")
        for eval_spec in EVAL_SPECS:
            sharp = 0.9 if train == eval_spec else (0.6 if train.endswith("+aa") == eval_spec.endswith("+aa") else 1.6)
            store.put_cell(cell("trained", eval_spec, model), crops=_crops(sharp))
    official = ModelRecord(kind="official", train_spec=None, scale=SCALE, model="9-1-5", model_config=SRCNN_915,
                           seed=None, recipe=None, data={"srcnn_x3.mat": "sha256-of-weights"}, environment=env)
    store.put_model(official)
    for eval_spec in EVAL_SPECS:
        store.put_cell(cell("official", eval_spec, official), crops=_crops(0.85))
    return store


N_CELLS = len(EVAL_SPECS) * (len(TRAIN_SPECS) + 2)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Store:
    return write_synthetic_store(tmp_path_factory.mktemp("synthetic") / "store")


# --------------------------------------------------------------------------------------------
# Helpers for the tests below


def _env(**versions: str) -> Environment:
    return Environment(versions=versions or {"torch": "2.13.0"}, device="cpu", sr_audit="0.1.0", date=DATE)


def _bicubic(eval_spec: str = "pil:bicubic+aa", psnr: float = 30.0, env: Environment | None = None) -> CellRecord:
    return CellRecord(kind="bicubic", eval_spec=eval_spec, eval_set="Set5", scale=3, protocol=PROTOCOL,
                      conventions=_conventions("pil:bicubic+aa"), environment=env or _env(), data={"baby": "h"},
                      images=(ImageMetrics("baby", psnr, psnr + 1, 0.8, 0.85),))


# --------------------------------------------------------------------------------------------
# Records and keys


def test_record_round_trip_and_long_table(synthetic: Store) -> None:
    frame = synthetic.cells()
    assert len(frame) == N_CELLS * len(IMAGES)
    assert set(frame["kind"]) == {"trained", "bicubic", "official"}
    row = frame[(frame.kind == "trained") & (frame.train_spec == "cv2:bicubic-aa")
                & (frame.eval_spec == "pil:bicubic+aa") & (frame.image == "bird")]
    assert row["psnr_y"].item() == pytest.approx(synthetic_psnr_y("trained", "cv2:bicubic-aa", "pil:bicubic+aa", "bird"))
    assert row["protocol"].item() == "matlab" and row["recipe"].item() == "paper-91" and row["seed"].item() == 0
    means = synthetic.means()
    assert len(means) == N_CELLS and set(means["n_images"]) == {2}
    bic = means[(means.kind == "bicubic") & (means.eval_spec == "cv2:bicubic-aa")]
    expected = np.mean([synthetic_psnr_y("bicubic", None, "cv2:bicubic-aa", im) for im in IMAGES])
    assert bic["psnr_y"].item() == pytest.approx(expected)
    assert bic["seed"].isna().all() and bic["train_spec"].isna().all()
    for record in synthetic.cell_records():
        assert synthetic.cell(record.key) == record
        assert json.loads((synthetic.cell_dir(record.key) / "cell.json").read_text())["key"] == record.key


def test_keys_cover_their_inputs_only() -> None:
    a = _bicubic()
    assert a.key == cell_key(a.key_inputs()) and set(a.key_inputs()) == set(CELL_KEY_FIELDS)
    moved = CellRecord(**{**a.__dict__, "environment": Environment(versions={"torch": "2.13.0"}, device="cuda:0",
                                                                     sr_audit="9.9", date="2030-01-01T00:00:00+00:00")})
    assert moved.key == a.key, "device, sr-audit version and date must not change the key"
    assert _bicubic(env=_env(torch="2.12.0")).key != a.key
    assert _bicubic(eval_spec="cv2:bicubic-aa").key != a.key
    assert _bicubic(psnr=31.0).key == a.key, "metrics are results, not inputs"
    inputs = a.key_inputs()
    with pytest.raises(DataError, match="missing: protocol"):
        cell_key({k: v for k, v in inputs.items() if k != "protocol"})
    with pytest.raises(DataError, match="unknown: device"):
        cell_key({**inputs, "device": "cpu"})
    with pytest.raises(DataError, match="finite"):
        model_key({"kind": "trained", "train_spec": "pil", "scale": 3, "model_config": {"lr": math.nan},
                   "seed": 0, "recipe": None, "data": {}, "versions": {}})
    # Canonical: dict order and tuple-vs-list do not matter.
    assert cell_key(dict(reversed(list(inputs.items())))) == a.key


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"kind": "trained"}, "model_key"),
        ({"model_key": "0" * 64}, "bicubic cell has no model"),
        ({"images": ()}, "at least one image"),
        ({"images": (ImageMetrics("a", 1, 1, 0.5, 0.5), ImageMetrics("a", 1, 1, 0.5, 0.5))}, "repeat"),
        ({"scale": 1}, "scale must be >= 2"),
        ({"data": {}}, "content hashes"),
        ({"protocol": "matlab"}, "protocol must be a dict"),
    ],
)
def test_cell_record_rejects_bad_fields(change: dict, message: str) -> None:
    with pytest.raises(DataError, match=message):
        CellRecord(**{**_bicubic().__dict__, **change})


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"ssim_y": 1.5}, "impossible"),
        ({"psnr_y": math.nan}, "impossible"),
        ({"psnr_y": "high"}, "must be a number"),
        ({"name": "a/b"}, "image name"),
    ],
)
def test_image_metrics_are_checked(fields: dict, message: str) -> None:
    with pytest.raises(DataError, match=message):
        ImageMetrics(**{"name": "a", "psnr_rgb": 30.0, "psnr_y": 31.0, "ssim_rgb": 0.9, "ssim_y": 0.9, **fields})


def test_infinite_psnr_round_trips(tmp_path: Path) -> None:
    store = Store(tmp_path / "s", create=True)
    key = store.put_cell(_bicubic(psnr=math.inf))
    assert '"inf"' in (store.cell_dir(key) / "cell.json").read_text()
    assert store.cell(key).images[0].psnr_rgb == math.inf
    assert store.means()["psnr_rgb"].item() == math.inf


def test_cell_must_match_its_model(tmp_path: Path) -> None:
    store = Store(tmp_path / "s", create=True)
    model = ModelRecord(kind="trained", train_spec="pil:bicubic+aa", scale=3, model="9-1-5", model_config=SRCNN_915,
                        seed=0, recipe=RECIPE, data={"T91": "h"}, environment=_env())
    base = {**_bicubic().__dict__, "kind": "trained", "model_key": model.key, "train_spec": "pil:bicubic+aa",
            "model": "9-1-5", "model_config": SRCNN_915, "seed": 0, "recipe": RECIPE}
    with pytest.raises(DataError, match="put_model it first"):
        store.put_cell(CellRecord(**base))
    store.put_model(model, checkpoint=b"weights")
    assert store.checkpoint_path(model.key).read_bytes() == b"weights"
    with pytest.raises(DataError, match="seed 1 differs"):
        store.put_cell(CellRecord(**{**base, "seed": 1}))
    assert store.has_cell(store.put_cell(CellRecord(**base)))


def test_crops_are_checked_and_listed(tmp_path: Path) -> None:
    store = Store(tmp_path / "s", create=True)
    rec = _bicubic()
    with pytest.raises(DataError, match="role"):
        store.put_cell(rec, crops={"baby--lr": np.zeros((4, 4), np.uint8)})
    with pytest.raises(DataError, match="uint8"):
        store.put_cell(rec, crops={crop_name("baby", "hr"): np.zeros((4, 4))})
    with pytest.raises(DataError, match="pixels a side"):
        store.put_cell(rec, crops={crop_name("baby", "hr"): np.zeros((300, 4), np.uint8)})
    assert not store.has_cell(rec.key)
    key = store.put_cell(rec, crops={crop_name("baby", "hr"): np.full((4, 5, 3), 7, np.uint8)})
    assert list(store.crops(key)) == [("baby", "hr")]
    assert store.crops(key)[("baby", "hr")].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_opening_checks_the_folder(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no results store"):
        Store(tmp_path / "missing")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "file.txt").write_text("x")
    with pytest.raises(DataError, match="not empty and not a results store"):
        Store(tmp_path / "other", create=True)
    with pytest.raises(DataError, match="not a store key"):
        Store(tmp_path / "new", create=True).has_cell("../etc")


# --------------------------------------------------------------------------------------------
# Never losing work: crashes, a broken index, concurrent writers, reruns


def _die_while_writing(root: str) -> None:
    """Child process: start writing a cell and get SIGKILLed just before the final rename."""
    store = Store(root)

    def killed(src: str, dst: str) -> None:
        os.kill(os.getpid(), signal.SIGKILL)

    os.replace = killed  # type: ignore[assignment]
    store.put_cell(_bicubic())


def test_half_written_files_of_a_killed_writer_are_ignored_and_cleaned(tmp_path: Path) -> None:
    root = tmp_path / "s"
    Store(root, create=True)
    child = multiprocessing.get_context("spawn").Process(target=_die_while_writing, args=(str(root),))
    child.start()
    child.join(60)
    assert child.exitcode == -signal.SIGKILL
    key = _bicubic().key
    leftovers = list((root / "cells" / key).glob(".cell.json.*.tmp"))
    assert len(leftovers) == 1 and leftovers[0].stat().st_size > 0
    old = root / "cells" / key / ".cell.json.0badc0de.1.00000000.tmp"  # another host's, two days old
    old.write_text("{")
    os.utime(old, (time.time() - 2 * 86400,) * 2)
    mine = root / "cells" / key / f".cell.json.{leftovers[0].name.split('.')[3]}.{os.getpid()}.00000000.tmp"
    mine.write_text("{")  # a live writer's (this process): must survive

    store = Store(root)
    assert not store.has_cell(key)
    assert len(store.cells()) == 0
    assert sorted(p.name for p in (root / "cells" / key).iterdir()) == [mine.name]
    mine.unlink()
    store.put_cell(_bicubic())
    assert store.has_cell(key) and len(store.cells()) == 1


def test_corrupt_or_stale_index_is_rebuilt_from_folders(tmp_path: Path) -> None:
    root = tmp_path / "s"
    store = Store(root, create=True)
    keys = [store.put_cell(_bicubic(eval_spec=spec)) for spec in ("pil:bicubic+aa", "cv2:bicubic-aa", "torch:bicubic-aa")]
    store.index_path.write_bytes(b"this is not an sqlite file" * 100)
    with pytest.warns(UserWarning, match="rebuilding it from the folders"):
        reopened = Store(root)
    assert set(reopened.means()["key"]) == set(keys)
    with sqlite3.connect(reopened.index_path) as con:
        assert con.execute("SELECT count(*) FROM cells").fetchone()[0] == 3

    # Stale: a folder removed and one damaged behind the index's back.
    for p in (root / "cells" / keys[0]).iterdir():
        p.unlink()
    (root / "cells" / keys[0]).rmdir()
    (root / "cells" / keys[1] / "cell.json").write_text('{"schema": 1, "kind": ')
    with pytest.warns(UserWarning, match="not a valid record"):
        assert set(reopened.means()["key"]) == {keys[2]}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the damaged file is reported once, not on every query
        assert len(reopened.cells()) == 1
        reopened.index_path.unlink()
        with pytest.warns(UserWarning, match="not a valid record"):
            reopened.rebuild_index()
    assert set(reopened.means()["key"]) == {keys[2]}


def _compute_cells(root: str, specs: list[str], log: str) -> None:
    """Child process: a runner loop; appends each key it computed to ``log``."""
    store = Store(root)
    for spec in specs:
        record = _bicubic(eval_spec=spec)
        with store.claim(record.key) as mine:
            if mine:
                time.sleep(0.1)  # "computing"
                store.put_cell(record)
                with open(log, "a") as f:
                    f.write(record.key + "\n")


def test_two_processes_share_a_store_without_duplicate_work(tmp_path: Path) -> None:
    root = tmp_path / "s"
    Store(root, create=True)
    specs = ["pil:bicubic+aa"] + [f"plugin{i}:bicubic" for i in range(1, 8)]
    ctx = multiprocessing.get_context("spawn")
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    for log in logs:
        log.touch()
    procs = [ctx.Process(target=_compute_cells, args=(str(root), order, str(log)))
             for order, log in ((specs, logs[0]), (specs, logs[1]))]  # same order: the most contention
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    done = [line for log in logs for line in log.read_text().split()]
    expected = {_bicubic(eval_spec=s).key for s in specs}
    assert sorted(done) == sorted(expected), "every cell computed exactly once"
    store = Store(root)
    assert set(store.means()["key"]) == expected and len(store.cells()) == len(specs)


def test_rerun_skips_finished_cells(tmp_path: Path) -> None:
    root = tmp_path / "s"
    Store(root, create=True)
    specs = ["pil:bicubic+aa", "cv2:bicubic-aa"]
    log = tmp_path / "log"
    _compute_cells(str(root), specs, str(log))
    _compute_cells(str(root), specs + ["torch:bicubic-aa"], str(log))
    assert log.read_text().split() == [_bicubic(eval_spec=s).key for s in specs + ["torch:bicubic-aa"]]
    store = Store(root)
    with store.claim(_bicubic().key, wait=False) as mine:
        assert mine is False


def test_claim_without_waiting_skips_a_busy_key(tmp_path: Path) -> None:
    store = Store(tmp_path / "s", create=True)
    key = _bicubic().key
    with store.claim(key) as mine:
        assert mine is True
        with store.claim(key, wait=False) as other:
            assert other is False


# --------------------------------------------------------------------------------------------
# sr-audit results


@pytest.mark.parametrize("fmt", ["csv", "json", "md"])
def test_results_command_prints_the_long_table(synthetic: Store, fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main_from_args(["results", str(synthetic.root), "--format", fmt]) == 0
    out = capsys.readouterr().out
    if fmt == "json":
        rows = json.loads(out)
        assert len(rows) == N_CELLS * len(IMAGES) and rows[0]["image"] in IMAGES
    elif fmt == "csv":
        lines = out.strip().splitlines()
        assert len(lines) == 1 + N_CELLS * len(IMAGES) and lines[0].startswith("key,kind,eval_set")
    else:
        lines = out.strip().splitlines()
        assert lines[0].startswith("| key") and set(lines[1]) <= set("|-: ")
        assert len(lines) == 2 + N_CELLS * len(IMAGES)


def test_results_command_means_and_errors(synthetic: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main_from_args(["results", str(synthetic.root), "--means", "--format", "csv"]) == 0
    assert len(capsys.readouterr().out.strip().splitlines()) == 1 + N_CELLS
    assert main_from_args(["results", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no results store" in err


def test_results_name_each_model_by_recipe_budget_and_weights_file(synthetic: Store, capsys: pytest.CaptureFixture[str]) -> None:
    assert main_from_args(["results", str(synthetic.root), "--means", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    columns = list(rows[0])
    assert columns.index("seed") + 1 == columns.index("recipe") and columns[columns.index("recipe"):][:3] == ["recipe", "budget", "weights"]
    official = [r for r in rows if r["kind"] == "official"]
    assert official and all(r["weights"] == "srcnn_x3.mat" and r["recipe"] is None for r in official)
    trained = [r for r in rows if r["kind"] == "trained"]
    assert trained and all(r["recipe"] == "paper-91" and r["weights"] is None for r in trained)


# --------------------------------------------------------------------------------------------
# The index is kept up to date incrementally


def _cell_number(i: int) -> CellRecord:
    import dataclasses

    return dataclasses.replace(_bicubic(), data={"baby": f"h{i}"})


def _count_scans(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    scans: list[str] = []
    real = Store._scan_table
    monkeypatch.setattr(Store, "_scan_table", lambda self, con, table, stamp: (scans.append(table), real(self, con, table, stamp))[1])
    return scans


def test_writes_index_in_place_and_queries_scan_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store(tmp_path / "s", create=True)
    scans = _count_scans(monkeypatch)
    keys = [store.put_cell(_cell_number(i)) for i in range(5)]
    assert set(store.means()["key"]) == set(keys) and len(store.cell_records()) == 5
    assert store.put_cell(_cell_number(0)) == keys[0] and len(store.cells()) == 5  # a rewrite stays one row
    assert scans == []


def test_another_writer_and_a_killed_one_are_seen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "s"
    mine, other = Store(root, create=True), Store(root)
    first = mine.put_cell(_cell_number(0))
    scans = _count_scans(monkeypatch)
    second = other.put_cell(_cell_number(1))  # another process's write goes through the same index
    assert set(mine.means()["key"]) == {first, second} and scans == []
    # a killed writer: its folder appears first, its JSON later, and it never updates the index
    killed = _cell_number(2)
    folder = root / "cells" / killed.key
    folder.mkdir()
    assert set(mine.means()["key"]) == {first, second} and scans == ["cells"]  # listing changed: one scan
    (folder / "cell.json").write_bytes((json.dumps(killed.as_dict()) + "\n").encode())
    assert set(mine.means()["key"]) == {first, second, killed.key} and scans == ["cells"]  # pending: no scan
    for p in folder.iterdir():
        p.unlink()
    folder.rmdir()
    assert set(mine.means()["key"]) == {first, second}
