"""Plugin backends from other distributions, through the ``sr_audit.backends`` entry-point group.

A tiny distribution is built in a temporary folder and installed with pip into its own target
folder (no network, no build isolation, nothing written to the running environment); the checks
run in subprocesses that put that folder on ``PYTHONPATH``, so this session's registry (which
caches entry points) is untouched.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

def _pyproject(dist: str, entry_points: dict[str, str]) -> str:
    lines = "\n".join(f'{name} = "{target}"' for name, target in entry_points.items())
    return f"""\
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "{dist}"
version = "0.3"

[project.entry-points."sr_audit.backends"]
{lines}

[tool.setuptools]
packages = ["toy_sr"]
"""


BACKEND_MODULE = '''\
"""Toy backends in plain numpy (Keys a = -0.5 cubic and nearest, half-pixel centres, edge clamped)."""
import numpy as np

from sr_audit.backends.base import Backend
from sr_audit.conventions import Conventions


def _conventions(spec):
    return Conventions(
        kernel=spec.kernel, cubic_a=-0.5 if spec.kernel == "bicubic" else None, antialias=False,
        pixel_centre="half-pixel", border="replicate", size_rule="floor", scale_source="sizes",
        pass_order="both axes in float64", uint8_path="float64, rounded half up once",
        float_precision="float64", rounding="half-up", dtypes=("uint8", "float64"),
    )


def _keys(t):
    t = np.abs(t)
    return np.where(t <= 1, 1.5 * t**3 - 2.5 * t**2 + 1, np.where(t < 2, -0.5 * t**3 + 2.5 * t**2 - 4 * t + 2, 0.0))


def _matrix(n, m, kernel):
    u = (np.arange(m) + 0.5) * n / m - 0.5
    w = np.zeros((m, n))
    if kernel == "nearest":
        w[np.arange(m), np.clip(np.floor(u + 0.5).astype(int), 0, n - 1)] = 1.0
        return w
    taps = np.floor(u)[:, None] + np.arange(-1, 3)[None, :]
    rows = np.repeat(np.arange(m), 4)
    np.add.at(w, (rows, np.clip(taps, 0, n - 1).astype(int).ravel()), _keys(u[:, None] - taps).ravel())
    return w


def _build(spec):
    def fn(image, size, scale):
        wy, wx = _matrix(image.shape[0], size[0], spec.kernel), _matrix(image.shape[1], size[1], spec.kernel)
        planes = image.reshape(image.shape[0], image.shape[1], -1).astype(np.float64)
        out = np.einsum("ij,jkc,lk->ilc", wy, planes, wx).reshape(tuple(size) + image.shape[2:])
        if image.dtype == np.uint8:
            return np.clip(np.floor(out + 0.5), 0, 255).astype(np.uint8)
        return out
    return fn


def _make(name, kernels):
    return Backend(
        name=name, library="Toy", distribution="toy-sr", module="toy_sr", install_hint="pip install toy-sr",
        kernels=kernels, antialias_default=False, conventions_fn=_conventions, build_fn=_build,
    )


def _build_needing_broken_library(spec):
    import toy_sr.brokenlib  # noqa: F401  (raises ImportError, like a wheel missing its shared library)
    return _build(spec)


BACKEND = _make("toy", {"bicubic": False, "nearest": False})
BROKEN_LIBRARY = Backend(
    name="toybroken", library="Toy broken", distribution="toy-sr", module="toy_sr.brokenlib",
    install_hint="pip install --force-reinstall toy-sr", kernels={"nearest": False}, antialias_default=False,
    conventions_fn=_conventions, build_fn=_build_needing_broken_library,
)
IMPOSTOR = _make("pil", {"bicubic": False})
NEAREST_ONLY = _make("toynn", {"nearest": False})
'''

USE_TOY = """\
import json
import numpy as np
from sr_audit.resize import resize
image = np.arange(12, dtype=np.uint8).reshape(3, 4)
print(json.dumps([resize(image, spec, scale=2).tolist() for spec in ("toy:nearest", "toy")]))
"""


def _install(root: Path, dist: str, entry_points: dict[str, str]) -> Path:
    """Build and install a toy plugin distribution into ``root/site``; return that folder."""
    source = root / dist
    (source / "toy_sr").mkdir(parents=True)
    (source / "pyproject.toml").write_text(_pyproject(dist, entry_points))
    (source / "toy_sr" / "__init__.py").write_text("")
    (source / "toy_sr" / "backend.py").write_text(BACKEND_MODULE)
    (source / "toy_sr" / "brokenlib.py").write_text('raise ImportError("libtoy.so.1: cannot open shared object file")\n')
    site = root / "site"
    result = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "--no-index",
         "--disable-pip-version-check", "--target", str(site), str(source)],
        capture_output=True, text=True, timeout=300,
    )
    if result.returncode != 0:
        pytest.fail(f"pip could not install the toy plugin {dist}:\n{result.stdout}\n{result.stderr}")
    return site


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The plugin 'toy' plus an entry point that tries to take the built-in name 'pil'."""
    return _install(
        tmp_path_factory.mktemp("plugin"), "toy-sr", {"toy": "toy_sr.backend:BACKEND", "pil": "toy_sr.backend:IMPOSTOR"}
    )


def _run(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")])))
    env["PYTHONWARNINGS"] = "always"
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, timeout=300)


