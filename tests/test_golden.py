"""Golden values: every registered backend still computes what was recorded, with which version.

``tests/golden/resize_golden.json`` holds, per backend, the library distribution and version it
was recorded with and, per spec (every kernel, each antialias state) x {uint8, float64} x
{scale 1/3, scale 2} on a fixed closed-form input: the conventions, the output shape, the sha256
of the uint8 output bytes, sample values and the sum (float compared to 1e-9 relative). A new
library version, a changed output or convention, a new kernel, or a registered backend with no
entry fails here with the backend, the spec and what changed; re-record with
``python tests/golden/record.py BACKEND`` after checking why.
"""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from sr_audit import backends


def _load_recorder() -> ModuleType:
    path = Path(__file__).with_name("golden") / "record.py"
    spec = importlib.util.spec_from_file_location("sr_audit_golden_record", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


record = _load_recorder()
GOLDEN: dict[str, Any] = record.load()["backends"]
RERECORD = "re-record with `python tests/golden/record.py {name}`"


def _close(new: float, old: float) -> bool:
    return abs(new - old) <= 1e-9 * max(1.0, abs(old))


def _compare(spec: str, key: str, new: dict[str, Any], old: dict[str, Any]) -> str | None:
    """None when ``new`` matches the recorded ``old``, else one line saying what changed."""
    where = f"{spec} {key}"
    if new["shape"] != old["shape"]:
        return f"{where}: output shape {old['shape']} -> {new['shape']}"
    if set(new["samples"]) != set(old["samples"]):
        return f"{where}: sample positions changed (re-record)"
    diffs = [abs(new["samples"][i] - old["samples"][i]) for i in old["samples"]]
    if "sha256" in old:  # uint8: bytes must be identical
        if new["sha256"] == old["sha256"]:
            return None
    elif all(_close(new["samples"][i], old["samples"][i]) for i in old["samples"]) and _close(new["sum"], old["sum"]):
        return None
    return (
        f"{where}: output changed: max difference {max(diffs):.3g} at the recorded samples, "
        f"sum {old['sum']!r} -> {new['sum']!r}"
    )


def _conventions_change(spec: str, new: dict[str, Any], old: dict[str, Any]) -> str | None:
    changed = [f"{field}: {old.get(field)!r} -> {new.get(field)!r}" for field in sorted(set(new) | set(old)) if new.get(field) != old.get(field)]
    return f"{spec}: conventions changed: " + "; ".join(changed) if changed else None


@pytest.mark.parametrize("name", backends.names())
def test_golden_values(name: str) -> None:
    backend = backends.get_backend(name)
    reason = backend.unavailable_reason()
    if reason is not None:
        pytest.skip(reason)
    rerecord = RERECORD.format(name=name)
    entry = GOLDEN.get(name)
    assert entry is not None, (
        f"no golden values recorded for backend {name!r}: record them with `python tests/golden/record.py {name}`"
    )
    installed = (backend.distribution, backend.version())
    recorded = (entry["distribution"], entry["version"])
    assert installed == recorded, (
        f"{name}: recorded with {recorded[0]} {recorded[1]}, installed {installed[0]} {installed[1]}: "
        f"check the change and {rerecord}"
    )
    wanted = record.specs(name)
    missing = [s for s in wanted if s not in entry["specs"]]
    stale = [s for s in entry["specs"] if s not in wanted]
    assert not missing and not stale, (
        f"{name}: specs not recorded: {missing or 'none'}; recorded specs that no longer exist: "
        f"{stale or 'none'}: {rerecord}"
    )
    problems: list[str] = []
    for spec in wanted:
        old = entry["specs"][spec]
        conv = json.loads(json.dumps(backend.conventions(backends.resolve(spec)).as_dict()))  # tuples as lists
        change = _conventions_change(spec, conv, old["conventions"])
        if change:
            problems.append(change)
        for dtype in record.DTYPES:
            for scale in record.SCALES:
                key = record.case_key(dtype, scale)
                if key not in old["outputs"]:
                    problems.append(f"{spec} {key}: not recorded")
                    continue
                change = _compare(spec, key, record.measure(spec, dtype, scale), old["outputs"][key])
                if change:
                    problems.append(change)
    assert not problems, f"{name} ({installed[0]} {installed[1]}): " + "\n".join(problems) + f"\nCheck why, then {rerecord}"


def test_every_recorded_backend_is_registered() -> None:
    """A golden entry for a backend that is no longer registered is a leftover."""
    extra = sorted(set(GOLDEN) - set(backends.names()))
    assert not extra, f"golden values for unregistered backends {extra}: delete them from tests/golden/resize_golden.json"


def test_recorder_input_is_the_documented_closed_form() -> None:
    image = record.pattern("uint8")
    assert image.shape == (17, 13, 3) and image.dtype.name == "uint8"
    assert image[2, 3, 1] == (37 * 2 + 11 * 9 + 5 * 6 + 83) % 256
    assert abs(record.pattern("float64")[2, 3, 1] - image[2, 3, 1] / 255) < 1e-15
