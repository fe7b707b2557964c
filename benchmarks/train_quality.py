"""Quality reached by a training budget: Set5 and Set14 x3 Y PSNR after M minutes of training.

For each budget in ``--minutes`` (default 5, 15 and 30) one separate run of the recipe (default
``fast``: its schedule spans the whole budget) trains SRCNN 9-1-5 on T91 degraded by the
``matlab`` backend (modern MATLAB ``imresize``, the authors' float path) at x3, seed 0, with
``--threads`` CPU threads (default 2). The trained model is then scored on Set5 and Set14 under
the ``matlab`` protocol (Y of MATLAB ``rgb2ycbcr``, ``uint8(x*255)``, shave 3, mean of per-image
PSNR), inputs made by the same degradation. Only training time counts against the budget
(patch preparation and scoring do not). The authors' released 9-1-5 T91 x3 weights are scored by
the same code as a reference (32.39 / 29.00 dB published).

``--steps N`` replaces the time budgets by one run of N steps (bit-reproducible and independent of
the machine's load: what the tuning runs of benchmarks/README.md use). ``--change JSON`` alters
recipe fields, e.g. ``--change '{"centre": false, "augment": "none"}'``. With CUDA present,
``--device auto`` trains there.

Usage::

    python benchmarks/train_quality.py [--minutes 5 15 30] [--threads 2] [--recipe fast|FILE.json]
        [--change JSON] [--steps N] [--json]

Needs the shared data sets (``--data-root``, ``$SR_AUDIT_DATA`` or ``../shared/datasets``).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time

import torch

from sr_audit.datasets import find_data_root, load_dataset
from sr_audit.degradation import Degradation
from sr_audit.device import resolve_device
from sr_audit.errors import SrAuditError
from sr_audit.evaluate import evaluate
from sr_audit.protocol import get_protocol
from sr_audit.recipes import Budget, Recipe, load_recipe
from sr_audit.train import TrainOptions, train_model
from sr_audit.weights import load_authors_mat

#: Published 9-1-5 T91 x3 results (Dong et al. 2014) the targets refer to.
PAPER = {"Set5": 32.39, "Set14": 29.00}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, nargs="+", default=[5.0, 15.0, 30.0])
    parser.add_argument("--steps", type=int, default=None, help="one run of this many steps instead of --minutes")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--recipe", default="fast", help="a recipe name or a .json recipe file")
    parser.add_argument("--change", default="{}", help="JSON object of recipe fields to change")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--backend", default="matlab")
    parser.add_argument("--scale", type=int, default=3)
    parser.add_argument("--data-root", default=None)
    parser.add_argument("--out", default=None, help="keep the models here (default: a temporary folder)")
    parser.add_argument("--json", action="store_true", help="one JSON record per run instead of text")
    args = parser.parse_args()
    try:
        recipe = load_recipe(args.recipe)
        changes = json.loads(args.change)
        if not isinstance(changes, dict):
            raise SystemExit(f"--change must be a JSON object of recipe fields, got {args.change!r}")
        if changes:
            recipe = Recipe.from_dict({**recipe.as_dict(), **changes})
    except (SrAuditError, ValueError) as exc:
        raise SystemExit(f"bad --recipe or --change: {exc}") from None
    torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    root, how = find_data_root(args.data_root)
    if root is None:
        raise SystemExit(f"needs T91, Set5 and Set14: {how}")
    train = load_dataset("T91", data_root=root)
    tests = {name: load_dataset(name, data_root=root) for name in PAPER}
    deg = Degradation.parse(args.backend, scale=args.scale)
    protocol = get_protocol("matlab")
    budgets = [Budget("steps", args.steps)] if args.steps else [Budget("minutes", m) for m in args.minutes]

    def scores(model: torch.nn.Module | None) -> dict[str, float]:
        return {name: round(float(evaluate(model, ds, deg, protocol).mean.psnr_y), 3) for name, ds in tests.items()}

    authors = root / "srcnn_official_weights" / "9-1-5_T91" / f"x{args.scale}.mat"
    if authors.is_file() and not args.json:
        print(f"authors' 9-1-5 T91 x{args.scale} weights, same scoring: {scores(load_authors_mat(authors).float())}")
    out_root = args.out or tempfile.mkdtemp(prefix="sr-audit-quality-")
    for budget in budgets:
        load_before = os.getloadavg()
        start = time.perf_counter()
        folder = os.path.join(out_root, f"{recipe.name}-{budget.unit}-{budget.value:g}")
        result = train_model(
            deg, train, recipe, seed=args.seed, device=device, budget=budget, checkpoint_dir=folder,
            progress=not args.json, options=TrainOptions(checkpoint_every=Budget("minutes", 5)),
        )
        meta = result.metadata
        record = {
            "recipe": recipe.name,
            "changes": changes,
            "budget": str(budget),
            "steps": meta["steps"],
            "epochs": round(meta["epochs"], 2),
            "train_seconds": round(meta["train_seconds"], 1),
            "patches_per_s": round(meta["steps"] * recipe.batch_size / meta["train_seconds"], 1),
            "psnr": scores(result.model),
            "paper": PAPER if args.scale == 3 else None,
            "device": str(device) if device.type == "cpu" else torch.cuda.get_device_name(device),
            "threads": torch.get_num_threads(),
            "degradation": str(deg),
            "load_before": [round(v, 2) for v in load_before],
            "load_after": [round(v, 2) for v in os.getloadavg()],
            "wall_seconds": round(time.perf_counter() - start, 1),
            "cpu": platform.processor() or platform.machine(),
            "torch": torch.__version__,
            "model": os.path.join(folder, "model.pt"),
        }
        if args.json:
            print(json.dumps(record), flush=True)
        else:
            print(
                f"{recipe.name}{' ' + json.dumps(changes) if changes else ''} {budget}: {record['steps']} steps ({record['epochs']} epochs, "
                f"{record['patches_per_s']} patches/s) -> Set5 {record['psnr']['Set5']:.2f} dB, Set14 "
                f"{record['psnr']['Set14']:.2f} dB (paper 32.39 / 29.00); load {record['load_before']} -> "
                f"{record['load_after']}; {record['device']}, {record['threads']} threads",
                flush=True,
            )


if __name__ == "__main__":
    main()
