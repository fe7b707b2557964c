"""``sr-audit explain``: the PSNR/SSIM gap between two evaluation setups, one factor at a time.

A thin layer over :func:`sr_audit.audit.explain.explain`. Example, the SRCNN authors' protocol
against a typical PyTorch reimplementation, on Set5 at x3 with the authors' 9-1-5 weights (the
default when the data root holds them)::

    sr-audit explain --from paper --to typical-pytorch --data Set5 --scale 3
"""
from __future__ import annotations

import argparse
import json

from sr_audit.audit.explain import FACTORS, SETUPS, explain, report_text
from sr_audit.cli.options import add_data_root, add_scale
from sr_audit.weights import BICUBIC


def _run(args: argparse.Namespace) -> int:
    result = explain(
        args.start, args.end, data=args.data, data_root=args.data_root, scale=args.scale,
        weights=args.weights, order=args.order,
    )
    print(json.dumps(result.as_dict(), indent=2) if args.json else report_text(result))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "explain",
        help="walk from one evaluation setup to another one factor at a time and measure each step",
        description="Evaluate the same model on the same images under a chain of setups that changes one factor "
        "at a time from --from to --to, and print each step's PSNR/SSIM and its change; the changes sum to "
        f"the total gap. Factors: {', '.join(FACTORS)}.",
    )
    setups = ", ".join(SETUPS)
    p.add_argument("--from", dest="start", required=True, metavar="SETUP",
                   help=f"preset ({setups}) with optional ,FACTOR=VALUE overrides, e.g. paper,shave=0")
    p.add_argument("--to", dest="end", required=True, metavar="SETUP", help="the setup to walk to (same syntax)")
    p.add_argument("--data", default=None, help="folder or set name (default: Set5 from the data root, else the embedded eval images)")
    add_data_root(p, "set names and weights")
    add_scale(p, default=3)
    p.add_argument("--model", "--weights", dest="weights", default=None, metavar=f"FILE|{BICUBIC}",
                   help="a one-channel SRCNN with 'same' padding: the authors' .mat, an sr-audit checkpoint or an SRCNN "
                        f"state_dict (default: the authors' 9-1-5 T91 weights for the scale under the data root, else "
                        f"{BICUBIC}); --weights is an alias")
    p.add_argument("--order", default=None, metavar="F,F,...",
                   help=f"order of the factors in the walk (default {','.join(FACTORS)}; missing ones follow in that order)")
    p.add_argument("--json", action="store_true", help="print the steps, per-image scores and setups as JSON")
    p.set_defaults(func=_run)
