"""Drift of this environment from the locked versions (``make test-latest`` runs it).

Usage::

    python tests/drift.py constraints.txt

Prints one row per distribution whose installed version differs from its pin in the constraints
file, or that is installed without a pin (new) or pinned but not installed (gone); then
``make test-latest`` runs the suite, whose golden test says which library changed its output.
Exits 0 when it could read the file (drift is a report, not a failure), 2 when it could not.
"""
from __future__ import annotations

import importlib.metadata
import re
import sys
from pathlib import Path

_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)$")


def canonical(name: str) -> str:
    """A distribution name as pip compares them (PEP 503: case and runs of ``-_.`` folded)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def read_pins(path: Path) -> dict[str, str]:
    """``name -> version`` from a constraints file of ``name==version`` lines (comments skipped)."""
    pins: dict[str, str] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        match = _PIN.match(line)
        if match is None:
            raise ValueError(f"{path}:{number}: expected name==version, got {raw!r}")
        pins[canonical(match.group(1))] = match.group(2)
    return pins


def installed() -> dict[str, str]:
    """``name -> version`` of every distribution importable here."""
    return {canonical(d.metadata["Name"]): d.version for d in importlib.metadata.distributions() if d.metadata["Name"]}


def drift(pins: dict[str, str], present: dict[str, str], ignore: frozenset[str] = frozenset()) -> list[tuple[str, str, str]]:
    """Rows ``(name, locked, installed)`` that differ, sorted by name; ``-`` marks a side without it.

    Examples
    --------
    >>> drift({"numpy": "2.3.0", "gone": "1.0"}, {"numpy": "2.4.1", "new": "0.1"})
    [('gone', '1.0', '-'), ('new', '-', '0.1'), ('numpy', '2.3.0', '2.4.1')]
    """
    names = sorted((set(pins) | set(present)) - ignore)
    rows = [(n, pins.get(n, "-"), present.get(n, "-")) for n in names]
    return [row for row in rows if row[1] != row[2]]


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python tests/drift.py CONSTRAINTS_FILE", file=sys.stderr)
        return 2
    path = Path(argv[0])
    try:
        pins = read_pins(path)
    except (OSError, ValueError) as exc:
        print(f"drift.py: {exc}", file=sys.stderr)
        return 2
    # the package itself, the installers, and torch (pinned by the Makefile's TORCH_PIN) are not locked
    rows = drift(pins, installed(), frozenset({"sr-audit", "pip", "setuptools", "wheel", "torch"}))
    if not rows:
        print(f"no drift: every installed distribution is at its version in {path}")
        return 0
    width = max(len(r[0]) for r in rows)
    print(f"{len(rows)} distributions differ from {path}:")
    print(f"{'distribution':<{width}}  {'locked':<14}  installed")
    for name, locked, now in rows:
        print(f"{name:<{width}}  {locked:<14}  {now}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
