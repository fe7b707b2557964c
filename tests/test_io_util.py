"""Tests of sr_audit.io_util: atomic writes, canonical hashing, the JSON rule for non-finite numbers."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np
import pytest

from sr_audit.errors import DataError
from sr_audit.io_util import (
    HOST_TAG,
    atomic_write_bytes,
    canonical_json,
    content_hash,
    installed_version,
    json_number,
    json_ready,
)


def test_atomic_write_replaces_whole_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "f.bin"
    atomic_write_bytes(target, b"old")
    atomic_write_bytes(target, b"new content")
    assert target.read_bytes() == b"new content"
    assert [p.name for p in target.parent.iterdir()] == ["f.bin"]
    umask = os.umask(0)
    os.umask(umask)
    assert (target.stat().st_mode & 0o777) == (0o666 & ~umask)


def test_atomic_write_fsyncs_file_and_folder_before_and_after_replace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: (events.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(os, "replace", lambda a, b: (events.append(f"replace {Path(a).name}"), real_replace(a, b))[1])
    atomic_write_bytes(tmp_path / "f.txt", b"x")
    assert events[0] == "fsync" and events[2] == "fsync"
    temp = events[1].removeprefix("replace ")
    assert temp.startswith(f".f.txt.{HOST_TAG}.{os.getpid()}.") and temp.endswith(".tmp")  # same folder, hidden


def test_atomic_write_failure_keeps_old_file_and_removes_temporary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "f.txt"
    target.write_bytes(b"old")

    def fail(a: str, b: str) -> None:
        raise OSError("disk gone")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk gone"):
        atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.txt"]


def test_content_hash_is_sha256_of_compact_sorted_utf8_json() -> None:
    value = {"b": [1, 2.5, np.float64(0.5), (True, None)], "a": "é"}
    assert canonical_json(value) == '{"a":"é","b":[1,2.5,0.5,[true,null]]}'
    # pinned: the matrix store's keys are these exact bytes' SHA-256
    assert content_hash(value) == "99e03777d0ffdbdf63296c362a382d809a137f3a31ab3c7f97788f8036f81cf7"


@pytest.mark.parametrize("bad", [math.nan, math.inf, {1: "x"}, object()])
def test_canonical_json_refuses_what_json_cannot_hold_exactly(bad: object) -> None:
    with pytest.raises(DataError):
        canonical_json({"x": bad})


def test_non_finite_rule() -> None:
    assert json_number(math.inf) == "inf" and json_number(-math.inf) == "-inf" and json_number(math.nan) is None
    assert json_number(np.float32(1.5)) == 1.5 and type(json_number(np.float64(2.0))) is float
    assert json_number(3) == 3 and json_number("inf") == "inf" and json_number(None) is None
    nested = json_ready({"a": [math.inf, (math.nan, 1.0)], "b": {"c": -math.inf}})
    assert nested == {"a": ["inf", [None, 1.0]], "b": {"c": "-inf"}}
    json.dumps(nested, allow_nan=False)


def test_installed_version() -> None:
    assert installed_version("numpy") == np.__version__
    assert installed_version("no-such-distribution-sr-audit") is None
