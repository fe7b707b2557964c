"""Peak memory and time of tiled SRCNN inference on a large image (CPU by default).

Target (issue "SRCNN core"): a 4000x3000 image on the CPU in under 2 GB of process memory, with the
result equal to untiled inference (the equality is pinned by tests/test_weights_infer.py). The
model is a randomly initialised SRCNN of the given architecture: memory and time do not depend on
the weights values.

    python benchmarks/infer_memory.py [--model 9-5-5] [--size 3000x4000] [--dtype float32]
"""
from __future__ import annotations

import argparse
import os
import resource
import time

import numpy as np
import torch

from sr_audit.infer import auto_tile, infer
from sr_audit.model import SRCNN, SRCNNConfig


def _maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="9-5-5")
    parser.add_argument("--size", default="3000x4000", help="HxW of the test image")
    parser.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    args = parser.parse_args()
    h, w = (int(v) for v in args.size.lower().split("x"))
    dtype = getattr(torch, args.dtype)
    torch.manual_seed(0)
    model = SRCNN(SRCNNConfig.from_name(args.model)).eval()
    image = np.random.default_rng(0).random((h, w))
    before = _maxrss_mib()
    start = time.perf_counter()
    out = infer(model, image, dtype=dtype)
    seconds = time.perf_counter() - start
    peak = _maxrss_mib()
    print(f"machine: {os.cpu_count()} CPUs, torch threads {torch.get_num_threads()}, load {os.getloadavg()[0]:.1f}")
    print(f"SRCNN {args.model}, {h}x{w}, {args.dtype}, tile side {auto_tile(model, dtype)}: {seconds:.1f} s")
    print(f"process peak memory {peak:.0f} MiB (before inference {before:.0f} MiB); target < 2048 MiB: "
          f"{'met' if peak < 2048 else 'MISSED'}; output {out.shape}")


if __name__ == "__main__":
    main()
