"""Speed of the MATLAB imresize ports against the libraries people use instead.

One 512x512 RGB image (random, fixed seed), bicubic, x1/3 (-> 171x171) and x3 (-> 1536x1536),
each contestant timed in the same run; the table gives median milliseconds and the ratio to
Pillow's float path (mode 'F', one channel at a time, as ``sr_audit.backends.pillow`` runs it).

Contestants: the numpy port (float64 = MATLAB's double path, and uint8 = its integer path), the
torch port (float32, float64, uint8; CPU), Pillow float and uint8, OpenCV INTER_CUBIC (float32 and
uint8) and ``bicubic_pytorch.core.imresize`` (the MATLAB port on PyPI, float32). Every library is
held to the same number of threads (``--threads``, default 1).

It also checks the targets: the numpy port within 5x of Pillow's float path, the torch port
faster than bicubic-pytorch at equal output, and reports how far bicubic-pytorch is from the
MATLAB port where it claims to agree (float input; uint8 input, which it rounds once at the end).

Usage::

    python benchmarks/resize_speed.py [--repeats 11] [--threads 1] [--markdown]
"""
from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

import numpy as np

from sr_audit.io_util import cpu_model, installed_version

SIZE = 512
SCALES = {"x1/3": 1 / 3, "x3": 3.0}
BASELINE = "Pillow F (float32)"
NUMPY_TARGET = 5.0


def versions() -> dict[str, str]:
    """Versions of the libraries timed here."""
    return {dist: installed_version(dist) or "not installed"
            for dist in ("numpy", "torch", "pillow", "opencv-python-headless", "bicubic-pytorch")}


