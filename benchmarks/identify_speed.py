"""Speed of ``sr-audit identify``: every registered method on every pair of 20 BSD100-sized pairs.

Builds 20 pairs of 481x321 (landscape) or 321x481 (portrait) RGB HR crops of scikit-image's
bundled colour photographs, 7 at x2, 7 at x3 and 6 at x4 (one folder per scale, since one
identification has one scale), each LR made by one of :data:`PIPELINES` in turn. Then, in the
same run, times :func:`sr_audit.audit.identify.identify` with the per-pair crop screen (the
default) and exhaustively (``Search(prune=False)``: every method at every geometry on every
whole image), prints both times (wall clock and process CPU time) and their ratio, and checks
that the two give the same verdicts, equal sets, also-matching lists and per-pair best methods
and exact fractions.

With ``--hr-multiple`` each HR is first cropped to a multiple of its scale (as SelfExSR and
BasicSR's GTmod12 folders ship BSD100), so the only geometry is ``either``; without it the 481x321
HR also admits ``full`` and ``resize-to-fit``, whose mapping is not ``1/s`` (crop-screened through
the backends' region resizes, ``REGION_RESIZERS``, and the MATLAB ports' ratio crops,
``CROP_BY_RATIO``; OpenCV and PyTorch's uint8 bilinear and bicubic are scored whole at ``full``).

Usage::

    python benchmarks/identify_speed.py [--scales 2,3,4] [--hr-multiple] [--markdown]
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

N_PAIRS = {2: 7, 3: 7, 4: 6}
HR_SIZE = (321, 481)


def _pipelines() -> dict[str, Callable[[np.ndarray, int], np.ndarray]]:
    from sr_audit.degradation import modcrop
    from sr_audit.image_io import from_unit_float, im2double
    from sr_audit.resize import resize

    def down(spec: str, compute: str) -> Callable[[np.ndarray, int], np.ndarray]:
        def make(hr: np.ndarray, s: int) -> np.ndarray:
            x = modcrop(hr, s)
            size = (x.shape[0] // s, x.shape[1] // s)
            return resize(x, spec, size=size) if compute == "uint8" else from_unit_float(resize(im2double(x), spec, size=size))
        return make

    def fit(hr: np.ndarray, s: int) -> np.ndarray:
        size = (hr.shape[0] // s * s, hr.shape[1] // s * s)
        return resize(resize(hr, "pil:bicubic", size=size), "pil:bicubic", size=(size[0] // s, size[1] // s))

    return {
        "pil:bicubic uint8, modcrop": down("pil:bicubic", "uint8"),
        "matlab float, modcrop": down("matlab", "float"),
        "cv2:area uint8, modcrop": down("cv2:area", "uint8"),
        "pil:bicubic uint8, resize-to-fit": fit,
        "torch:bicubic+aa uint8, modcrop": down("torch:bicubic+aa", "uint8"),
    }


def _crops() -> list[np.ndarray]:
    """20 distinct 321x481 / 481x321 RGB crops of the bundled colour photographs."""
    import skimage.data

    from sr_audit.resize import resize

    sources = [skimage.data.astronaut(), skimage.data.coffee(), skimage.data.rocket(),
               skimage.data.immunohistochemistry(), skimage.data.hubble_deep_field(), skimage.data.chelsea()]
    crops: list[np.ndarray] = []
    i = 0
    while len(crops) < sum(N_PAIRS.values()):
        image = sources[i % len(sources)]
        h, w = HR_SIZE if i % 2 == 0 else HR_SIZE[::-1]
        if image.shape[0] < h or image.shape[1] < w:  # chelsea is 300x451: enlarge it once
            image = resize(image, "pil:bicubic", size=(max(h, image.shape[0]) + 40, max(w, image.shape[1]) + 40))
        k = i // len(sources)
        y0 = (k * 37) % (image.shape[0] - h + 1)
        x0 = (k * 53) % (image.shape[1] - w + 1)
        crops.append(np.ascontiguousarray(image[y0 : y0 + h, x0 : x0 + w, :3]))
        i += 1
    return crops


def build(root: Path, scales: list[int], hr_multiple: bool) -> dict[int, tuple[Path, Path, list[str]]]:
    """One HR/LR folder pair per scale; returns scale -> (HR dir, LR dir, pipeline per pair)."""
    from sr_audit.degradation import modcrop
    from sr_audit.image_io import write_image

    pipelines = list(_pipelines().items())
    crops = iter(_crops())
    made: dict[int, tuple[Path, Path, list[str]]] = {}
    n = 0
    for s in scales:
        hr_dir, lr_dir = root / f"x{s}" / "HR", root / f"x{s}" / "LR"
        hr_dir.mkdir(parents=True)
        lr_dir.mkdir()
        used = []
        for j in range(N_PAIRS[s]):
            hr = modcrop(next(crops), s) if hr_multiple else next(crops)
            name, make = pipelines[n % len(pipelines)]
            n += 1
            write_image(hr_dir / f"img{j:02d}.png", hr)
            write_image(lr_dir / f"img{j:02d}.png", make(hr, s))
            used.append(name)
        made[s] = (hr_dir, lr_dir, used)
    return made


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="2,3,4", help="comma-separated subset of 2,3,4")
    parser.add_argument("--hr-multiple", action="store_true", help="crop each HR to a multiple of its scale first")
    parser.add_argument("--markdown", action="store_true", help="print the table as markdown")
    args = parser.parse_args(argv)
    scales = [int(s) for s in args.scales.split(",")]

    from sr_audit.audit.identify import Search, candidate_specs, identify

    load = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        sets = build(Path(tmp), scales, args.hr_multiple)
        hr_dir, lr_dir, _ = sets[scales[0]]
        identify(hr_dir, lr_dir, specs=["pil", "tf:bicubic", "torch:bicubic", "skimage", "cv2", "matlab"], progress=False)  # imports
        times: dict[str, float] = {}
        cpu: dict[str, float] = {}  # process CPU seconds (all threads): less sensitive to other jobs' load
        results: dict[str, dict[int, object]] = {}
        for label, search in (("crop screen (default)", Search()), ("exhaustive", Search(prune=False))):
            start, start_cpu = time.perf_counter(), time.process_time()
            results[label] = {s: identify(h, l, search=search, progress=False) for s, (h, l, _) in sets.items()}
            times[label] = time.perf_counter() - start
            cpu[label] = time.process_time() - start_cpu
        rows = []
        for s, (_, _, used) in sets.items():
            a, b = results["crop screen (default)"][s], results["exhaustive"][s]
            same = (a.verdict.method == b.verdict.method and a.verdict.equal == b.verdict.equal
                    and a.verdict.also_matching == b.verdict.also_matching
                    and a.best["exact"].tolist() == b.best["exact"].tolist() and a.best["best"].tolist() == b.best["best"].tolist())
            rows.append((f"x{s}", len(used), int(a.best["scored"].sum()), int(b.best["scored"].sum()), "yes" if same else "NO"))
            for name, pipeline, best, exact in zip(a.best["pair"], used, a.best["best"], a.best["exact"]):
                print(f"  x{s} {name}: made by {pipeline}; best {best} exact {exact:.4f}")
    n_pairs = sum(r[1] for r in rows)
    fast, slow = times["crop screen (default)"], times["exhaustive"]
    end = os.getloadavg()
    print(f"load average at the start: {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}, at the end: "
          f"{end[0]:.2f} / {end[1]:.2f} / {end[2]:.2f}; {os.cpu_count()} CPUs; "
          f"{len(candidate_specs())} specs installed; HR {'cropped to a multiple of the scale' if args.hr_multiple else '481x321'}")
    header = ["scale", "pairs", "computations scored (crop screen)", "computations scored (exhaustive)", "same result"]
    if args.markdown:
        print("| " + " | ".join(header) + " |\n|" + "---|" * len(header))
        for r in rows:
            print("| " + " | ".join(map(str, r)) + " |")
    else:
        for r in rows:
            print("  ".join(f"{h}={v}" for h, v in zip(header, r)))
    print(f"{n_pairs} pairs: crop screen {fast:.1f} s, exhaustive {slow:.1f} s, ratio {slow / fast:.2f}x; CPU time "
          f"{cpu['crop screen (default)']:.1f} s and {cpu['exhaustive']:.1f} s")
    return 0 if all(r[4] == "yes" for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
