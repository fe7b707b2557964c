"""Shared fixtures. Reference data lives in ../shared/datasets (never copied into the repo)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def shared_datasets_dir() -> Path:
    """``$SR_AUDIT_DATA`` if set, else ``../shared/datasets`` beside the repository."""
    env = os.environ.get("SR_AUDIT_DATA")
    return Path(env) if env else REPO.parent / "shared" / "datasets"


@pytest.fixture(scope="session")
def shared_datasets() -> Path:
    root = shared_datasets_dir()
    if not (root / "README.md").is_file():
        pytest.skip(f"reference data not found at {root} (set SR_AUDIT_DATA to the shared datasets folder)")
    return root


@pytest.fixture(scope="session", autouse=True)
def one_cpu_worker():
    """Matrices in tests run in the test's own process (``--workers auto`` at most 1 CPU worker): their
    models train for seconds, less than a spawned worker takes to start. The worker processes have
    their own tests (test_matrix.py), which set the limit they need."""
    from sr_audit.matrix import executors

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(executors, "AUTO_CPU_WORKERS", 1)
        yield


#: pytest-timeout limit (seconds) of tests marked ``slow`` that set none of their own; every other
#: test has pyproject's ``timeout``. The slowest, test_matrix.py's quick-recipe run, took 950 s
#: alone on a 2-core machine at load ~10 (benchmarks/README.md, "Test suite").
SLOW_TIMEOUT_S = 1800


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.pluginmanager.hasplugin("timeout"):
        for item in items:
            if "slow" in item.keywords and item.get_closest_marker("timeout") is None:
                item.add_marker(pytest.mark.timeout(SLOW_TIMEOUT_S))
    if not any("gpu" in item.keywords for item in items):
        return
    import torch

    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs CUDA (torch.cuda.is_available() is false); run on a GPU machine")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)
