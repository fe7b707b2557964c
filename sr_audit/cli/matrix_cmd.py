"""``sr-audit matrix``: train SRCNN per train spec, evaluate on every eval spec, store every cell, report.

With no data options it says in its first line what it runs and why
(:func:`sr_audit.matrix.plan.choose_defaults`, :func:`~sr_audit.matrix.plan.describe_choice`):
when T91, Set5 and Set14 are found under the data root, the near-paper configuration (recipe
``sprint``, T91 -> Set5, Set14, x3, five train backends and every eval backend, within 10 minutes
on 2 CPU cores); else the quick CPU demo (the embedded images, scikit-image's photos, every
available backend, x3, the ``quick`` recipe). Both use the ``matlab`` protocol and write into
``sr-audit-out/``; ``--data``, ``--eval-data``, ``--recipe``, ``--train``, ``--eval`` and
``--scales`` always win. The paper-scale run::

    sr-audit matrix --train all --eval all --scales 2,3,4 --data T91 --eval-data Set5,Set14 \\
        --recipe sprint --out runs/matrix-t91

A rerun with the same options skips finished models and cells; an interrupted one resumes. A
published recipe (``--recipe pytorch-pil``) brings its scale, training data and eval sets, trains
in its network space (Y or RGB), and the report shows its published figures beside the measured
cells. ``--model FILE_OR_FACTORY`` (repeatable) adds pretrained models as rows, evaluated on every
eval spec and never trained: how much a model loses when its LR comes from another library.

The library runs the cells (:func:`sr_audit.matrix.run_matrix`); this command then records the run
in the store (:mod:`sr_audit.matrix.runs`: the command, the configuration line, wall time, machine;
the report's "How this store was made"), writes the report
(:func:`sr_audit.report.write_report`) and prints the summary of the run's cells
(:func:`sr_audit.report.summary_tables`: the report's own train x eval tables and labels).
"""
from __future__ import annotations

import argparse
import re
from datetime import datetime, timezone

import torch

from sr_audit.allocator import retain_freed_memory
from sr_audit.backends.selection import ALL_SPECS
from sr_audit.cli.options import add_data_root
from sr_audit.device import DEVICE_NAMES, resolve_device
from sr_audit.errors import SpecError
from sr_audit.evaluation import MODEL_INPUTS
from sr_audit.infer import MODULE_CONTRACT
from sr_audit.matrix import EXECUTORS, MatrixPlan, MatrixResult, run_matrix
from sr_audit.matrix.executors import AUTO_CPU_WORKERS
from sr_audit.matrix.plan import (
    DEFAULT_CHECKPOINT_MINUTES,
    DEFAULT_CROP_SIZE,
    NEAR_PAPER,
    QUICK_DEMO,
    choose_defaults,
    describe_choice,
)
from sr_audit.matrix.runs import RunRecord, command_line, machine_description, record_run
from sr_audit.matrix.store import Store
from sr_audit.protocol import PROTOCOLS
from sr_audit.recipes import Budget, recipe_names
from sr_audit.report import ReportFiles, Summary, format_duration, format_summaries, summary_tables, write_report

#: A ``--model`` value that names the trained SRCNN's filter sizes rather than a pretrained model.
_SRCNN_NAME = re.compile(r"\d+-\d+-\d+")

#: Store folder of ``sr-audit matrix`` without ``--out``.
DEFAULT_OUT = "sr-audit-out"

#: "when the standard sets are found", for the help texts.
_FOUND = f"when {', '.join(NEAR_PAPER.standard_sets)} are under the data root"


def _budget(args: argparse.Namespace) -> Budget | None:
    for unit in ("steps", "epochs", "minutes"):
        value = getattr(args, unit)
        if value is not None:
            return Budget(unit, value)
    return None


