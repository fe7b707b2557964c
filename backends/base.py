"""The contract every resize backend fulfils.

A backend module defines one :class:`Backend` instance (or several, e.g. MATLAB modern and legacy)
and never imports its heavy library at module level: the library is imported inside
:meth:`Backend.build`, so listing backends stays cheap and a missing library only disables its own
backend (with an install hint) instead of breaking the others.

The callable returned by :meth:`Backend.build` has the signature::

    fn(image: np.ndarray, size: tuple[int, int], scale: tuple[float, float]) -> np.ndarray

``image`` is validated by the caller (:func:`sr_audit.resize.resize`): HxW or HxWxC with C in
{1, 3}, a dtype from ``Conventions.dtypes``, finite values. ``size`` is the output (height, width);
``scale`` is (scale_h, scale_w) as given by the user, or out/in when a size was given. Backends whose
library only takes sizes ignore ``scale`` (``Conventions.scale_source == "sizes"``). The result must
have shape ``size + image.shape[2:]`` and the input's dtype.
"""
from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from sr_audit.conventions import ResizeSpec, Conventions
from sr_audit.errors import BackendUnavailableError, SpecError
from sr_audit.io_util import installed_version

ResizeFn = Callable[[np.ndarray, tuple[int, int], tuple[float, float]], np.ndarray]


@dataclass(frozen=True)
class Backend:
    """A resize library behind the common interface.

    Attributes
    ----------
    name : str
        Registered name (``pil``, ``matlab-legacy``, ...).
    library : str
        Human name of the library, shown in listings.
    distribution : str
        Distribution whose version is reported (``importlib.metadata``), e.g. ``pillow``.
    module : str
        Import name checked for availability, e.g. ``PIL``.
    install_hint : str
        What to run when the module is missing.
    kernels : mapping of str to bool or None
        Kernel name -> antialiasing of that kernel: None when the library has a switch (then
        ``antialias_default`` applies), True/False when it is fixed.
    antialias_default : bool
        Default when the library has a switch and the spec leaves it open.
    conventions_fn : callable
        ``ResizeSpec`` (resolved) -> :class:`Conventions`.
    build_fn : callable
        ``ResizeSpec`` (resolved) -> ResizeFn; imports the library.
    """

    name: str
    library: str
    distribution: str
    module: str
    install_hint: str
    kernels: Mapping[str, bool | None]
    antialias_default: bool
    conventions_fn: Callable[[ResizeSpec], Conventions] = field(repr=False)
    build_fn: Callable[[ResizeSpec], ResizeFn] = field(repr=False)
    #: Why the library failed to import in this process (set once by :meth:`build`), or None.
    _import_error: str | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def default_kernel(self) -> str:
        """``bicubic`` when the backend has it, else its first kernel."""
        return "bicubic" if "bicubic" in self.kernels else next(iter(self.kernels))

    def resolve(self, spec: ResizeSpec) -> ResizeSpec:
        """Check ``spec`` against this backend and fill in the kernel and antialiasing defaults."""
        kernel = spec.kernel or self.default_kernel
        if kernel not in self.kernels:
            raise SpecError(
                f"backend {self.name!r} has no kernel {kernel!r}; its kernels: {', '.join(self.kernels)}"
            )
        fixed = self.kernels[kernel]
        if fixed is None:
            aa = self.antialias_default if spec.antialias is None else spec.antialias
        else:
            if spec.antialias is not None and spec.antialias != fixed:
                state = "always" if fixed else "never"
                raise SpecError(
                    f"{self.library} {state} antialiases with {kernel!r}: drop '{'-aa' if fixed else '+aa'}' from "
                    f"'{spec}' (only the library's own behaviour can be measured)"
                )
            aa = fixed
        return ResizeSpec(backend=self.name, kernel=kernel, antialias=aa)

    def conventions(self, spec: ResizeSpec) -> Conventions:
        """Conventions of ``spec`` (resolved first)."""
        return self.conventions_fn(self.resolve(spec))

    def build(self, spec: ResizeSpec) -> ResizeFn:
        """The resize callable of ``spec`` (resolved first); imports the library.

        A library that is installed but fails to import (a broken wheel, a missing shared library)
        raises :class:`BackendUnavailableError` with its import error, and the backend reports that
        error as its :meth:`unavailable_reason` for the rest of the process.
        """
        self.require()
        resolved = self.resolve(spec)
        try:
            return self.build_fn(resolved)
        except BackendUnavailableError:
            raise
        except ImportError as exc:
            message = str(exc).strip()
            first_line = message.splitlines()[0] if message else type(exc).__name__
            reason = (
                f"{self.library} is installed but cannot be imported ({first_line}); reinstall it with: "
                f"{self.install_hint}"
            )
            object.__setattr__(self, "_import_error", reason)  # a cache on a frozen instance, not its identity
            raise BackendUnavailableError(f"backend {self.name!r} is unavailable: {reason}") from exc

    def unavailable_reason(self) -> str | None:
        """None when the library is installed, else why not and how to fix it.

        The check is cheap (the module is found on the path, not imported), so listing backends
        imports no library; an import failure is only known once :meth:`build` has tried.
        """
        if self._import_error is not None:
            return self._import_error
        if self.module in sys.modules:
            # imported, or being imported by another thread: OpenCV's loader swaps its module in
            # sys.modules meanwhile, and find_spec would then call the library missing
            return None
        try:
            found = importlib.util.find_spec(self.module) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            return f"{self.library} is not installed (module {self.module!r}); install it with: {self.install_hint}"
        return None

    def require(self) -> None:
        """Raise :class:`BackendUnavailableError` when the library is missing."""
        reason = self.unavailable_reason()
        if reason is not None:
            raise BackendUnavailableError(f"backend {self.name!r} is unavailable: {reason}")

    def version(self) -> str | None:
        """Installed version of the library's distribution, or None when it is not installed."""
        return installed_version(self.distribution)
