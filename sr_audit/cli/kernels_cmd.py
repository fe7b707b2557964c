"""``sr-audit kernels``: plot every backend's effective 1-D kernel and its frequency response.

A thin layer over :mod:`sr_audit.audit.kernels`: prints a summary table and the paths it wrote.
"""
from __future__ import annotations

import argparse

import pandas as pd

from sr_audit.backends.selection import ALL_SPECS, select_specs
from sr_audit.cli.options import add_out
from sr_audit.audit.kernels import impulse_response, scale_fraction, summary_table, write_kernels
from sr_audit.report.markdown import markdown_table


def _formatted_summary(table: pd.DataFrame) -> str:
    cells = table.copy().astype(object)
    for column in ("half_width_px", "peak_weight", "min_weight", "gain_at_nyquist"):
        cells[column] = table[column].map(lambda v: f"{v:.3g}")
    cells["cubic_a"] = table["cubic_a"].map(lambda v: "-" if pd.isna(v) else f"{v:g}")
    return markdown_table(["spec", *cells.columns], cells.itertuples(name=None))


def _run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    scale = scale_fraction(args.scale)
    selection = select_specs(args.backends, "--backends")
    for status in selection.skipped:
        print(f"skipped {status.name}: {status.reason}")
    responses = [impulse_response(spec, scale) for spec in tqdm(selection.specs, desc="kernels", unit="backend", disable=None)]
    files = write_kernels(responses, args.out)
    print(f"Effective kernels at scale {scale} (output/input); offsets in input pixels, gain at the lower "
          "Nyquist frequency (what aliases when shrinking):")
    print(_formatted_summary(summary_table(responses)))
    print(f"wrote {files.plot}")
    print(f"wrote {files.responses_csv}, {files.frequency_csv}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "kernels",
        help="measure and plot every backend's effective 1-D kernel",
        description="Resize a 1-D impulse with every backend at --scale and plot the weights against the "
        "input-pixel offset, with the magnitude of their frequency response; also writes the samples as CSV.",
    )
    p.add_argument("--scale", required=True, metavar="S", help="output/input, a number or fraction, e.g. 1/3 or 2")
    p.add_argument("--backends", default=ALL_SPECS, metavar=f"{ALL_SPECS}|SPEC,SPEC...",
                   help=f"'{ALL_SPECS}' (every available backend's default spec; default) or comma-separated specs, "
                   "e.g. pil,cv2:bicubic,torch:bicubic+aa")
    add_out(p, "kernels.png and the CSVs")
    p.set_defaults(func=_run)