def format_result(result: MatrixResult, summaries: list[Summary], report: ReportFiles | None = None) -> str:
    """The summary tables with the diagonal's gains over bicubic, then what was done, where the store
    and the report are."""
    trained = f"{result.trained} models trained" + (f" ({len(result.resumed)} resumed from a checkpoint)" if result.resumed else "")
    lines = [f"{result.cells_total} cells: {result.computed} computed now, {result.cells_before} already in the "
             f"store; {trained}; wall time {format_duration(result.seconds)}", f"store: {result.store}"]
    if report is not None:
        lines += [f"report: {report.html}", f"report: {report.markdown}"]
    return "\n\n".join(([format_summaries(summaries)] if summaries else []) + ["\n".join(lines)])


def _workers(value: str) -> int | str:
    """``--workers`` as an int or ``"auto"``."""
    if value.strip().lower() == "auto":
        return "auto"
    try:
        return int(value)
    except ValueError:
        raise SpecError(f"--workers must be a positive integer or auto, got {value!r}") from None


def split_models(values: list[str] | None) -> tuple[str | None, tuple[str, ...]]:
    """``--model`` values -> (the trained SRCNN's filter sizes or None, the pretrained models).

    A value of the form ``F1-F2-F3`` (``9-1-5``) names the trained architecture (at most one);
    any other value is a pretrained model (a file or ``package.module:factory``).
    """
    names = [v for v in values or () if _SRCNN_NAME.fullmatch(v.strip())]
    if len(names) > 1:
        raise SpecError(f"--model names the trained SRCNN at most once (F1-F2-F3), got {', '.join(names)}")
    return (names[0].strip() if names else None), tuple(v for v in values or () if v not in names)


