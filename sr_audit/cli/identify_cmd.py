"""``sr-audit identify``: which registered resize made an LR data set from its HR images.

A thin layer over :func:`sr_audit.audit.identify.identify`: prints the pairing, the per-pair table
and the verdict, or the whole result as JSON. Example, a SelfExSR folder holding both HR and LR
files::

    sr-audit identify --hr Set5/image_SRF_3 --lr Set5/image_SRF_3
"""
from __future__ import annotations

import argparse
import json

from sr_audit.audit.identify import EQUAL, MATCH, Search, identify, report_text


def _scale(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--scale must be a number such as 3 or 2.5, got {text!r}") from None


def _run(args: argparse.Namespace) -> int:
    result = identify(args.hr, args.lr, scale=args.scale, pattern=args.pattern,
                      search=Search(prune=not args.exhaustive))
    print(json.dumps(result.as_dict(), indent=2) if args.json else report_text(result))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "identify",
        help="find the backend, kernel, compute path and channel rule that reproduce an LR data set",
        description="Pair HR and LR images by name (the field's layouts, or --pattern), try every registered resize "
        "spec x uint8/float path x rounding rule x channel rule at every geometry (modcrop, full, resize-to-fit) on "
        "each pair on its own, and report which reproduce the LR, which cannot be told apart, or that none does. "
        f"Match = {MATCH.describe()}; {EQUAL.describe()}. LR files of the HR size are searched as down-then-up.",
    )
    p.add_argument("--hr", required=True, metavar="DIR", help="folder of HR images")
    p.add_argument("--lr", required=True, metavar="DIR", help="folder of LR images (may be the HR folder for NAME_HR/NAME_LR files)")
    p.add_argument("--scale", type=_scale, default=None, metavar="S",
                   help="scale, integer or not (default: the file names' scale, else inferred from the sizes, else size-specified)")
    p.add_argument("--pattern", default=None, metavar="PATTERN",
                   help="stem pattern of the LR files, e.g. '{name}_LR_x{scale}'")
    p.add_argument("--exhaustive", action="store_true",
                   help="score every method on every whole image (no crop screen; same verdict, slower)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=_run)
