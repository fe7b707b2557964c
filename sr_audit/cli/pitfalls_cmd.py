"""``sr-audit pitfalls``: what classic SR evaluation mistakes cost, in dB, on the same images.

A thin layer over :func:`sr_audit.audit.pitfalls.pitfalls`: one row per mistake with the correct and
the wrong PSNR and their difference. Example::

    sr-audit pitfalls --scale 3            # the embedded eval images (skimage.data)
    sr-audit pitfalls --data Set14 --json
"""
from __future__ import annotations

import argparse
import json

from sr_audit.audit.pitfalls import pitfalls, report_text
from sr_audit.cli.options import add_data_root, add_scale
from sr_audit.weights import BICUBIC


def _run(args: argparse.Namespace) -> int:
    result = pitfalls(args.data, data_root=args.data_root, scale=args.scale, weights=args.weights)
    print(json.dumps(result.as_dict(), indent=2) if args.json else report_text(result))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "pitfalls",
        help="measure classic evaluation mistakes (size swap, uint8 order, antialias, align_corners, BGR, gray, reference)",
        description="Score the same model on the same images with a correct pipeline and with each classic mistake, "
        "and print the PSNR of both and the difference per mistake.",
    )
    p.add_argument("--data", default=None, metavar="DIR",
                   help="folder of images or a set name (default: the embedded eval images, skimage.data)")
    add_data_root(p, "set names and weights")
    add_scale(p, default=3)
    p.add_argument("--model", "--weights", dest="weights", default=None, metavar=f"FILE|{BICUBIC}",
                   help="a one-channel SRCNN with 'same' padding: the authors' .mat, an sr-audit checkpoint or an SRCNN "
                        f"state_dict (default: the authors' 9-1-5 T91 weights for the scale under the data root, else "
                        f"{BICUBIC}); --weights is an alias")
    p.add_argument("--json", action="store_true", help="print the table and per-image scores as JSON")
    p.set_defaults(func=_run)
