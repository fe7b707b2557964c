"""The suite's own settings: per-test time limits (pytest-timeout) as pyproject and conftest set them."""
from __future__ import annotations

import pytest

from conftest import SLOW_TIMEOUT_S


def _timeout_plugin(request: pytest.FixtureRequest) -> None:
    if not request.config.pluginmanager.hasplugin("timeout"):
        pytest.skip("pytest-timeout is not installed (it is in the test extra: make test installs it)")


@pytest.mark.slow
def test_slow_tests_get_the_longer_limit(request: pytest.FixtureRequest) -> None:
    _timeout_plugin(request)
    marker = request.node.get_closest_marker("timeout")
    assert marker is not None and marker.args == (SLOW_TIMEOUT_S,)


def test_other_tests_keep_the_configured_limit(request: pytest.FixtureRequest) -> None:
    _timeout_plugin(request)
    assert request.node.get_closest_marker("timeout") is None
    assert float(request.config.getini("timeout")) < SLOW_TIMEOUT_S
