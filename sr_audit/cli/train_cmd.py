"""``sr-audit train``: train SRCNN on data degraded by one backend spec (:func:`sr_audit.train.train_model`).

Example::

    sr-audit train --backend matlab --scale 3 --data T91 --out runs/matlab-x3 --recipe fast --minutes 15

writes ``runs/matlab-x3/checkpoint.pt`` (training state, for ``--resume``) and
``runs/matlab-x3/model.pt`` (the final model and its metadata). A published recipe brings its own
pipeline (degradation, scale, compute path, training data), used for every one of
``--backend``/``--scale``/``--compute``/``--data`` not given::

    sr-audit train --recipe pytorch-pil --out runs/pytorch-pil

and the result is printed beside the figures the recipe's source reports for the same eval set
and scale.
"""
from __future__ import annotations

import argparse

import torch

from typing import Any

from sr_audit.allocator import retain_freed_memory
from sr_audit.cli.options import add_data_root, add_scale
from sr_audit.datasets import STANDARD_SETS, Dataset, find_data_root, load_dataset
from sr_audit.degradation import COMPUTES, Degradation
from sr_audit.device import resolve_device
from sr_audit.errors import SpecError
from sr_audit.recipes import Budget, Recipe, load_recipe, recipe_names
from sr_audit.train import MODEL_FILE, TrainOptions, train_model

#: ``--eval-data`` values with a special meaning.
EVAL_AUTO, EVAL_NONE = "auto", "none"


def _eval_set(choice: str, data: str | None, data_root: str | None, scale: int) -> Dataset | None:
    """``auto``: Set5 when the standard sets are found, else the embedded eval split; ``none``: no
    evaluation. Loaded at the run's ``scale`` (a per-scale layout gives that scale's images)."""
    if choice.lower() == EVAL_NONE:
        return None
    if choice.lower() != EVAL_AUTO:
        return load_dataset(choice, data_root=data_root, scale=scale)
    root, _ = find_data_root(data_root)
    set5 = STANDARD_SETS["set5"][0]
    if root is not None and (root / set5).is_dir():
        return load_dataset(set5, data_root=root, scale=scale)
    return load_dataset(None, embedded_split="eval")


def _budget(args: argparse.Namespace) -> Budget | None:
    for unit in ("steps", "epochs", "minutes"):
        value = getattr(args, unit)
        if value is not None:
            return Budget(unit, value)
    return None


def _degradation(args: argparse.Namespace, recipe: Recipe) -> Degradation:
    """The recipe's pipeline with ``--backend``, ``--scale`` and ``--compute`` where given."""
    pipeline = recipe.pipeline
    if pipeline is None and (args.backend is None or args.scale is None):
        raise SpecError(f"recipe {recipe.name!r} has no pipeline of its own: pass --backend SPEC and --scale S")
    scale = args.scale if args.scale is not None else pipeline.scale  # type: ignore[union-attr]
    compute = args.compute or (pipeline.compute if pipeline is not None else "float")
    spec = args.backend if args.backend is not None else f"{pipeline.down}/{pipeline.up}"  # type: ignore[union-attr]
    return Degradation.parse(spec, scale=scale, space=recipe.space, compute=compute)


def _signed(value: float) -> str:
    return f"{value:+.2f}".replace("-", "−")


def format_reported(meta: dict[str, Any]) -> list[str]:
    """One line per reported figure of the run's eval set and scale: published value, ours, Δ, source."""
    evaluation = meta["eval"]
    if evaluation is None:
        return []
    lines = []
    pipeline = "" if meta["recipe_pipeline"] else "; this run changed the recipe's pipeline"
    for figure in evaluation["reported"]:
        space = figure["space"]
        ours = evaluation["scores"][f"psnr_{space}"]
        line = f"published {figure['dataset']} ×{figure['scale']} {space.upper()} PSNR {figure['psnr']:.2f} dB"
        if figure["bicubic_psnr"] is not None:
            line += f" (bicubic {figure['bicubic_psnr']:.2f})"
        line += f"; ours {ours:.2f} dB, Δ {_signed(ours - figure['psnr'])} dB ({evaluation['protocol']} protocol{pipeline})"
        lines += [line, f"  source: {figure['source']}"]
    return lines