def _run(args: argparse.Namespace) -> int:
    if args.threads is not None and args.threads < 1:
        raise SpecError(f"--threads must be a positive integer, got {args.threads}")
    workers = _workers(args.workers)
    srcnn, external = split_models(args.model)
    choice = choose_defaults(data=args.data, eval_data=args.eval_data, recipe=args.recipe, train=args.train,
                             eval=args.eval, scales=args.scales, data_root=args.data_root)
    plan = MatrixPlan.from_options(
        train=args.train, eval=args.eval, scales=args.scales, model=srcnn, seeds=args.seeds, data=args.data,
        eval_data=args.eval_data, data_root=args.data_root, recipe=args.recipe, budget=_budget(args),
        protocol=args.protocol, device=args.device, checkpoint_minutes=args.checkpoint_minutes, crop_size=args.crop_size,
        external=external, external_input=args.model_input, defaults=choice.config,
    )
    line = describe_choice(choice, plan)
    if line:
        print(line, flush=True)
    device = resolve_device(plan.device)
    if device.type == "cpu":
        retain_freed_memory()  # this process is the command's own (sr_audit.allocator)
    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    result = run_matrix(plan, args.out, executor=args.executor, address=args.address, workers=workers,
                        threads=args.threads, progress=not args.no_progress)
    record_run(result.store, RunRecord(
        command=command_line(args.argv), configuration=line, started=started, wall_seconds=round(result.seconds, 1),
        cells_total=result.cells_total, cells_computed=result.computed, models_trained=result.trained,
        machine=machine_description(str(device) if args.executor == "local" else f"{args.executor} executor",
                                    result.threads, result.workers)))
    store = Store(result.store)
    report = None if args.no_report else write_report(store)
    print(format_result(result, summary_tables(store, result.cell_keys), report))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "matrix",
        help="train SRCNN per train spec, evaluate on every eval spec, store every cell, write the report",
        description=__doc__.splitlines()[0] if __doc__ else None,
    )
    p.add_argument("--train", default=None, metavar="SPECS",
                   help=f"comma list of backend specs to train on, or '{ALL_SPECS}' (default: "
                        f"{','.join(NEAR_PAPER.train_backends or ())} {_FOUND} and no --data, --eval-data or --recipe "
                        "is given, else every available backend)")
    p.add_argument("--eval", default=None, metavar="SPECS",
                   help=f"comma list of backend specs to evaluate on, or '{ALL_SPECS}' (default)")
    p.add_argument("--scales", default=None, help="comma list of super-resolution factors, e.g. 2,3,4 (x3 and 1/3 also work; default: the recipe's, "
                   "else 3)")
    p.add_argument("--model", action="append", default=None, metavar="F1-F2-F3|FILE|FACTORY",
                   help="repeatable. F1-F2-F3 (e.g. 9-1-5): filter sizes of the trained SRCNN (default: the recipe's); "
                        "a file (TorchScript, SRCNN state_dict, sr-audit checkpoint, authors' .mat) or "
                        "package.module:factory: a pretrained model, a row evaluated on every eval spec, never trained")
    p.add_argument("--model-input", choices=list(MODEL_INPUTS), default="upsampled",
                   help=f"what the pretrained models take: upsampled (default) or lr; contract: {MODULE_CONTRACT}")
    p.add_argument("--seeds", default="0", help="comma list of training seeds (default 0)")
    p.add_argument("--data", default=None,
                   help=f"training images: a folder, T91 or {QUICK_DEMO.train_data} (the quick demo); default: the "
                        f"recipe's, else {NEAR_PAPER.train_data} {_FOUND} and no --eval-data or --recipe is given, else "
                        f"{QUICK_DEMO.train_data}")
    p.add_argument("--eval-data", default=None, metavar="SETS",
                   help="comma list of eval sets (Set5,Set14 or folders); default: the sets of the recipe's reported "
                        f"figures, else {','.join(NEAR_PAPER.eval_data)} {_FOUND} and no --data or --recipe is given, "
                        f"else {','.join(QUICK_DEMO.eval_data)}")
    add_data_root(p, "T91, Set5, Set14 and srcnn_official_weights/")
    p.add_argument("--recipe", default=None,
                   help=f"training recipe: {', '.join(recipe_names())}, or a .json file of one (default "
                        f"{NEAR_PAPER.recipe} {_FOUND} and no --data or --eval-data is given, else {QUICK_DEMO.recipe})")
    budget = p.add_mutually_exclusive_group()
    budget.add_argument("--steps", type=int, help="replace the recipe's budget: this many optimizer steps")
    budget.add_argument("--epochs", type=float, help="replace the recipe's budget: this many passes over the patches")
    budget.add_argument("--minutes", type=float, help="replace the recipe's budget: minutes per model (not bit-reproducible)")
    p.add_argument("--protocol", default="matlab", help=f"metric protocol: {', '.join(PROTOCOLS)} (default matlab)")
    p.add_argument("--device", default="auto", help=f"{', '.join(DEVICE_NAMES)} (default auto: every GPU with the local executor)")
    p.add_argument("--executor", default="local", choices=list(EXECUTORS), help="local (default) or ray")
    p.add_argument("--address", default=None, help="Ray cluster address (with --executor ray; default: start a local Ray)")
    p.add_argument("--out", default=DEFAULT_OUT, metavar="DIR", help=f"results store folder (default {DEFAULT_OUT})")
    p.add_argument("--checkpoint-minutes", type=float, default=DEFAULT_CHECKPOINT_MINUTES, metavar="M",
                   help=f"write a training checkpoint every M minutes of training (default {DEFAULT_CHECKPOINT_MINUTES})")
    p.add_argument("--crop-size", type=int, default=DEFAULT_CROP_SIZE, metavar="PX",
                   help=f"side of the crops kept per cell for the report (default {DEFAULT_CROP_SIZE})")
    p.add_argument("--workers", default="auto", metavar="N|auto",
                   help="worker processes of the local executor (default auto: one per CUDA GPU, or on the CPU one per "
                        f"core, at most {AUTO_CPU_WORKERS} and no more than the models to train)")
    p.add_argument("--threads", type=int, default=None,
                   help="torch CPU threads of each worker (default: the cores divided among the workers)")
    p.add_argument("--no-report", action="store_true", help="do not write the report at the end")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_run)
