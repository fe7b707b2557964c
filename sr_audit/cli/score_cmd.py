"""``sr-audit score``: PSNR/SSIM of a folder of any model's SR outputs against HR, under protocol presets.

A thin layer over :func:`sr_audit.api.score` (:func:`sr_audit.audit.score.score_folders`). Example, SwinIR's outputs on Set5
scored under every preset::

    sr-audit score --sr results/SwinIR_x4/Set5 --hr Set5/HR --scale 4 --protocol all

Warnings go to stderr, so that ``--json`` and ``--csv`` keep stdout machine-readable.
"""
from __future__ import annotations

import argparse
import json
import sys

import pandas as pd

from sr_audit import api
from sr_audit.audit.score import ScoreResult
from sr_audit.cli.options import add_scale
from sr_audit.protocol import PROTOCOLS, reference_of


def _fmt(metric: str, value: float) -> str:
    if pd.isna(value):
        return "-"
    return f"{value:.4f}" if metric.startswith("ssim") else f"{value:.3f}"


def report_text(result: ScoreResult) -> str:
    """Pairing, per-image table (each protocol's own PSNR/SSIM), the protocol table, and each preset's source."""
    lines = [result.pairing.describe(), f"scale x{result.scale} (from {result.scale_source})"]
    lines += [f"note: {n}" for n in result.notes if n not in result.pairing.notes]
    table = result.table
    columns: dict[str, list[str]] = {}
    for p in result.protocols:
        ps, ss = p.headline
        rows = table[table["protocol"] == p.name]
        columns[f"{p.name} ({ps}/{ss})"] = [
            f"{_fmt('psnr', a)} / {_fmt('ssim', b)}" for a, b in zip(rows[f"psnr_{ps}"], rows[f"ssim_{ss}"])
        ]
    images = list(table[table["protocol"] == result.protocols[0].name]["image"])
    lines += ["", "PSNR (dB) / SSIM, each protocol in its own spaces:", pd.DataFrame(columns, index=images).to_string()]
    if len(result.protocols) > 1:
        summary = result.summary.copy()
        for c in summary.columns:
            if c in ("psnr", "d_psnr", "ssim", "d_ssim"):
                summary[c] = summary[c].map(lambda v, c=c: _fmt(c, v))
        spread_psnr, spread_ssim = result.spread()
        lines += [
            "",
            f"what the protocol alone moves (mean over {len(result.pairing.pairs)} images; d = minus {result.protocols[0].name}):",
            summary.to_string(index=False),
            f"spread (max - min): PSNR {_fmt('psnr', spread_psnr)} dB, SSIM {_fmt('ssim', spread_ssim)}",
        ]
    lines.append("")
    for p in result.protocols:
        ref = reference_of(p)
        lines.append(f"{p.name}: {ref.implementation}; {ref.version}; agreement: {ref.agreement}" if ref else p.describe())
    return "\n".join(lines)


def _run(args: argparse.Namespace) -> int:
    result = api.score(args.sr, args.hr, scale=args.scale, protocol=args.protocol, pattern=args.pattern)
    for line in result.warnings:
        print(f"warning: {line}", file=sys.stderr)
    if args.json:
        print(json.dumps(result.as_dict(), indent=2))
    elif args.csv:
        print(result.table.to_csv(index=False), end="")
    else:
        print(report_text(result))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "score",
        help="PSNR/SSIM of a folder of SR outputs against HR, under protocol presets",
        description="Pair SR and HR files by name (RCAN, SwinIR, BasicSR, DIV2K names, or --pattern), check them "
        "(sizes, 16-bit, alpha, grey against RGB, identical images) and score each pair under each protocol preset, "
        "per image and mean. Each preset reproduces one real implementation: "
        + "; ".join(f"{name}: {ref.version}" for name, ref in ((n, reference_of(q)) for n, q in PROTOCOLS.items()) if ref)
        + ".",
    )
    p.add_argument("--sr", required=True, metavar="DIR", help="folder of the model's outputs (8-bit images)")
    p.add_argument("--hr", required=True, metavar="DIR", help="folder of the ground truth (full size or modcropped)")
    add_scale(p, default=None, extra="default: the one the file/folder names say (the border shave depends on it)")
    p.add_argument("--protocol", default="all", metavar="NAME[,NAME...]|all",
                   help=f"protocol presets: {', '.join(PROTOCOLS)}, or all (default all)")
    p.add_argument("--pattern", default=None, metavar="P", help="stem pattern of the SR files, e.g. '{name}_SR_x{scale}'")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print the whole result as JSON")
    out.add_argument("--csv", action="store_true", help="print the per-image table (one row per protocol and image) as CSV")
    p.set_defaults(func=_run)
