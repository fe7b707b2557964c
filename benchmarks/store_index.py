"""Cost of the results store's index as the store grows: time per write and per query.

Writes ``--cells`` synthetic bicubic cells (one image each) into a fresh store, one
:meth:`~sr_audit.matrix.store.Store.put_cell` after the other, and prints the mean time per write
over the first and the last ``--window`` writes (flat = the index is updated in place, not re-scanned),
then the mean time of a query (:meth:`~sr_audit.matrix.store.Store.means`, which reads the whole
index: it grows with the store's size) and of a check that touches nothing
(:meth:`~sr_audit.matrix.store.Store.model_records` on a store without models), each after the last
write. Usage::

    .venv/bin/python benchmarks/store_index.py [--cells 10000] [--window 200] [--dir DIR]
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sr_audit.matrix.store import CellRecord, Environment, ImageMetrics, Store
from sr_audit.resize import conventions_of


def synthetic_cell(i: int) -> CellRecord:
    """Bicubic cell number ``i``: its data hash makes its key distinct."""
    return CellRecord(kind="bicubic", eval_spec="pil:bicubic+aa", eval_set="Set5", scale=3,
                      protocol={"name": "matlab"}, conventions=conventions_of("pil:bicubic+aa").as_dict(),
                      environment=Environment.current({"sr-audit": "bench"}, "cpu"), data={"baby": f"h{i}"},
                      images=(ImageMetrics("baby", 30.0, 31.0, 0.8, 0.85),))


def mean_ms(fn: Callable[[], object], repeats: int) -> float:
    """Mean wall time of ``fn()`` in milliseconds over ``repeats`` runs."""
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    return (time.perf_counter() - start) / repeats * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cells", type=int, default=10_000)
    parser.add_argument("--window", type=int, default=200)
    parser.add_argument("--dir", type=Path, default=None, help="parent folder of the store (default: a temporary one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        store = Store(Path(tmp) / "store", create=True)
        cells = [synthetic_cell(i) for i in range(args.cells)]
        times = []
        for cell in cells:
            start = time.perf_counter()
            store.put_cell(cell)
            times.append(time.perf_counter() - start)
        w = min(args.window, args.cells)
        print(f"cells {args.cells}, load {os.getloadavg()[0]:.1f}")
        print(f"write: first {w} {sum(times[:w]) / w * 1000:.2f} ms each, last {w} {sum(times[-w:]) / w * 1000:.2f} ms each")
        print(f"query means() of {args.cells} cells: {mean_ms(store.means, 5):.1f} ms")
        print(f"query model_records() (no models): {mean_ms(store.model_records, 50):.2f} ms")
        print(f"has_cell: {mean_ms(lambda: store.has_cell(cells[-1].key), 50):.2f} ms")


if __name__ == "__main__":
    main()
