"""``sr-audit identify``: which registered resize made an LR data set from its HR images.

A thin layer over :func:`sr_audit.audit.identify.identify`: prints the per-pair table and the
verdict, or the whole result as JSON. Example, a SelfExSR folder holding both HR and LR files::

    sr-audit identify --hr Set5/image_SRF_3 --lr Set5/image_SRF_3
"""
from __future__ import annotations

import argparse
import json

from sr_audit.audit.identify import CLOSE, Pruning, identify, report_text


def _run(args: argparse.Namespace) -> int:
    result = identify(args.hr, args.lr, scale=args.scale, pruning=Pruning(keep=args.keep))
    print(json.dumps(result.as_dict(), indent=2) if args.json else report_text(result))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "identify",
        help="find the backend, kernel, compute path and channel rule that reproduce an LR data set",
        description="Match HR and LR images by name (or NAME_HR/NAME_LR), try every registered resize spec x "
        "uint8/float path x rounding rule x channel rule on each pair, and report which reproduces the LR best "
        f"(exact-match fraction and PSNR, runner-up) and a data-set verdict; close = {CLOSE.describe()}.",
    )
    p.add_argument("--hr", required=True, metavar="DIR", help="folder of HR images")
    p.add_argument("--lr", required=True, metavar="DIR", help="folder of LR images (may be the HR folder for NAME_HR/NAME_LR files)")
    p.add_argument("--scale", type=int, default=None, metavar="S", help="integer scale (default: inferred from the sizes)")
    p.add_argument("--keep", type=int, default=Pruning().keep, metavar="N",
                   help=f"distinct outputs of the screening pair scored on every pair (default {Pruning().keep})")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=_run)
