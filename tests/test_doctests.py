"""The ``>>>`` examples in the package's docstrings run, and print what they show.

Every module of ``sr_audit`` (``sr_audit/`` and ``backends/``, imported as ``sr_audit.backends``)
whose source has an example is imported under its package name and its docstrings are run with
:mod:`doctest` (``ELLIPSIS`` and ``NORMALIZE_WHITESPACE``); one test per module, failing with
doctest's own report of each example that printed something else or raised.
"""
from __future__ import annotations

import doctest
import importlib
import io
from pathlib import Path

import pytest

import sr_audit
import sr_audit.backends

FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def modules_with_examples() -> list[str]:
    """Dotted names of the package's modules whose source contains ``>>>``, sorted."""
    found = []
    for package in (sr_audit, sr_audit.backends):
        root = Path(package.__path__[0])
        for path in root.rglob("*.py"):
            parts = path.relative_to(root).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            if ">>>" in path.read_text(encoding="utf-8"):
                found.append(".".join((package.__name__, *parts)))
    return sorted(found)


MODULES = modules_with_examples()


def test_the_examples_are_found() -> None:
    """The scan sees both source folders (a path mistake would silently test nothing)."""
    assert "sr_audit.conventions" in MODULES and "sr_audit.backends.selection" in MODULES


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    tests = [t for t in doctest.DocTestFinder().find(module, name) if t.examples]
    assert tests, f"{name} has '>>>' in its source but doctest finds no example in its docstrings"
    report = io.StringIO()
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    for test in tests:
        runner.run(test, out=report.write)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {name} failed:\n{report.getvalue()}"
