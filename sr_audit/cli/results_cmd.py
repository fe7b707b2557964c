"""``sr-audit results STORE``: print a store's results as a long-format table (CSV, JSON or markdown)."""
from __future__ import annotations

import argparse
import sys

from sr_audit.matrix.store import Store
from sr_audit.report.tables import frame_table, model_columns


def _run(args: argparse.Namespace) -> int:
    store = Store(args.store)
    frame = store.means() if args.means else store.cells()
    labels = model_columns(store.cell_records(), store.model_records())
    frame = frame.drop(columns="recipe").join(labels, on="key")
    order = [c for c in frame.columns if c not in labels.columns]
    at = order.index("seed") + 1
    frame = frame[order[:at] + list(labels.columns) + order[at:]]
    if args.format == "csv":
        frame.to_csv(sys.stdout, index=False)
    elif args.format == "json":
        print(frame.to_json(orient="records", indent=1))
    else:
        print(frame_table(frame).markdown())
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("results", help="print a results store as a long-format table",
                       description="One row per cell and image (or per cell with --means); "
                                   "columns identify the cell and its model (recipe with its budget, the authors' "
                                   "weights file), then psnr_rgb, psnr_y, ssim_rgb, ssim_y.")
    p.add_argument("store", metavar="STORE", help="results store folder")
    p.add_argument("--format", choices=("csv", "json", "md"), default="csv", help="output format (default: csv)")
    p.add_argument("--means", action="store_true", help="one row per cell: means over its images, and n_images")
    p.set_defaults(func=_run)