def test_plugin_listed_by_backends_command(plugin_site: Path) -> None:
    result = _run(plugin_site, "-m", "sr_audit", "backends", "--json")
    assert result.returncode == 0, result.stderr
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    assert "toy" in rows, f"plugin 'toy' not listed; got {sorted(rows)}"
    assert rows["toy"]["library"] == "Toy" and rows["toy"]["available"] is True
    assert rows["toy"]["default_spec"] == "toy:bicubic-aa" and rows["toy"]["kernels"] == ["bicubic", "nearest"]
    assert list(rows)[-1] == "toy", "plugins come after the built-in backends"


def test_plugin_usable_through_resize(plugin_site: Path) -> None:
    result = _run(plugin_site, "-c", USE_TOY)
    assert result.returncode == 0, result.stderr
    nearest, cubic = (np.array(a) for a in json.loads(result.stdout))
    assert nearest.shape == cubic.shape == (6, 8)
    assert nearest[0, :4].tolist() == [0, 0, 1, 1] and nearest[5, -1] == 11
    # the spec without a kernel resolved to the toy's bicubic: a different kernel ran, corners kept
    assert cubic[0, 0] == 0 and cubic[5, 7] == 11 and (cubic != nearest).any()


def test_plugin_reusing_builtin_name_is_ignored_with_warning(plugin_site: Path) -> None:
    result = _run(plugin_site, "-m", "sr_audit", "backends", "--json")
    assert result.returncode == 0, result.stderr
    assert "plugin backend 'pil'" in result.stderr and "ignored" in result.stderr, result.stderr
    listed = json.loads(result.stdout)
    assert [row["name"] for row in listed].count("pil") == 1
    assert next(row for row in listed if row["name"] == "pil")["library"] == "Pillow", "the built-in 'pil' was replaced"


def test_without_plugin_nothing_extra_is_registered() -> None:
    """This environment itself has no plugin installed (the toy lives only in its temporary folder)."""
    script = "from sr_audit import backends; print(','.join(backends.names()))"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "toy" not in result.stdout.strip().split(",")


def test_plugin_without_bicubic_is_listed(tmp_path: Path) -> None:
    site = _install(tmp_path, "toy-nn-sr", {"toynn": "toy_sr.backend:NEAREST_ONLY"})
    result = _run(site, "-m", "sr_audit", "backends", "--json")
    assert result.returncode == 0, result.stderr
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    assert rows["toynn"]["default_spec"] == "toynn:nearest-aa"


def test_broken_plugin_is_listed_unavailable_and_others_still_work(tmp_path: Path) -> None:
    """An entry point whose module does not import is reported, not a crash of ``sr-audit backends``."""
    site = _install(tmp_path, "toy-broken-sr", {"broken": "toy_sr.missing_module:BACKEND", "toy": "toy_sr.backend:BACKEND"})
    result = _run(site, "-m", "sr_audit", "backends", "--json")
    assert result.returncode == 0, result.stderr
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    assert rows["broken"]["available"] is False
    assert "cannot be loaded" in rows["broken"]["unavailable_reason"]
    assert "missing_module" in rows["broken"]["unavailable_reason"]
    assert rows["toy"]["available"] is True and rows["pil"]["library"] == "Pillow"
    text = _run(site, "-m", "sr_audit", "backends")
    assert text.returncode == 0, text.stderr
    assert "broken" in text.stdout and "UNAVAILABLE: backend module cannot be loaded" in text.stdout


USE_BROKEN = """\
import numpy as np
from sr_audit import backends
from sr_audit.errors import BackendUnavailableError
from sr_audit.resize import resize
backend = backends.get_backend("toybroken")
print(backend.unavailable_reason())
try:
    resize(np.zeros((4, 4), np.uint8), "toybroken", scale=2)
except BackendUnavailableError as exc:
    print(exc)
print(backend.unavailable_reason())
"""


def test_installed_but_broken_library_is_unavailable_with_its_import_error(tmp_path: Path) -> None:
    """The cheap listing finds the module; building imports it, and the import error is then the reason."""
    site = _install(tmp_path, "toy-sr", {"toybroken": "toy_sr.backend:BROKEN_LIBRARY"})
    cheap = _run(site, "-m", "sr_audit", "backends", "--json")
    assert cheap.returncode == 0, cheap.stderr
    assert {row["name"]: row for row in json.loads(cheap.stdout)}["toybroken"]["available"] is True
    checked = _run(site, "-m", "sr_audit", "backends", "--check", "--json")
    assert checked.returncode == 0, checked.stderr
    rows = {row["name"]: row for row in json.loads(checked.stdout)}
    assert rows["toybroken"]["available"] is False
    assert rows["toybroken"]["unavailable_reason"] == (
        "Toy broken is installed but cannot be imported (libtoy.so.1: cannot open shared object file); "
        "reinstall it with: pip install --force-reinstall toy-sr"
    )
    assert all(row["available"] for name, row in rows.items() if name != "toybroken"), "--check broke a built-in"
    used = _run(site, "-c", USE_BROKEN)
    assert used.returncode == 0, used.stderr
    before, error, after = used.stdout.splitlines()
    assert before == "None"
    assert error == f"backend 'toybroken' is unavailable: {rows['toybroken']['unavailable_reason']}"
    assert after == rows["toybroken"]["unavailable_reason"]
