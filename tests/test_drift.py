"""``tests/drift.py``: the drift report of ``make test-latest`` against ``constraints.txt``."""
from __future__ import annotations

import doctest
import importlib.metadata
import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).with_name("drift.py")
CONSTRAINTS = SCRIPT.parents[1] / "constraints.txt"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("sr_audit_drift", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


drift = _load()


def test_examples() -> None:
    assert doctest.testmod(drift).failed == 0


def test_pins_are_read_with_canonical_names_and_bad_lines_refused(tmp_path: Path) -> None:
    good = tmp_path / "good.txt"
    good.write_text("# header\n\nScikit_Image==0.26.0  # trailing comment\nzope.interface==8.0\n")
    assert drift.read_pins(good) == {"scikit-image": "0.26.0", "zope-interface": "8.0"}
    bad = tmp_path / "bad.txt"
    bad.write_text("numpy>=2\n")
    with pytest.raises(ValueError, match=r"bad.txt:1: expected name==version, got 'numpy>=2'"):
        drift.read_pins(bad)


def test_the_locked_file_parses_and_pins_what_this_suite_needs() -> None:
    pins = drift.read_pins(CONSTRAINTS)
    for needed in ("numpy", "pillow", "opencv-python-headless", "scikit-image", "tensorflow-cpu", "pytest", "pytest-timeout", "ray"):
        assert needed in pins, f"constraints.txt does not pin {needed}"
    assert "torch" not in pins, "torch is left to the Makefile's TORCH_PIN"


def test_report_lists_each_difference_and_exits_0(tmp_path: Path) -> None:
    pins = tmp_path / "pins.txt"
    numpy = importlib.metadata.version("numpy")
    pins.write_text(f"numpy=={numpy}\npytest==0.0.1\nno-such-dist==1.0\n")
    result = subprocess.run([sys.executable, str(SCRIPT), str(pins)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    rows = {line.split()[0]: line.split()[1:] for line in result.stdout.splitlines()[2:]}
    assert rows["pytest"] == ["0.0.1", importlib.metadata.version("pytest")]
    assert rows["no-such-dist"] == ["1.0", "-"]
    assert "numpy" not in rows
    missing = subprocess.run([sys.executable, str(SCRIPT), str(tmp_path / "nowhere.txt")], capture_output=True, text=True, timeout=60)
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1 and "nowhere.txt" in missing.stderr
