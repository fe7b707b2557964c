"""Which registered backends can run here, and spec lists chosen from them.

:func:`backend_status` reports every registered backend with its default spec and, when it cannot
run, why (with the fix). :func:`select_specs` turns a user's spec list (``--backends``,
``--train``, ...), a comma list of specs or :data:`ALL_SPECS`, into resolved specs:

* ``all`` takes every available backend's default spec, in registry order, and keeps the others in
  :attr:`SpecSelection.skipped` with their reasons;
* a spec named explicitly must be registered and available (the user asked for it): an unknown or
  unavailable backend is an error listing the available ones, as is an empty item;
* specs are resolved to their canonical form (``pil`` -> ``pil:bicubic+aa``) and duplicates after
  resolution are dropped, the first kept.

Callers add their own rules on top (``compare`` needs two different specs).
"""
from __future__ import annotations

import contextlib

from dataclasses import dataclass

from sr_audit import backends
from sr_audit.conventions import ResizeSpec
from sr_audit.errors import BackendUnavailableError, SpecError, SrAuditError

#: Spec-list value meaning every available registered backend's default spec.
ALL_SPECS = "all"


@dataclass(frozen=True)
class BackendStatus:
    """A registered backend and whether it can run here.

    Attributes
    ----------
    name : str
        Registered name.
    default_spec : ResizeSpec or None
        Resolved default spec (e.g. ``pil:bicubic+aa``); None when the backend cannot be loaded.
    reason : str or None
        Why it cannot run (with the fix), None when it is available.
    """

    name: str
    default_spec: ResizeSpec | None
    reason: str | None


@dataclass(frozen=True)
class SpecSelection:
    """Specs chosen from a spec list.

    Attributes
    ----------
    specs : tuple of ResizeSpec
        Resolved, in the order given (the registry's order for ``all``), without duplicates.
    skipped : tuple of BackendStatus
        Every backend ``all`` left out because it cannot run here (with the reason).
    """

    specs: tuple[ResizeSpec, ...]
    skipped: tuple[BackendStatus, ...] = ()


def backend_status(*, check: bool = False) -> list[BackendStatus]:
    """Every registered backend, in registry order, with its availability.

    Available means installed (found on the path; nothing is imported) unless ``check`` is set:
    then each installed library is imported by building its default spec, and one that fails to
    import is unavailable with its import error (seconds for TensorFlow and PyTorch).
    """
    found: list[BackendStatus] = []
    for name in backends.names():
        try:
            backend = backends.get_backend(name)
            spec = backend.resolve(ResizeSpec(name))
        except (ImportError, SrAuditError) as exc:
            found.append(BackendStatus(name, None, f"backend module cannot be loaded: {exc}"))
            continue
        if check and backend.unavailable_reason() is None:
            # a failed import is kept by the backend as its unavailable_reason, read below
            with contextlib.suppress(BackendUnavailableError):
                backend.build(spec)
        found.append(BackendStatus(name, spec, backend.unavailable_reason()))
    return found


def resolve_available(text: str, option: str | None = None) -> ResizeSpec:
    """Resolve one spec whose backend is registered and can run here.

    Errors name ``option`` (e.g. ``--backend``) when given and list the available backends.
    """
    parsed = ResizeSpec.parse(text)
    statuses = {s.name: s for s in backend_status()}
    available = ", ".join(name for name, s in statuses.items() if s.reason is None) or "none"
    where = f"{option}: " if option else ""
    if parsed.backend not in statuses:
        raise SpecError(f"{where}unknown backend {parsed.backend!r}; available backends: {available}")
    reason = statuses[parsed.backend].reason
    if reason is not None:
        raise BackendUnavailableError(
            f"{where}backend {parsed.backend!r} cannot run: {reason}; available backends: {available}"
        )
    return backends.resolve(parsed)


def select_specs(text: str, option: str | None = None) -> SpecSelection:
    """Parse a comma list of backend specs, or :data:`ALL_SPECS` (any case), as the module notes say.

    Parameters
    ----------
    text : str
        ``"all"`` or e.g. ``"pil,cv2:bicubic-aa,matlab"``.
    option : str, optional
        Option name the errors name, e.g. ``--train``.

    Returns
    -------
    SpecSelection

    Raises
    ------
    SpecError
        An empty list or item, an unknown backend or kernel, or ``all`` when no backend can run.
    BackendUnavailableError
        A spec named explicitly whose library is not installed (the message has the install hint).

    Examples
    --------
    >>> [str(s) for s in select_specs("pil, cv2, pil:bicubic").specs]
    ['pil:bicubic+aa', 'cv2:bicubic-aa']
    """
    subject = option or "the spec list"
    if not isinstance(text, str) or not text.strip():
        raise SpecError(f"{subject} needs a comma list of backend specs or '{ALL_SPECS}', got {text!r}")
    if text.strip().lower() == ALL_SPECS:
        statuses = backend_status()
        specs = [s.default_spec for s in statuses if s.reason is None and s.default_spec is not None]
        skipped = tuple(s for s in statuses if s.reason is not None)
        if not specs:
            reasons = "; ".join(f"{s.name}: {s.reason}" for s in skipped)
            raise SpecError(f"{subject} {text!r} selects nothing: no backend can run here; {reasons}")
        return SpecSelection(tuple(specs), skipped)
    parts = [p.strip() for p in text.split(",")]
    if not all(parts):
        raise SpecError(f"{subject} {text!r} has an empty item; write specs separated by single commas, e.g. pil,cv2")
    return SpecSelection(tuple(dict.fromkeys(resolve_available(p, option) for p in parts)))
