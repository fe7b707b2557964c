"""Start-up time of the ``sr-audit`` command line against ``python -c pass``.

Each command runs as a fresh process (the ``sr-audit`` script beside this interpreter, else
``python -m sr_audit``) ``--runs`` times, interleaved with the baseline so that a change in the
machine's load hits all of them alike; the table gives the median and fastest wall time, and the
median minus the baseline's (what sr-audit itself adds). Commands: ``--help``, ``--version``,
``backends``, then ``CMD --help`` for every command in :data:`sr_audit.cli.main.COMMANDS` (the
last import what CMD needs). Target: ``sr-audit --help`` within :data:`HELP_TARGET_S`.

Usage::

    python benchmarks/startup.py [--runs 9] [--markdown]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from sr_audit.cli.main import COMMANDS
from sr_audit.io_util import cpu_model

HELP_TARGET_S = 0.5
BASELINE = "python -c pass"


def cli_prefix() -> list[str]:
    """How to start sr-audit: the console script beside this interpreter, else ``-m sr_audit``."""
    script = Path(sys.executable).with_name("sr-audit")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "sr_audit"]


def wall_time(argv: list[str]) -> float:
    """Seconds from start to exit of one run of ``argv`` (output discarded; a failure raises)."""
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="runs of each command (default 9)")
    parser.add_argument("--markdown", action="store_true", help="print the table as markdown")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error(f"--runs must be at least 1, got {args.runs}")
    prefix = cli_prefix()
    commands = {BASELINE: [sys.executable, "-c", "pass"]}
    for cli_args in (["--help"], ["--version"], ["backends"], *([name, "--help"] for name in COMMANDS)):
        commands["sr-audit " + " ".join(cli_args)] = [*prefix, *cli_args]
    times: dict[str, list[float]] = {label: [] for label in commands}
    load_before = os.getloadavg()
    for _ in range(args.runs):
        for label, argv in commands.items():
            times[label].append(wall_time(argv))
    load_after = os.getloadavg()

    print(f"CPU: {cpu_model()}, {os.cpu_count()} logical cores; Python {sys.version.split()[0]}; {args.runs} runs each")
    print(f"started as: {' '.join(prefix)}")
    print("load average (1, 5, 15 min) before: " + ", ".join(f"{v:.2f}" for v in load_before)
          + "; after: " + ", ".join(f"{v:.2f}" for v in load_after))
    base = statistics.median(times[BASELINE])
    header = ("command", "median s", "fastest s", "median - baseline s")
    rows = [(label, f"{statistics.median(t):.3f}", f"{min(t):.3f}", f"{statistics.median(t) - base:+.3f}")
            for label, t in times.items()]
    if args.markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for row in rows:
            print("| `" + row[0] + "` | " + " | ".join(row[1:]) + " |")
    else:
        width = max(len(label) for label in commands)
        print(f"{header[0]:<{width}}  " + "  ".join(f"{h:>19}" for h in header[1:]))
        for row in rows:
            print(f"{row[0]:<{width}}  " + "  ".join(f"{v:>19}" for v in row[1:]))
    help_s = statistics.median(times["sr-audit --help"])
    verdict = "met" if help_s <= HELP_TARGET_S else "NOT met"
    print(f"target: sr-audit --help <= {HELP_TARGET_S} s: {verdict} (median {help_s:.3f} s)")


if __name__ == "__main__":
    main()
