"""The store's run records (:mod:`sr_audit.matrix.runs`) and the report's "How this store was made"."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from sr_audit.errors import DataError
from sr_audit.matrix.runs import RUNS_DIR, RunRecord, command_line, machine_description, read_runs, record_run
from sr_audit.matrix.store import Store
from sr_audit.report import write_report
from sr_audit.report.render import RUNS_TITLE
from test_store import write_synthetic_store


def _run(**changes: object) -> RunRecord:
    fields: dict[str, object] = {
        "command": "sr-audit matrix --train pil --eval all --out 'my runs'", "configuration": "",
        "started": "2026-12-02T02:35:00+00:00", "wall_seconds": 3725.4, "cells_total": 98, "cells_computed": 90,
        "models_trained": 14, "machine": machine_description("cpu", 2)}
    fields.update(changes)
    return RunRecord(**fields)  # type: ignore[arg-type]


def test_records_round_trip_oldest_first(tmp_path: Path) -> None:
    later = _run(started="2026-12-02T05:00:00+00:00", configuration="standard sets found: running the near-paper ...")
    record_run(tmp_path, later)
    record_run(tmp_path, _run())
    assert read_runs(tmp_path) == [_run(), later]
    assert not list((tmp_path / RUNS_DIR).glob(".*"))  # written atomically, no temporary left
    assert read_runs(tmp_path / "no-store") == []


def test_command_line_is_quoted_as_a_shell_needs() -> None:
    assert command_line(["matrix", "--out", "my runs"]) == "sr-audit matrix --out 'my runs'"
    assert "logical CPUs" in machine_description("cpu", 2) and machine_description("cpu", 2).endswith("torch 2 threads, cpu")
    assert machine_description("cpu", 1, workers=2).endswith(", 2 worker processes x torch 1 thread, cpu")


@pytest.mark.parametrize("changes, message", [
    ({"cells_total": -1}, "cells_total must be a non-negative integer"),
    ({"models_trained": True}, "models_trained must be a non-negative integer"),
    ({"wall_seconds": float("nan")}, "wall_seconds must be a non-negative number"),
    ({"started": "yesterday"}, "started must be an ISO 8601 time"),
    ({"command": None}, "command must be a string"),
])
def test_bad_fields_are_refused(changes: dict, message: str) -> None:
    with pytest.raises(DataError, match=message):
        _run(**changes)


def test_a_damaged_record_is_named(tmp_path: Path) -> None:
    path = record_run(tmp_path, _run())
    obj = json.loads(path.read_text())
    del obj["machine"]
    path.write_text(json.dumps(obj))
    with pytest.raises(DataError, match=rf"{path.name} is not a run record"):
        read_runs(tmp_path)
    path.write_text("{")
    with pytest.raises(DataError, match=rf"{path.name} is unreadable"):
        read_runs(tmp_path)


def test_the_report_says_how_the_store_was_made(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Each run's command, the configuration it chose and why, wall time, cells, models, machine,
    in the markdown and the HTML; no section for a store without records."""
    root = tmp_path_factory.mktemp("runs") / "store"
    shutil.copytree(write_synthetic_store(tmp_path_factory.mktemp("synthetic") / "store").root, root)
    plain = write_report(Store(root), tmp_path_factory.mktemp("plain"))
    assert RUNS_TITLE not in plain.markdown.read_text() and RUNS_TITLE not in plain.html.read_text()
    chosen = "standard sets found under ../shared/datasets: running the near-paper configuration"
    record_run(root, _run(configuration=chosen))
    files = write_report(Store(root), tmp_path_factory.mktemp("out"))
    md, html = files.markdown.read_text(), files.html.read_text()
    section = md.split(f"## {RUNS_TITLE}", 1)[1].split("\n## ", 1)[0]
    for text in ("sr-audit matrix --train pil --eval all --out 'my runs'", chosen, "1 h 02 min", "90 of 98", "| 14 |",
                 "2026-12-02T02:35:00 UTC"):
        assert text in section, text
    assert RUNS_TITLE in html and "1 h 02 min" in html and "near-paper configuration" in html


def test_one_duration_format_for_the_report_and_the_terminal() -> None:
    from sr_audit.report import format_duration

    assert [format_duration(s) for s in (38, 295.4, 3725.4)] == ["38 s", "4 min 55 s", "1 h 02 min"]
