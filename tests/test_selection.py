"""Backend availability and spec lists (``all`` or ``pil,cv2:area``): :mod:`sr_audit.backends.selection`."""
from __future__ import annotations

import pytest

from sr_audit import backends
from sr_audit.backends.base import Backend
from sr_audit.backends.selection import backend_status, resolve_available, select_specs
from sr_audit.errors import BackendUnavailableError, SpecError


@pytest.fixture()
def tf_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Backend ``tf`` reports TensorFlow as missing; the others report what is installed."""
    original = Backend.unavailable_reason
    monkeypatch.setattr(Backend, "unavailable_reason",
                        lambda self: "TensorFlow is not installed" if self.name == "tf" else original(self))


def test_status_lists_every_registered_backend_with_its_default_spec() -> None:
    statuses = backend_status()
    assert [s.name for s in statuses] == backends.names()
    assert all(s.default_spec == backends.resolve(s.name) for s in statuses if s.default_spec is not None)
    assert all(s.reason for s in statuses if s.default_spec is None)


def test_all_takes_available_defaults_in_registry_order() -> None:
    statuses = backend_status()
    everything = select_specs("all")
    assert everything.specs == tuple(s.default_spec for s in statuses if s.reason is None)
    assert [s.name for s in everything.skipped] == [s.name for s in statuses if s.reason is not None]
    assert str(everything.specs[0]) == "pil:bicubic+aa"


@pytest.mark.usefixtures("tf_missing")
def test_all_skips_unavailable_backends_with_the_reason_and_named_ones_are_errors() -> None:
    chosen = select_specs(" ALL ")
    assert "tf" not in [s.backend for s in chosen.specs]
    assert [(s.name, s.reason) for s in chosen.skipped] == [("tf", "TensorFlow is not installed")]
    with pytest.raises(BackendUnavailableError,
                       match=r"^--train: backend 'tf' cannot run: TensorFlow is not installed; available backends: pil, cv2"):
        select_specs("pil,tf", "--train")


def test_all_with_no_backend_available_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Backend, "unavailable_reason", lambda self: "missing")
    with pytest.raises(SpecError, match=r"^--eval 'all' selects nothing: no backend can run here; pil: missing; cv2: missing"):
        select_specs("all", "--eval")


def test_named_specs_are_canonical_in_order_without_duplicates() -> None:
    chosen = select_specs(" pil , cv2:cubic, pil:bicubic+aa,pil:bilinear ")
    assert [str(s) for s in chosen.specs] == ["pil:bicubic+aa", "cv2:bicubic-aa", "pil:bilinear+aa"]
    assert chosen.skipped == ()


@pytest.mark.parametrize(
    ("text", "option", "error"),
    [
        ("pil,nosuchlib", "--backends", r"^--backends: unknown backend 'nosuchlib'; available backends: pil, cv2"),
        ("pil,nosuchlib", None, r"^unknown backend 'nosuchlib'; available backends: pil, cv2"),
        ("pil:mitchellcubic", "--eval", r"has no kernel 'mitchellcubic'"),
        ("pil,,cv2", "--train", r"^--train 'pil,,cv2' has an empty item; write specs separated by single commas, e\.g\. pil,cv2$"),
        ("pil,", None, r"^the spec list 'pil,' has an empty item"),
        (" ", "--eval", r"^--eval needs a comma list of backend specs or 'all', got ' '$"),
    ],
)
def test_spec_list_errors_name_the_option_and_the_fix(text: str, option: str | None, error: str) -> None:
    with pytest.raises(SpecError, match=error):
        select_specs(text, option)


def test_one_available_spec() -> None:
    assert resolve_available("cv2:cubic", "--backend") == backends.resolve("cv2:bicubic-aa")
    with pytest.raises(SpecError, match=r"^--backend: unknown backend 'nosuchlib'"):
        resolve_available("nosuchlib", "--backend")
