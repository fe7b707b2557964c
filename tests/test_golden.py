"""Golden values: every registered backend still computes what was recorded.

``tests/golden/resize_golden.json`` holds, per backend, the library distribution and the version
it was recorded with and, per spec (every kernel, each antialias state) x {uint8, float64} x
{scale 1/3, scale 2} on a fixed closed-form input: the conventions, the output shape, the sha256
of the uint8 output bytes, sample values and the sum (float compared to 1e-9 relative). Values
are what is pinned (``tests/golden/record.py``, :func:`check`): another library version with the
same values passes with a :class:`GoldenVersionSeen` warning naming it; a changed output or
convention, a new kernel, or a registered backend with no entry fails naming the backend, the spec
and both versions.
"""
from __future__ import annotations

import copy
import importlib.util
import sys
import warnings
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
    sys.modules[spec.name] = module  # its dataclass looks its module up there
    spec.loader.exec_module(module)
    return module


record = _load_recorder()
GOLDEN: dict[str, Any] = record.load()["backends"]


class GoldenVersionSeen(UserWarning):
    """A library version not recorded in the golden file computed exactly the recorded values."""


@pytest.mark.parametrize("name", backends.names())
def test_golden_values(name: str) -> None:
    reason = backends.get_backend(name).unavailable_reason()
    if reason is not None:
        pytest.skip(reason)
    entry = GOLDEN.get(name)
    assert entry is not None, (
        f"no golden values recorded for backend {name!r}: record them with `python tests/golden/record.py {name}`"
    )
    result = record.check(name, entry)
    failure = result.failure()
    assert failure is None, failure
    notice = result.notice()
    if notice is not None:
        warnings.warn(notice, GoldenVersionSeen, stacklevel=1)


def test_every_recorded_backend_is_registered() -> None:
    """A golden entry for a backend that is no longer registered is a leftover."""
    extra = sorted(set(GOLDEN) - set(backends.names()))
    assert not extra, f"golden values for unregistered backends {extra}: delete them from tests/golden/resize_golden.json"


def test_recorder_input_is_the_documented_closed_form() -> None:
    image = record.pattern("uint8")
    assert image.shape == (17, 13, 3) and image.dtype.name == "uint8"
    assert image[2, 3, 1] == (37 * 2 + 11 * 9 + 5 * 6 + 83) % 256
    assert abs(record.pattern("float64")[2, 3, 1] - image[2, 3, 1] / 255) < 1e-15


# ----------------------------------------------------------------- the comparison itself

NAME = "matlab"  # numpy only, always available: the checks below run it with doctored entries


def _entry_recorded_with(version: str) -> dict[str, Any]:
    entry = copy.deepcopy(GOLDEN[NAME])
    entry["version"] = version
    return entry


def test_another_version_with_the_same_values_passes_and_is_named() -> None:
    result = record.check(NAME, _entry_recorded_with("0.0.1"))
    assert result.failure() is None
    installed = backends.get_backend(NAME).version()
    assert result.notice() == (
        f"backend {NAME}: numpy {installed} gives the values recorded with 0.0.1 (identical output); "
        f"note it with `python tests/golden/record.py --seen {NAME}`"
    )
    noted = {"backends": {NAME: _entry_recorded_with("0.0.1")}}
    assert record.note_seen(noted, NAME) is None
    assert noted["backends"][NAME]["same_output_versions"] == [installed]
    assert record.check(NAME, noted["backends"][NAME]).notice() is None, "a noted version is not announced again"


def test_a_changed_output_fails_naming_backend_kernel_and_both_versions() -> None:
    entry = _entry_recorded_with("0.0.1")
    outputs = entry["specs"][f"{NAME}:lanczos3+aa"]["outputs"]
    outputs["uint8 scale 2"]["sha256"] = "0" * 64
    first = next(iter(outputs["float64 scale 1/3"]["samples"]))
    outputs["float64 scale 1/3"]["samples"][first] += 1e-6
    result = record.check(NAME, entry)
    installed = backends.get_backend(NAME).version()
    failure = result.failure()
    assert failure is not None and result.notice() is None
    head, *lines = failure.splitlines()
    assert head == f"backend {NAME}: numpy {installed} installed, values recorded with 0.0.1:"
    assert lines[0].startswith(f"{NAME}:lanczos3+aa uint8 scale 2: output changed: ")
    assert lines[1].startswith(f"{NAME}:lanczos3+aa float64 scale 1/3: output changed: max difference 1e-06")
    assert len(lines) == 3 and lines[2].startswith("Check why")
    refused = {"backends": {NAME: entry}}
    assert record.note_seen(refused, NAME) == failure
    assert "same_output_versions" not in refused["backends"][NAME]


def test_a_float_difference_within_the_tolerance_is_the_same_value() -> None:
    entry = _entry_recorded_with(GOLDEN[NAME]["version"])
    samples = entry["specs"][f"{NAME}:bicubic-aa"]["outputs"]["float64 scale 2"]["samples"]
    first = next(iter(samples))
    samples[first] += 1e-12
    assert record.check(NAME, entry).failure() is None