def median_ms(fn: Callable[[], object], repeats: int) -> float:
    """Median wall time of ``fn()`` in milliseconds over ``repeats`` runs, after one warm-up run."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def contestants(img8: np.ndarray, scale: float) -> dict[str, Callable[[], object]]:
    """Name -> zero-argument callable resizing the test image by ``scale``."""
    import cv2
    import torch
    from bicubic_pytorch import core as bicubic_pytorch
    from PIL import Image

    from sr_audit.backends.matlab_port import imresize
    from sr_audit.backends.matlab_torch import imresize_torch

    out = int(np.ceil(scale * SIZE))
    f64 = img8 / 255.0
    f32 = f64.astype(np.float32)
    planes = [np.ascontiguousarray(f32[:, :, c]) for c in range(3)]
    t32 = torch.from_numpy(f32.transpose(2, 0, 1).copy())[None]
    t64 = t32.double()
    t8 = torch.from_numpy(img8.transpose(2, 0, 1).copy())[None]

    def pillow_float() -> object:
        return [np.asarray(Image.fromarray(p).resize((out, out), Image.Resampling.BICUBIC)) for p in planes]

    def pillow_uint8() -> object:
        return np.asarray(Image.fromarray(img8, mode="RGB").resize((out, out), Image.Resampling.BICUBIC))

    return {
        BASELINE: pillow_float,
        "Pillow uint8": pillow_uint8,
        "OpenCV INTER_CUBIC float32": lambda: cv2.resize(f32, (out, out), interpolation=cv2.INTER_CUBIC),
        "OpenCV INTER_CUBIC uint8": lambda: cv2.resize(img8, (out, out), interpolation=cv2.INTER_CUBIC),
        "matlab numpy port float64": lambda: imresize(f64, scale=scale),
        "matlab numpy port uint8": lambda: imresize(img8, scale=scale),
        "matlab torch port float32": lambda: imresize_torch(t32, scale=scale),
        "matlab torch port float64": lambda: imresize_torch(t64, scale=scale),
        "matlab torch port uint8": lambda: imresize_torch(t8, scale=scale),
        "bicubic-pytorch float32": lambda: bicubic_pytorch.imresize(t32, scale=scale),
    }


def agreement(img8: np.ndarray, scale: float) -> dict[str, float]:
    """Max differences between bicubic-pytorch, the torch port and the numpy port (MATLAB)."""
    import torch
    from bicubic_pytorch import core as bicubic_pytorch

    from sr_audit.backends.matlab_port import imresize
    from sr_audit.backends.matlab_torch import imresize_torch

    f64 = img8 / 255.0
    t32 = torch.from_numpy(f64.astype(np.float32).transpose(2, 0, 1).copy())[None]
    t8 = torch.from_numpy(img8.transpose(2, 0, 1).copy())[None]
    matlab = imresize(f64, scale=scale).transpose(2, 0, 1)
    ours32 = imresize_torch(t32, scale=scale)[0].numpy()
    theirs32 = bicubic_pytorch.imresize(t32, scale=scale)[0].numpy()
    matlab8 = imresize(img8, scale=scale).transpose(2, 0, 1).astype(int)
    theirs8 = bicubic_pytorch.imresize(t8, scale=scale)[0].numpy().astype(int)
    return {
        "bicubic-pytorch float32 vs MATLAB port (float64)": float(np.abs(theirs32 - matlab).max()),
        "torch port float32 vs MATLAB port (float64)": float(np.abs(ours32 - matlab).max()),
        "torch port float32 vs bicubic-pytorch float32": float(np.abs(ours32 - theirs32).max()),
        "bicubic-pytorch uint8 vs MATLAB uint8: max |diff| (levels)": float(np.abs(theirs8 - matlab8).max()),
        "bicubic-pytorch uint8 vs MATLAB uint8: pixels differing (%)": float((theirs8 != matlab8).mean() * 100),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=11, help="timed runs per contestant (median reported)")
    parser.add_argument("--threads", type=int, default=1, help="threads for torch and OpenCV (numpy/Pillow: 1)")
    parser.add_argument("--markdown", action="store_true", help="print markdown tables (for benchmarks/README.md)")
    args = parser.parse_args()

    import cv2
    import torch

    torch.set_num_threads(args.threads)
    cv2.setNumThreads(args.threads)
    img8 = np.random.default_rng(0).integers(0, 256, (SIZE, SIZE, 3), dtype=np.uint8)

    print(f"CPU: {cpu_model()}, {os.cpu_count()} logical cores; threads used: {args.threads}")
    print("load average at start (1, 5, 15 min): " + ", ".join(f"{v:.2f}" for v in os.getloadavg()))
    print("versions: " + ", ".join(f"{k} {v}" for k, v in versions().items()))
    print(f"{SIZE}x{SIZE} RGB, bicubic, median of {args.repeats} runs (ms); ratio = time / {BASELINE}\n")

    results: dict[str, dict[str, float]] = {}
    for label, scale in SCALES.items():
        results[label] = {name: median_ms(fn, args.repeats) for name, fn in contestants(img8, scale).items()}

    names = list(next(iter(results.values())))
    if args.markdown:
        header = "| contestant | " + " | ".join(f"{lbl} ms | {lbl} ratio" for lbl in SCALES) + " |"
        print(header)
        print("|---" * (1 + 2 * len(SCALES)) + "|")
    else:
        print(f"{'contestant':32s}" + "".join(f"{lbl + ' ms':>12s}{lbl + ' ratio':>12s}" for lbl in SCALES))
    for name in names:
        cells = [(results[lbl][name], results[lbl][name] / results[lbl][BASELINE]) for lbl in SCALES]
        if args.markdown:
            print(f"| {name} | " + " | ".join(f"{ms:.1f} | {r:.2f}" for ms, r in cells) + " |")
        else:
            print(f"{name:32s}" + "".join(f"{ms:12.1f}{r:12.2f}" for ms, r in cells))

    print("\nTargets:")
    ok = True
    for lbl in SCALES:
        r = results[lbl]
        ratio = r["matlab numpy port float64"] / r[BASELINE]
        hit = ratio <= NUMPY_TARGET
        ok &= hit
        print(f"  {lbl}: numpy port float64 / Pillow F = {ratio:.2f} (target <= {NUMPY_TARGET}): {'met' if hit else 'MISSED'}")
        speedup = r["bicubic-pytorch float32"] / r["matlab torch port float32"]
        hit = speedup > 1
        ok &= hit
        print(f"  {lbl}: bicubic-pytorch / torch port (float32) = {speedup:.2f}x (target > 1): {'met' if hit else 'MISSED'}")

    print("\nAgreement (max absolute difference, data in [0, 1] unless stated):")
    for lbl, scale in SCALES.items():
        for what, value in agreement(img8, scale).items():
            print(f"  {lbl}: {what}: {value:.3g}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
