"""Speed of SRCNN inference with the automatic tiles against one whole-image tile (CPU, float32).

Target: with ``tile=0`` (what ``sr-audit eval``, ``score`` and the matrix use) whole-image
inference on the CPU is faster than running the image as one tile, with the same bits (the
equality is pinned by tests/test_weights_infer.py). Both are timed in this process, in
alternating rounds, on images of the given sizes; the model is randomly initialised (time does not
depend on the weight values).

    python benchmarks/infer_speed.py [--model 9-1-5] [--sizes 256x256,512x512,1020x1356] [--rounds 3] [--threads 1]
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np
import torch

from sr_audit.infer import CPU_TILE_BYTES, auto_tile, infer
from sr_audit.model import SRCNN, SRCNNConfig


def _seconds(model: SRCNN, image: np.ndarray, tile: int | None) -> float:
    start = time.perf_counter()
    infer(model, image, tile=tile)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="9-1-5")
    parser.add_argument("--sizes", default="256x256,512x512,1020x1356", help="comma-separated HxW sizes")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = SRCNN(SRCNNConfig.from_name(args.model)).eval()
    print(f"machine: {os.cpu_count()} CPUs, torch threads {torch.get_num_threads()}, load {os.getloadavg()[0]:.1f}; "
          f"SRCNN {args.model}, automatic tile side {auto_tile(model, max_tile_bytes=CPU_TILE_BYTES)} px where the image is larger")
    rng = np.random.default_rng(0)
    for size in args.sizes.split(","):
        h, w = (int(v) for v in size.lower().split("x"))
        image = rng.random((h, w))
        assert np.array_equal(infer(model, image), infer(model, image, tile=None)), "tiles changed the result"
        auto, whole = [], []
        for _ in range(args.rounds):
            auto.append(_seconds(model, image, 0))
            whole.append(_seconds(model, image, None))
        a, b = statistics.median(auto), statistics.median(whole)
        print(f"{h}x{w}: automatic tiles {a * 1e6 / (h * w):.2f} us/px, one tile {b * 1e6 / (h * w):.2f} us/px, "
              f"speed-up {b / a:.2f}x (median of {args.rounds} rounds)")


if __name__ == "__main__":
    main()
