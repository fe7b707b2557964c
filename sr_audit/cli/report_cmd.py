"""``sr-audit report STORE [--out DIR]``: (re)write report.md and report.html from a store, recomputing nothing."""
from __future__ import annotations

import argparse

from sr_audit.matrix.store import Store
from sr_audit.report import write_report


def _run(args: argparse.Namespace) -> int:
    files = write_report(Store(args.store), args.out)
    print(files.html)
    print(files.markdown)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="write report.md and a self-contained report.html from a results store",
                       description="Reads the store's finished cells and models (nothing is recomputed) and writes "
                                   "report.md, figures/*.png and report.html atomically.")
    p.add_argument("store", metavar="STORE", help="results store folder")
    p.add_argument("--out", metavar="DIR", help="folder to write into (default: the store folder)")
    p.set_defaults(func=_run)
