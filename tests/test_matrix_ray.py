"""The ``ray`` executor against a local Ray instance: the tiny matrix of ``test_matrix.py``, one Ray
task per model and its cells, workers writing to the store; the driver counts the cells.

Ray tasks run with one torch thread (the CPU Ray gives each), so the in-process reference runs with
one thread too, and the two stores must hold the same keys with bit-identical metrics.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from sr_audit.matrix import run_matrix
from sr_audit.matrix.store import Store

if os.environ.get("SR_AUDIT_REQUIRE_RAY"):  # CI (.ci/run) installs Ray: a missing one fails here
    import ray
else:
    ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'sr-audit[ray]')")

from test_matrix import _patch_cache, cell_metrics, tiny_data, tiny_plan  # noqa: E402,F401  (shared fixtures)


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


@pytest.mark.slow
def test_ray_executor_fills_the_store_like_the_local_one(local_ray, tiny_data: dict[str, Path], tmp_path: Path) -> None:
    plan = tiny_plan(tiny_data)
    result = run_matrix(plan, tmp_path / "ray", executor="ray", progress=False)
    assert (result.computed, result.trained, result.cells_total) == (6, 2, 6)
    assert sorted(j.kind for j in result.jobs) == ["bicubic", "trained", "trained"]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        local = run_matrix(plan, tmp_path / "local", progress=False)
    finally:
        torch.set_num_threads(threads)
    assert cell_metrics(Store(result.store)) == cell_metrics(Store(local.store))
    again = run_matrix(plan, tmp_path / "ray", executor="ray", progress=False)
    assert (again.computed, again.trained, again.jobs) == (0, 0, ())