def _run(args: argparse.Namespace) -> int:
    if args.threads is not None:
        if args.threads < 1:
            raise SpecError(f"--threads must be a positive integer, got {args.threads}")
        torch.set_num_threads(args.threads)
    recipe = load_recipe(args.recipe)
    if args.amp:
        recipe = recipe.replace(precision="bfloat16")
    degradation = _degradation(args, recipe)
    data = args.data if args.data is not None else recipe.default_train_data()
    train = load_dataset(data, data_root=args.data_root, embedded_split="train", scale=degradation.scale)
    eval_images = _eval_set(args.eval_data, args.data, args.data_root, degradation.scale)
    options = TrainOptions(
        checkpoint_every=Budget("minutes", args.checkpoint_minutes),
        deterministic=args.deterministic,
        tf32=args.tf32,
    )
    if resolve_device(args.device).type == "cpu":
        retain_freed_memory()  # this process is the command's own (sr_audit.allocator)
    result = train_model(
        degradation,
        train,
        recipe,
        seed=args.seed,
        device=args.device,
        budget=_budget(args),
        checkpoint_dir=args.out,
        resume=args.resume,
        eval_images=eval_images,
        protocol=args.protocol,
        progress=not args.no_progress,
        cache_dir=args.cache_dir,
        options=options,
    )
    meta = result.metadata
    scored = ""
    if meta["eval"] is not None:
        scores = meta["eval"]["scores"]
        spaces = ", ".join(f"{k[5:].upper()} {v:.2f} dB" for k, v in scores.items() if k.startswith("psnr") and v is not None)
        scored = f"; {meta['eval']['data']} PSNR {spaces} ({meta['eval']['protocol']})"
    print(
        f"{args.out}/{MODEL_FILE}: SRCNN {recipe.model} recipe {recipe.name}, {degradation}, {train.name}, seed {args.seed}: "
        f"{meta['steps']} steps ({meta['epochs']:.1f} epochs) in {meta['train_seconds']:.0f} s on {meta['device']}{scored}"
    )
    if meta.get("budget_extended_from"):
        print(f"note: this run was extended from a budget of {meta['budget_extended_from']} to {meta['budget']}; its "
              "schedule was stretched from the step it resumed at, so it differs from a fresh run with that budget")
    for line in format_reported(meta):
        print(line)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "train",
        help="train SRCNN on images degraded by one backend spec",
        description="Train SRCNN on images degraded (down then up) by a backend spec, or by the recipe's own pipeline; "
                    "the network sees Y or RGB as the recipe says. Checkpoints and the final model go to --out; the final "
                    "scores are printed beside the figures the recipe's source reports for the same eval set and scale.",
    )
    p.add_argument("--backend", default=None, metavar="SPEC",
                   help="degradation DOWN[/UP], e.g. matlab, pil, 'cv2:area/cv2' (default: the recipe's pipeline)")
    add_scale(p, default=None, extra="default: the recipe's")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for checkpoint.pt and model.pt")
    p.add_argument("--data", default=None,
                   help="training images: a folder or T91/Set5/Set14; default: the recipe's, else the embedded training split")
    add_data_root(p, "T91, Set5 and Set14")
    p.add_argument("--eval-data", default=EVAL_AUTO, metavar="SET", help="scored at each checkpoint: 'auto' (Set5 if found, else the embedded eval split), 'none', a folder or a set name")
    p.add_argument("--protocol", default="matlab",
                   help="metric protocol of those scores (PSNR in the recipe's space; Y and RGB at the end); default matlab")
    p.add_argument("--recipe", default="fast",
                   help=f"training recipe: {', '.join(recipe_names())}, or a .json file of one (default fast)")
    p.add_argument("--seed", type=int, default=0, help="seed of initialisation and batch order (default 0)")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N (default auto)")
    budget = p.add_mutually_exclusive_group()
    budget.add_argument("--minutes", type=float, help="train for this many minutes (not bit-reproducible)")
    budget.add_argument("--epochs", type=float, help="train for this many passes over the patches")
    budget.add_argument("--steps", type=int, help="train for this many optimizer steps")
    p.add_argument("--resume", action="store_true",
                   help="continue the run whose checkpoint is in --out; with a larger --steps/--epochs/--minutes than "
                   "it had, extend it")
    p.add_argument("--compute", default=None, choices=list(COMPUTES),
                   help="float (authors) or uint8 resizes (default: the recipe's pipeline, else float)")
    p.add_argument("--checkpoint-minutes", type=float, default=2.0, metavar="M", help="checkpoint and evaluate every M minutes of training (default 2)")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    p.add_argument("--cache-dir", default=None, metavar="DIR", help="patch cache (default $SR_AUDIT_CACHE or ~/.cache/sr-audit)")
    p.add_argument("--deterministic", action="store_true", help="CUDA: deterministic cuDNN algorithms (slower)")
    p.add_argument("--amp", action="store_true", help="train with the recipe's precision set to bfloat16 (autocast where the device has native "
                   "bfloat16: CUDA, CPUs with AVX-512 BF16 or AMX; sr_audit.mixed)")
    p.add_argument("--tf32", action="store_true", help="CUDA: allow TF32 (off by default: its effect on PSNR is unmeasured)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_run)
