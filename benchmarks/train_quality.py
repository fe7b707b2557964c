"""Training quality against time: when SRCNN reaches the paper's figures, and what it reaches by a budget.

For every scale of ``--scale`` (default 2, 3 and 4) and every budget of ``--minutes`` (default 0.5,
1 and 5: one separate run per budget, so each run's schedule spans its own budget), the recipe
(default ``sprint``, the short-budget recipe of issue 12, altered by ``--change``) trains SRCNN on T91 degraded by ``--backend`` (default
``matlab``: modern MATLAB ``imresize``, the authors' float path), then the reference recipe
(``--reference``, default ``pytorch-adam``: the popular PyTorch reimplementation's Adam 1e-4,
batches of 16, 9-5-5 zero-padded) does the same, in the same process, by the same code
(:func:`sr_audit.train.train_patches`). Both train on the *same* degradation, so the race compares
training recipes, not data pipelines (the reference's own Pillow data would be scored on MATLAB
inputs, a mismatch this project measures elsewhere).

During every run Set5 and Set14 are scored under the ``matlab`` protocol (Y of MATLAB
``rgb2ycbcr``, ``uint8(x*255)``, shave = scale, mean of per-image PSNR; inputs made by the same
degradation) every ``--steps-per-eval`` steps, or every ``--seconds-per-eval`` seconds of training,
or by default ``--evals`` times evenly over the budget, and at the end. The report gives, per scale
and recipe, the PSNR each budget reached, the training time of the *first evaluation* at or above
the paper's 9-1-5 figure (Dong et al. 2014: x2 36.34 / 32.18, x3 32.39 / 29.00, x4 30.09 / 27.20
dB) for each set and for both, and the reference against ours as a ratio of those times and as a
difference in dB at each budget. Only training time counts (sample preparation and scoring do not).
The authors' released 9-1-5 weights are scored by the same code first.

``--steps N [N ...]`` replaces the time budgets by step budgets (bit-reproducible and independent of
the machine's load, what the tuning runs of benchmarks/README.md use). ``--seed`` takes several
seeds. ``--reference none`` runs only the recipe. With CUDA present, ``--device auto`` trains there.

Usage::

    python benchmarks/train_quality.py [--minutes 0.5 1 5 | --steps N ...] [--scale 2 3 4]
        [--steps-per-eval K | --seconds-per-eval S | --evals 20] [--recipe sprint|FILE.json] [--change JSON]
        [--reference pytorch-adam|none] [--seed 0 ...] [--threads 2] [--json]

Needs the shared data sets (``--data-root``, ``$SR_AUDIT_DATA`` or ``../shared/datasets``).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
from collections.abc import Mapping, Sequence
from typing import Any

import torch

from sr_audit.allocator import retain_freed_memory
from sr_audit.datasets import Dataset, find_data_root, load_dataset
from sr_audit.degradation import Degradation
from sr_audit.device import resolve_device
from sr_audit.errors import SrAuditError
from sr_audit.evaluation import evaluate
from sr_audit.model import SRCNN
from sr_audit.protocol import Protocol, get_protocol
from sr_audit.published import PAPER_ROWS
from sr_audit.recipes import Budget, Recipe, load_recipe
from sr_audit.train import TrainOptions, inference_model, prepare_samples, train_patches
from sr_audit.weights import load_authors_mat

#: The paper's 9-1-5 (T91) figures: scale -> eval set -> PSNR (dB).
PAPER: dict[int, dict[str, float]] = {}
for _data, _scale, _psnr, *_ in PAPER_ROWS:
    PAPER.setdefault(_scale, {})[_data] = _psnr

#: Eval sets, in report order.
SETS = ("Set5", "Set14")


def first_at_or_above(history: Sequence[Mapping[str, Any]], figures: Mapping[str, float]) -> dict[str, float | None]:
    """Training seconds of the first evaluation at or above ``figures``, per set and for all sets ("both").

    >>> h = [{"seconds": 10, "Set5": 32.0, "Set14": 29.1}, {"seconds": 20, "Set5": 32.5, "Set14": 28.9}]
    >>> first_at_or_above(h, {"Set5": 32.39, "Set14": 29.0})
    {'Set5': 20, 'Set14': 10, 'both': None}
    """
    def first(ok: Any) -> float | None:
        return next((h["seconds"] for h in history if ok(h)), None)

    times: dict[str, float | None] = {name: first(lambda h, n=name: h[n] >= figures[n]) for name in figures}
    times["both"] = first(lambda h: all(h[n] >= figures[n] for n in figures))
    return times


def train_and_score(
    recipe: Recipe,
    degradation: Degradation,
    train: Dataset,
    tests: Mapping[str, Dataset],
    protocol: Protocol,
    budget: Budget,
    cadence: Budget,
    seed: int,
    device: torch.device,
    progress: bool,
) -> dict[str, Any]:
    """One run of ``recipe`` with Set5 and Set14 scored at every ``cadence`` and at the end."""
    samples = prepare_samples(list(train), degradation, recipe)
    history: list[dict[str, float]] = []

    def evaluator(model: SRCNN) -> float:
        net = inference_model(model, recipe)
        history.append(
            {name: float(evaluate(net, ds, degradation, protocol, device=device).mean.psnr_y) for name, ds in tests.items()}
        )
        return history[-1][SETS[0]]

    load_before = os.getloadavg()
    _, summary = train_patches(
        samples, recipe, seed=seed, device=device, budget=budget, evaluator=evaluator,
        options=TrainOptions(checkpoint_every=cadence, progress=progress), scale=degradation.scale,
    )
    for record, scores in zip(summary["history"], history):
        scores.update(step=record["step"], seconds=record["seconds"])
    return {
        "recipe": recipe.name,
        "budget": str(budget),
        "seed": seed,
        "steps": summary["steps"],
        "epochs": round(summary["epochs"], 2),
        "train_seconds": round(summary["train_seconds"], 1),
        "patches_per_s": round(summary["steps"] * recipe.batch_size / summary["train_seconds"], 1),
        "lr": summary["lr"],
        "precision": summary["precision"],
        "psnr": {name: round(history[-1][name], 3) for name in tests},
        "history": [{k: round(v, 3) for k, v in h.items()} for h in history],
        "load_before": [round(v, 2) for v in load_before],
        "load_after": [round(v, 2) for v in os.getloadavg()],
    }


def cadence_of(budget: Budget, args: argparse.Namespace) -> Budget:
    """How often a run of ``budget`` is scored: the options, else ``--evals`` times over the budget."""
    if args.steps_per_eval:
        return Budget("steps", args.steps_per_eval)
    if args.seconds_per_eval:
        return Budget("minutes", args.seconds_per_eval / 60.0)
    if budget.unit == "steps":
        return Budget("steps", max(1, int(budget.value) // args.evals))
    return Budget("minutes", budget.value / args.evals)


def _seconds(value: float | None) -> str:
    return "not reached" if value is None else f"{value:.1f} s"


def _ratio(reference: float | None, ours: float | None, reference_budget: float) -> str:
    if ours is None:
        return "—"
    if reference is None:
        return f"> {reference_budget / ours:.1f}"
    return f"{reference / ours:.1f}"


def report(scale: int, runs: Sequence[dict[str, Any]], reference: str | None) -> str:
    """Markdown: the runs of one scale, then the reference's times and dB against ours."""
    paper = PAPER[scale]
    lines = [
        f"### x{scale} (paper 9-1-5: Set5 {paper['Set5']:.2f}, Set14 {paper['Set14']:.2f} dB)",
        "",
        "| recipe | seed | budget | steps | patches/s | Set5 | Set14 | first ≥ paper: Set5 | Set14 | both | load before → after |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        t = r["first_at_paper"]
        lines.append(
            f"| {r['recipe']} | {r['seed']} | {r['budget']} | {r['steps']} | {r['patches_per_s']:.0f} | "
            f"{r['psnr']['Set5']:.2f} | {r['psnr']['Set14']:.2f} | {_seconds(t['Set5'])} | {_seconds(t['Set14'])} | "
            f"{_seconds(t['both'])} | {r['load_before'][0]:.2f} → {r['load_after'][0]:.2f} |"
        )
    lines.append("")
    for name in dict.fromkeys(r["recipe"] for r in runs):
        reached = [(r["first_at_paper"]["both"], r["budget"]) for r in runs if r["recipe"] == name]
        hits = [(t, b) for t, b in reached if t is not None]
        lines.append(
            f"{name}: minutes to both figures (first evaluation at or above, earliest run): "
            + (f"{min(hits)[0] / 60:.2f} (run of {min(hits)[1]})" if hits else "not reached in any run")
        )
    if reference is not None:
        ours = [r for r in runs if r["recipe"] != reference]
        theirs = {(r["budget"], r["seed"]): r for r in runs if r["recipe"] == reference}
        lines += ["", f"{reference} against {ours[0]['recipe'] if ours else 'ours'}:", ""]
        lines += ["| budget | seed | time to both figures, ratio | Δ Set5 dB | Δ Set14 dB |", "|---|---|---|---|---|"]
        for r in ours:
            other = theirs.get((r["budget"], r["seed"]))
            if other is None:
                continue
            ratio = _ratio(other["first_at_paper"]["both"], r["first_at_paper"]["both"], other["train_seconds"])
            lines.append(
                f"| {r['budget']} | {r['seed']} | {ratio} | {other['psnr']['Set5'] - r['psnr']['Set5']:+.2f} | "
                f"{other['psnr']['Set14'] - r['psnr']['Set14']:+.2f} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, nargs="+", default=[0.5, 1.0, 5.0])
    parser.add_argument("--steps", type=int, nargs="+", default=None, help="step budgets instead of --minutes")
    parser.add_argument("--scale", type=int, nargs="+", default=[2, 3, 4], choices=sorted(PAPER))
    cadence = parser.add_mutually_exclusive_group()
    cadence.add_argument("--steps-per-eval", type=int, default=None, help="score Set5 and Set14 every K steps")
    cadence.add_argument("--seconds-per-eval", type=float, default=None, help="... every S seconds of training")
    cadence.add_argument("--evals", type=int, default=20, help="... this many times evenly over each budget (default)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--recipe", default="sprint", help="a recipe name or a .json recipe file")
    parser.add_argument("--change", default="{}", help="JSON object of recipe fields to change")
    parser.add_argument("--reference", default="pytorch-adam", help="the recipe raced against, or none")
    parser.add_argument("--seed", type=int, nargs="+", default=[0])
    parser.add_argument("--backend", default="matlab")
    parser.add_argument("--data-root", default=None)
    parser.add_argument("--json", action="store_true", help="one JSON record per run instead of the tables")
    args = parser.parse_args()
    if min(args.steps or [1]) < 1 or min(args.minutes) <= 0 or args.evals < 1 or (args.steps_per_eval or 1) < 1:
        raise SystemExit("budgets, --evals and --steps-per-eval must be positive")
    try:
        recipe = load_recipe(args.recipe)
        changes = json.loads(args.change)
        if not isinstance(changes, dict):
            raise SystemExit(f"--change must be a JSON object of recipe fields, got {args.change!r}")
        if changes:
            recipe = Recipe.from_dict({**recipe.as_dict(), **changes})
        reference = None if args.reference == "none" else load_recipe(args.reference)
    except (SrAuditError, ValueError) as exc:
        raise SystemExit(f"bad --recipe, --change or --reference: {exc}") from None
    torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    if device.type == "cpu":
        retain_freed_memory()  # as sr-audit train does (sr_audit.allocator)
    root, how = find_data_root(args.data_root)
    if root is None:
        raise SystemExit(f"needs T91, Set5 and Set14: {how}")
    train = load_dataset("T91", data_root=root)
    tests = {name: load_dataset(name, data_root=root) for name in SETS}
    protocol = get_protocol("matlab")
    budgets = [Budget("steps", s) for s in args.steps] if args.steps else [Budget("minutes", m) for m in args.minutes]
    recipes = [recipe] + ([reference] if reference is not None else [])
    machine = {
        "device": str(device) if device.type == "cpu" else torch.cuda.get_device_name(device),
        "threads": torch.get_num_threads(),
        "cpu": platform.processor() or platform.machine(),
        "torch": torch.__version__,
    }
    if not args.json:
        print(f"{machine}; recipe {recipe.name}{' ' + json.dumps(changes) if changes else ''}; backend {args.backend}")
    for scale in args.scale:
        deg = Degradation.parse(args.backend, scale=scale)
        authors = root / "srcnn_official_weights" / "9-1-5_T91" / f"x{scale}.mat"
        if authors.is_file() and not args.json:
            net = load_authors_mat(authors).float()
            scores = {n: round(float(evaluate(net, ds, deg, protocol).mean.psnr_y), 3) for n, ds in tests.items()}
            print(f"\nauthors' 9-1-5 T91 x{scale} weights, same scoring: {scores}")
        runs = []
        for r in recipes:
            for seed in args.seed:
                for budget in budgets:
                    run = train_and_score(
                        r, deg, train, tests, protocol, budget, cadence_of(budget, args), seed, device, not args.json
                    )
                    run.update(scale=scale, degradation=str(deg), changes=changes if r is recipe else {}, **machine)
                    run["first_at_paper"] = first_at_or_above(run["history"], PAPER[scale])
                    runs.append(run)
                    if args.json:
                        print(json.dumps(run), flush=True)
        if not args.json:
            print("\n" + report(scale, runs, reference.name if reference is not None else None), flush=True)


if __name__ == "__main__":
    main()
