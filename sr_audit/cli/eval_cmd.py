"""``sr-audit eval``: PSNR/SSIM of a model (or the bicubic baseline) on a data set, with its protocol.

Example, the SRCNN paper's 9-5-5 model at x3 on Set5 with the authors' pipeline::

    sr-audit eval --model srcnn_official_weights/9-5-5_ImageNet/x3.mat --data Set5 --scale 3 \\
        --backend matlab-legacy --protocol matlab

Any model (:mod:`sr_audit.model_source`): a TorchScript file, an SRCNN state_dict, an sr-audit
checkpoint, the authors' ``.mat``, or ``package.module:factory`` with ``--input lr|upsampled``.
"""
from __future__ import annotations

import argparse
import json
from typing import Any

from sr_audit import api

from sr_audit.cli.options import add_data_root, add_scale
from sr_audit.datasets import STANDARD_SETS
from sr_audit.degradation import COMPUTES, SPACES, SPEC_SEPARATOR
from sr_audit.device import DEVICE_NAMES
from sr_audit.evaluation import MODEL_INPUTS, PRECISIONS, Evaluation, environment
from sr_audit.infer import MODULE_CONTRACT
from sr_audit.io_util import json_number
from sr_audit.model import PADDINGS
from sr_audit.model_source import ASSUMED_PADDING
from sr_audit.protocol import PROTOCOLS
from sr_audit.weights import BICUBIC

#: Default resize of the degradation: the MATLAB generation the SRCNN paper's figures come from.
DEFAULT_BACKEND = "matlab-legacy"


def run_eval(args: argparse.Namespace) -> Evaluation:
    """The evaluation the parsed arguments describe (:func:`sr_audit.api.evaluate`); its warnings and
    assumptions come as :class:`~sr_audit.errors.SrAuditWarning`, printed as notes by :mod:`sr_audit.cli.main`."""
    spec = args.backend if args.up_backend is None else f"{args.backend}{SPEC_SEPARATOR}{args.up_backend}"
    return api.evaluate(args.model, args.data, scale=args.scale, backend=spec, protocol=args.protocol,
                        space=args.space, compute=args.compute, model_input=args.input, padding=args.padding,
                        data_root=args.data_root, device=args.device, precision=args.precision, tile=args.tile)


def _text(ev: Evaluation) -> str:
    table = ev.table()
    formats = {c: ("{:.4f}".format if c.startswith("ssim") else "{:.3f}".format) for c in table.columns}
    lines = [
        f"model: {ev.model}",
        f"data: {ev.dataset} ({ev.dataset_source}), {len(ev.images)} images",
        f"degradation: {ev.degradation} (down {ev.degradation.down}, up {ev.degradation.up})",
        f"inference: {ev.precision} on {ev.device}",
        ev.protocol.describe(),
        "",
        table.to_string(formatters=formats),
    ]
    return "\n".join(lines)


def _json(ev: Evaluation) -> dict[str, Any]:
    record = ev.as_dict()
    for row in [*record["images"], record["mean"]]:
        for key in ("psnr_y", "ssim_y", "psnr_rgb", "ssim_rgb"):
            if key in row:
                row[key] = json_number(row[key])
    record["environment"] = environment(ev.degradation)
    return record


def _run(args: argparse.Namespace) -> int:
    ev = run_eval(args)
    print(json.dumps(_json(ev), indent=2) if args.json else _text(ev))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "eval",
        help="PSNR/SSIM of any model (or the bicubic baseline) on a data set, under a metric protocol",
        description=__doc__.splitlines()[0] if __doc__ else None,
        epilog=f"Model contract (TorchScript and factory models): {MODULE_CONTRACT}. SRCNNs (authors' .mat, sr-audit "
               "checkpoints, state_dicts) take the upsampled image and run tiled.",
    )
    p.add_argument("--model", "--weights", dest="model", required=True, metavar="MODEL",
                   help=f"'{BICUBIC}' (identity on the degraded input), an authors' .mat, an sr-audit checkpoint, a "
                        "state_dict of an SRCNN (conv1/conv2/conv3), a TorchScript file, or package.module:factory / "
                        "file.py:factory (a callable returning an nn.Module); --weights is an alias")
    p.add_argument("--input", choices=list(MODEL_INPUTS), default="upsampled",
                   help="what the model takes: upsampled (the LR image enlarged by the up spec, SRCNN; default) or lr "
                        "(the LR image; the model enlarges it by --scale)")
    p.add_argument("--padding", choices=list(PADDINGS), default=None,
                   help=f"padding of a state_dict SRCNN (not recorded in the file; default: assume {ASSUMED_PADDING})")
    p.add_argument(
        "--data",
        default=None,
        help=f"folder of images, or a set name ({', '.join(v[0] for v in STANDARD_SETS.values())}, embedded-eval, "
        "embedded-train); default: the embedded eval images (skimage.data)",
    )
    add_data_root(p)
    add_scale(p, default=3)
    p.add_argument(
        "--backend",
        default=DEFAULT_BACKEND,
        help=f"resize spec of the degradation, BACKEND[:KERNEL][+aa|-aa] (default {DEFAULT_BACKEND}, the MATLAB "
        "generation of the SRCNN paper); see `sr-audit backends`",
    )
    p.add_argument("--up-backend", default=None, help="a different spec for the up resize (default: the same as --backend)")
    p.add_argument("--space", choices=list(SPACES), default=None,
                   help="network space, C = 1 (y) or 3 (rgb) channels given to the model (default: y, rgb for an RGB SRCNN)")
    p.add_argument("--compute", choices=list(COMPUTES), default="float", help="float: the authors' double path; uint8: each resize in 8 bits")
    p.add_argument("--protocol", default="matlab", help=f"metric protocol preset: {', '.join(PROTOCOLS)} (default matlab)")
    p.add_argument("--precision", choices=list(PRECISIONS), default="float32", help="inference precision (default float32)")
    p.add_argument("--device", default="auto", help=f"{', '.join(DEVICE_NAMES)} (default auto)")
    p.add_argument("--tile", type=int, default=0, help="tile side in pixels; 0 sizes tiles to a 512 MiB budget (default)")
    p.add_argument("--json", action="store_true", help="print per-image and mean scores, protocol and versions as JSON")
    p.set_defaults(func=_run)
