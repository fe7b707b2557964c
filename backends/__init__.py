"""Registry of resize backends: name -> :class:`~sr_audit.backends.base.Backend`.

Built-in backends are listed in :data:`BUILTIN` as import paths and imported on first use
(fsspec-style), so nothing heavy is imported to list them. Other packages add backends through the
entry-point group ``sr_audit.backends``: each entry point's name is the backend name and its object
is a :class:`Backend` instance, e.g. in the plugin's ``pyproject.toml``::

    [project.entry-points."sr_audit.backends"]
    mylib = "mylib_sr.backend:BACKEND"

A plugin cannot replace a built-in name (it is ignored with a warning).

Which backends can run here, and spec lists (``all`` or ``pil,cv2:area``) chosen from them:
:mod:`sr_audit.backends.selection`. The package itself is callable: ``sr_audit.backends()`` is
:func:`sr_audit.api.backends` (the package and the API function share the name ``backends``, so the
registry answers the call rather than hiding the function).
"""
from __future__ import annotations

import functools
import importlib
import importlib.metadata
import sys
import types
import warnings
from typing import Any

from sr_audit.backends.base import Backend, ResizeFn
from sr_audit.conventions import ResizeSpec
from sr_audit.errors import SpecError

ENTRY_POINT_GROUP = "sr_audit.backends"

#: Built-in backends: name -> "module:attribute".
BUILTIN: dict[str, str] = {
    "pil": "sr_audit.backends.pillow:BACKEND",
    "cv2": "sr_audit.backends.opencv:BACKEND",
    "skimage": "sr_audit.backends.scikit_image:BACKEND",
    "tf": "sr_audit.backends.tensorflow_image:BACKEND",
    "torch": "sr_audit.backends.pytorch:BACKEND",
    "matlab": "sr_audit.backends.matlab:MODERN",
    "matlab-legacy": "sr_audit.backends.matlab:LEGACY",
}


@functools.cache
def _plugins() -> dict[str, importlib.metadata.EntryPoint]:
    found: dict[str, importlib.metadata.EntryPoint] = {}
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in BUILTIN:
            warnings.warn(f"plugin backend {ep.name!r} ({ep.value}) ignored: the name is built in", stacklevel=2)
            continue
        found[ep.name] = ep
    return found


def names() -> list[str]:
    """All registered backend names: built-ins first, then plugins sorted."""
    return list(BUILTIN) + sorted(_plugins())


@functools.cache
def get_backend(name: str) -> Backend:
    """The backend registered as ``name``; an unknown name lists the registered ones."""
    if name in BUILTIN:
        module_name, attr = BUILTIN[name].split(":")
        backend = getattr(importlib.import_module(module_name), attr)
    elif name in _plugins():
        backend = _plugins()[name].load()
        if not isinstance(backend, Backend):
            raise SpecError(
                f"plugin backend {name!r} ({_plugins()[name].value}) is a {type(backend).__name__}, not a "
                "sr_audit.backends.base.Backend"
            )
    else:
        raise SpecError(f"unknown backend {name!r}; registered backends: {', '.join(names())}")
    if backend.name != name:
        raise SpecError(f"backend registered as {name!r} calls itself {backend.name!r}")
    return backend


def resolve(spec: str | ResizeSpec) -> ResizeSpec:
    """Parse ``spec`` and check it against its backend; antialiasing default filled in."""
    parsed = ResizeSpec.parse(spec)
    return get_backend(parsed.backend).resolve(parsed)


class _CallableRegistry(types.ModuleType):
    """The registry package as a module that :func:`sr_audit.api.backends` can be called through."""

    def __call__(self, *, check: bool = False) -> Any:
        from sr_audit import api

        return api.backends(check=check)


sys.modules[__name__].__class__ = _CallableRegistry

__all__ = ["Backend", "ResizeFn", "BUILTIN", "ENTRY_POINT_GROUP", "names", "get_backend", "resolve"]
