"""sr-audit: measure how much the choice of image-resizing library changes super-resolution results.

The Python API is five functions (:mod:`sr_audit.api`), imported on first use so that ``import
sr_audit`` stays light::

    import sr_audit
    lr = sr_audit.resize(hr, "matlab", scale="1/4")
    scores = sr_audit.score(sr, hr, scale=4, protocol="basicsr")
    result = sr_audit.identify("Set5/GTmod12", "Set5/LRbicx4")
    ev = sr_audit.evaluate("x3.mat", "Set5", scale=3, backend="matlab-legacy")
    [b.name for b in sr_audit.backends() if b.reason is None]

The ``sr-audit`` command line is a thin layer over them.
"""
from importlib.metadata import PackageNotFoundError, version
from typing import Any

try:
    __version__ = version("sr-audit")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

# ``resize`` is imported now, not on first use: it shares its name with the module it lives in,
# and a later first import of that module would bind the module over a lazily found function.
# It costs numpy and the backend registry (no resize library is imported).
from sr_audit.resize import resize  # noqa: E402

#: The public functions, defined in :mod:`sr_audit.api`.
__all__ = ["backends", "evaluate", "identify", "resize", "score"]


def __getattr__(name: str) -> Any:
    # resize is bound above and ``backends`` is the (callable) registry package; the others load here
    if name in __all__:
        from sr_audit import api

        return getattr(api, name)
    raise AttributeError(f"module 'sr_audit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
