"""``sr-audit compare``: pairwise PSNR between backends' downscaled images, and their round trips.

A thin layer over :mod:`sr_audit.audit.compare`: prints the markdown report and the paths it wrote.
"""
from __future__ import annotations

import argparse

from sr_audit.backends.selection import ALL_SPECS, select_specs
from sr_audit.cli.options import add_data_root, add_out, add_scale, data_help
from sr_audit.audit.compare import compare_backends, report_markdown, write_comparison


def _run(args: argparse.Namespace) -> int:
    selection = select_specs(args.backends, "--backends")
    for status in selection.skipped:
        print(f"skipped {status.name}: {status.reason}")
    result = compare_backends(args.data, args.scale, selection.specs, skipped=selection.skipped, shave=args.shave,
                              data_root=args.data_root)
    files = write_comparison(result, args.out, args.data)
    print(report_markdown(result, args.data))
    print(f"wrote {files.markdown}")
    print(f"wrote {files.pairs_csv}, {files.pairs_mean_csv}, {files.roundtrip_csv}")
    print(f"wrote {files.heatmap}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "compare",
        help="PSNR between the low-resolution images of every pair of backends",
        description="Modcrop each HR image to a multiple of --scale, shrink it by 1/scale with every backend "
        "(8-bit path), and report the PSNR between every pair of LR outputs (Y and RGB) and each backend's "
        "down-then-up round trip against HR, as markdown, CSV and a heatmap.",
    )
    p.add_argument("--data", required=True, metavar="DATA", help=data_help("the HR images"))
    add_data_root(p)
    add_scale(p, default=None, required=True)
    p.add_argument("--backends", default=ALL_SPECS, metavar=f"{ALL_SPECS}|SPEC,SPEC...",
                   help=f"'{ALL_SPECS}' (every available backend's default spec; default) or comma-separated specs")
    p.add_argument("--shave", type=int, default=None, metavar="N",
                   help="pixels shaved per side before the round-trip PSNR (default: the scale)")
    add_out(p, "compare.md, the CSVs and the heatmap")
    p.set_defaults(func=_run)
