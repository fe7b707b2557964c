"""The layer order of the package, checked by import-linter's contract in ``pyproject.toml``.

From the bottom up; a module may import only the layers below its own (and its own layer):

1. ``sr_audit.conventions``, ``sr_audit.errors``, ``sr_audit.io_util``, ``sr_audit.rounding``,
   ``sr_audit.sizes``: conventions as data and the small helpers everything uses;
2. ``sr_audit.backends``: the resize libraries behind one interface;
3. the core modules (``sr_audit.resize``, ``degradation``, ``model``, ``train``, ``evaluation``, ...):
   one training and one evaluation path;
4. ``sr_audit.matrix``: the train x eval run and its results store;
5. ``sr_audit.report``: reports from a store, and the markdown table formatter;
6. ``sr_audit.audit``: compare, kernels, explain, pitfalls, identify, score;
7. ``sr_audit.cli``, ``sr_audit.api`` (and ``sr_audit.__main__``): the command line and the Python API.

The exceptions are the contract's ``ignore_imports``, each with its reason. Every module and
subpackage of ``sr_audit`` must be placed in a layer, so a new module is placed on purpose. The backends live in the
top-level folder ``backends/`` and import as ``sr_audit.backends`` (``pyproject.toml``'s
``package-dir``), which import-linter cannot follow, so the test lints a copy of the sources laid out
as they import.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_layers_contract_is_kept(tmp_path: Path) -> None:
    sources = shutil.ignore_patterns("__pycache__", "templates", "golden")
    shutil.copytree(ROOT / "sr_audit", tmp_path / "sr_audit", ignore=sources)
    shutil.copytree(ROOT / "backends", tmp_path / "sr_audit" / "backends", ignore=sources)
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint), str(ROOT / "pyproject.toml"), "--no-cache"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=240, check=False)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "1 kept, 0 broken" in done.stdout


def test_every_module_is_placed_in_a_layer() -> None:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    [contract] = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]["contracts"]
    placed = {name for layer in contract["layers"] for name in re.findall(r"sr_audit\.\w+", layer)}
    package = ROOT / "sr_audit"
    modules = {f"sr_audit.{p.stem}" for p in package.glob("*.py") if p.stem != "__init__"}
    modules |= {f"sr_audit.{p.parent.name}" for p in package.glob("*/__init__.py")} | {"sr_audit.backends"}
    assert sorted(modules - placed) == []
