"""Training throughput of sr-audit's loop against the usual PyTorch loop, in patches per second.

Both loops train the same SRCNN (9-1-5, ``valid`` padding, 33x33 windows -> 21x21 targets) with
the same optimizer (the recipe's Adam and per-layer rates) and loss, on the same patches, in the
same process:

* **ours**: :func:`sr_audit.train.train_patches` -- the patch set resident on the device, a
  seeded permutation, batches gathered by indexing, model and batches ``channels_last``.
* **usual**: a ``torch.utils.data.Dataset`` whose ``__getitem__`` returns one (input, target)
  pair, a ``DataLoader(batch_size, shuffle=True, num_workers=--workers)``, the model in the
  default memory format, batches moved to the device one at a time (``.to(device)``), ``zero_grad``,
  forward, loss, backward, step -- the loop of the popular reimplementations.
* **usual, channels_last**: the usual loop with model and batches in ``channels_last``; it splits
  the gain into its two parts, the memory format (this row against the usual loop) and the data
  path (ours against this row).

Contestants: the usual loop at ``--batch`` (default 128), in both memory formats, ours at the same
batch, and ours at the recipe's own batch when that differs. These do the same work per patch: the
recipe's centring and augmentation (``centre``, ``augment``), which the usual loop does not do, are
off for them; one more contestant, ours at the recipe's batch with both on, shows what they cost; for a recipe
whose ``precision`` is not float32 (``sprint``), the same in float32 shows what that is worth.

They alternate for ``--rounds`` rounds of ``--seconds`` each, so all see the same machine load; the
figure is total patches / total time per contestant, and the ratio is to the usual loop. On a
shared machine the load drifts over minutes, so the script also prints each contestant's ratio to
the usual loop within every round (median and range): short rounds, many of them, keep that ratio
steady where the totals move. Runs on CUDA when present (``--device auto``).

On the CPU the process first calls :func:`sr_audit.allocator.retain_freed_memory`, as
:func:`sr_audit.train.train_model` does, so every contestant reuses freed memory rather than
page-faulting it in anew at each step; ``--default-malloc`` leaves the allocator as it is, to
measure what that is worth (run the script both ways).

Data: the patches of ``--data`` (default T91 when found, else the embedded training split)
degraded by ``--backend`` (default matlab) at x``--scale``, through the patch cache.

Usage::

    python benchmarks/train_speed.py [--seconds 5] [--rounds 12] [--device auto] [--threads N] [--default-malloc]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time

import torch
from torch.utils.data import DataLoader, Dataset
from tqdm.auto import tqdm

from sr_audit.allocator import retain_freed_memory
from sr_audit.datasets import find_data_root, load_dataset
from sr_audit.degradation import Degradation
from sr_audit.device import resolve_device
from sr_audit.model import SRCNN
from sr_audit.patches import PatchSet, prepare_patches
from sr_audit.recipes import Budget, Recipe, get_recipe
from sr_audit.train import TrainOptions, init_model, loss_function, make_optimizer, train_patches


class OnePatch(Dataset):
    """The usual Dataset: one (input, target) pair per index, from CPU tensors."""

    def __init__(self, patches: PatchSet) -> None:
        self.x, self.y = patches.inputs, patches.targets

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.x[i], self.y[i]


def usual_loop(
    patches: PatchSet, recipe: Recipe, device: torch.device, seconds: float, workers: int, scale: int,
    channels_last: bool = False,
) -> tuple[int, float]:
    """Train with Dataset + DataLoader for ``seconds``; (patches seen, seconds taken)."""
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    model = SRCNN(recipe.model_config)
    init_model(model, recipe, torch.Generator().manual_seed(0))
    model = model.to(device, memory_format=memory_format)
    optimizer = make_optimizer(model, recipe, scale=scale)
    loss_fn = loss_function(recipe)
    loader = DataLoader(OnePatch(patches), batch_size=recipe.batch_size, shuffle=True, num_workers=workers, drop_last=True)
    seen, start = 0, time.perf_counter()
    while True:
        for x, y in loader:
            x, y = x.to(device, memory_format=memory_format), y.to(device)
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
            seen += x.shape[0]
            if time.perf_counter() - start >= seconds:
                if device.type == "cuda":
                    torch.cuda.synchronize()
                return seen, time.perf_counter() - start


def our_loop(patches: PatchSet, recipe: Recipe, device: torch.device, seconds: float, scale: int) -> tuple[int, float]:
    """Train with :func:`train_patches` for ``seconds``; (patches seen, seconds taken)."""
    _, summary = train_patches(
        patches, recipe, device=device, budget=Budget("minutes", seconds / 60), options=TrainOptions(progress=False),
        scale=scale,
    )
    if device.type == "cuda":
        torch.cuda.synchronize()
    return summary["steps"] * recipe.batch_size, summary["train_seconds"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="seconds per loop per round (default 5)")
    parser.add_argument("--rounds", type=int, default=12, help="alternating rounds (default 12)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default torch's)")
    parser.add_argument("--workers", type=int, default=0, help="DataLoader workers of the usual loop (default 0)")
    parser.add_argument("--data", default=None, help="training images (default T91 when found, else embedded)")
    parser.add_argument("--backend", default="matlab")
    parser.add_argument("--scale", type=int, default=3)
    parser.add_argument("--recipe", default="fast")
    parser.add_argument("--batch", type=int, default=128, help="batch of the usual loop and of 'ours' (default 128)")
    parser.add_argument("--default-malloc", action="store_true", help="leave the C allocator untuned (see the module notes)")
    parser.add_argument("--json", action="store_true", help="print one JSON record instead of text")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    retained = device.type == "cpu" and not args.default_malloc and retain_freed_memory()
    recipe = get_recipe(args.recipe)
    root, _ = find_data_root()
    data = args.data or ("T91" if root is not None and (root / "T91").is_dir() else "embedded-train")
    images = load_dataset(data)
    deg = Degradation.parse(args.backend, scale=args.scale)
    patches = prepare_patches(images.images, deg, recipe.patch, recipe.model_config.shrink)

    plain = recipe.replace(centre=False, augment="none")  # the usual loop's work per patch
    same = plain.replace(batch_size=args.batch)
    contestants = {f"usual, batch {args.batch}": lambda: usual_loop(patches, same, device, args.seconds, args.workers, args.scale)}
    contestants[f"usual, channels_last, batch {args.batch}"] = lambda: usual_loop(
        patches, same, device, args.seconds, args.workers, args.scale, channels_last=True
    )
    contestants[f"ours, batch {args.batch}"] = lambda: our_loop(patches, same, device, args.seconds, args.scale)
    if recipe.batch_size != args.batch:
        contestants[f"ours, batch {recipe.batch_size} ({recipe.name})"] = lambda: our_loop(patches, plain, device, args.seconds, args.scale)
    if plain != recipe:
        extras = ", ".join(([] if not recipe.centre else ["centred"]) + ([] if recipe.augment == "none" else [recipe.augment]))
        contestants[f"ours, batch {recipe.batch_size} ({recipe.name}, {extras})"] = lambda: our_loop(
            patches, recipe, device, args.seconds, args.scale
        )
    if recipe.precision != "float32":  # what the recipe's training arithmetic is worth (sr_audit.mixed)
        contestants[f"ours, batch {recipe.batch_size} ({recipe.name}, float32)"] = lambda: our_loop(
            patches, recipe.replace(precision="float32"), device, args.seconds, args.scale
        )
    load_before = os.getloadavg()
    # warm-up (oneDNN/cuDNN primitive creation), then alternating rounds
    our_loop(patches, same, device, 2.0, args.scale)
    usual_loop(patches, same, device, 2.0, args.workers, args.scale)
    usual_loop(patches, same, device, 2.0, args.workers, args.scale, channels_last=True)
    totals = {name: [0, 0.0] for name in contestants}
    per_round: dict[str, list[float]] = {name: [] for name in contestants}
    with tqdm(total=args.rounds * len(contestants), desc="rounds", unit="run", leave=False) as bar:
        for _ in range(args.rounds):
            for name, run in contestants.items():
                seen, taken = run()
                totals[name][0] += seen
                totals[name][1] += taken
                per_round[name].append(seen / taken)
                bar.update()
    rates = {name: seen / taken for name, (seen, taken) in totals.items()}
    usual_name = f"usual, batch {args.batch}"
    usual = rates[usual_name]
    # ratio within each round: the two loops ran seconds apart, under the same load
    round_ratios = {
        name: sorted(r / u for r, u in zip(per_round[name], per_round[usual_name])) for name in contestants
    }
    record = {
        "patches_per_s": {name: round(rate, 1) for name, rate in rates.items()},
        "ratio_to_usual": {name: round(rate / usual, 2) for name, rate in rates.items()},
        "round_ratio_median": {name: round(statistics.median(r), 2) for name, r in round_ratios.items()},
        "round_ratio_range": {name: [round(r[0], 2), round(r[-1], 2)] for name, r in round_ratios.items()},
        "device": str(device) if device.type == "cpu" else torch.cuda.get_device_name(device),
        "threads": torch.get_num_threads(),
        "workers": args.workers,
        "retain_freed_memory": retained,
        "patches": len(patches),
        "data": f"{images.name} {deg}",
        "seconds_per_round": args.seconds,
        "rounds": args.rounds,
        "load_before": [round(v, 2) for v in load_before],
        "load_after": [round(v, 2) for v in os.getloadavg()],
        "cpu": platform.processor() or platform.machine(),
        "torch": torch.__version__,
    }
    if args.json:
        print(json.dumps(record))
        return
    print(f"data: {record['data']}, {record['patches']} windows, device {record['device']}, "
          f"{record['threads']} threads, torch {record['torch']}, DataLoader workers {args.workers}, "
          f"freed memory retained: {'yes' if retained else 'no'}")
    print(f"load average before {record['load_before']}, after {record['load_after']}")
    print(f"{'contestant':<46} {'patches/s':>9}  ratio  per-round ratio: median [min, max]")
    for name, rate in rates.items():
        low, high = record["round_ratio_range"][name]
        print(f"{name:<46} {rate:9.1f}  {rate / usual:5.2f}x  {record['round_ratio_median'][name]:5.2f}x [{low:.2f}, {high:.2f}]")


if __name__ == "__main__":
    main()
