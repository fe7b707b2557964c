"""Spec parsing, Conventions validation, and the ``sr-audit backends`` listing.

Every registered backend's default spec and every kernel's conventions must validate against the
tables of :mod:`sr_audit.conventions`, and listing backends must not import the heavy libraries.
"""
from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

import pytest

from sr_audit import backends
from sr_audit.cli.main import main_from_args
from sr_audit.conventions import (
    BORDERS,
    KERNEL_ALIASES,
    KERNELS,
    PIXEL_CENTRES,
    ROUNDINGS,
    SIZE_RULES,
    Conventions,
    ResizeSpec,
)
from sr_audit.errors import SpecError

BUILTIN = ["pil", "cv2", "skimage", "tf", "torch", "matlab", "matlab-legacy"]


# --------------------------------------------------------------------------- ResizeSpec parsing


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("torch:bicubic+aa", "torch:bicubic+aa"),
        ("torch:bicubic-aa", "torch:bicubic-aa"),
        ("pil", "pil"),  # the kernel stays open until the backend resolves it
        ("PIL:Lanczos", "pil:lanczos3"),
        ("cv2:cubic", "cv2:bicubic"),
        ("tf:linear+aa", "tf:bilinear+aa"),
        ("torch:nn", "torch:nearest"),
        ("  matlab-legacy:box-aa ", "matlab-legacy:box-aa"),
    ],
)
def test_parse_canonical_string(text: str, canonical: str) -> None:
    spec = ResizeSpec.parse(text)
    assert str(spec) == canonical
    assert ResizeSpec.parse(str(spec)) == spec, "the canonical string parses back to the same spec"


def test_parse_fields_and_passthrough() -> None:
    spec = ResizeSpec.parse("skimage:bilinear-aa")
    assert (spec.backend, spec.kernel, spec.antialias) == ("skimage", "bilinear", False)
    assert ResizeSpec.parse(spec) is spec
    assert ResizeSpec.parse("pil").antialias is None, "no switch written: the library default applies later"


@pytest.mark.parametrize("alias", sorted(KERNEL_ALIASES))
def test_every_alias_maps_to_a_kernel(alias: str) -> None:
    assert KERNEL_ALIASES[alias] in KERNELS
    assert ResizeSpec.parse(f"pil:{alias}").kernel == KERNEL_ALIASES[alias]


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("pil:spline", r"unknown kernel 'spline' in spec 'pil:spline'; kernels: bicubic, bilinear, lanczos2"),
        ("pil::bicubic", r"cannot parse backend spec 'pil::bicubic': expected BACKEND\[:KERNEL\]\[\+aa\|-aa\]"),
        ("pil:bicubic+aa+aa", "cannot parse backend spec"),
        ("pil bicubic", "cannot parse backend spec"),
        ("", "must be a string like 'pil' or 'torch:bicubic\\+aa'"),
        ("   ", "must be a string"),
    ],
)
def test_parse_errors_name_problem_and_valid_values(text: str, match: str) -> None:
    with pytest.raises(SpecError, match=match):
        ResizeSpec.parse(text)


def test_parse_rejects_non_strings() -> None:
    with pytest.raises(SpecError, match="got 3"):
        ResizeSpec.parse(3)  # type: ignore[arg-type]


def test_resolve_fills_default_and_checks_backend() -> None:
    assert str(backends.resolve("pil")) == "pil:bicubic+aa"  # Pillow always antialiases
    assert str(backends.resolve("torch")) == "torch:bicubic-aa"  # torch's default is off
    assert str(backends.resolve("skimage:nearest")) == "skimage:nearest+aa"
    with pytest.raises(SpecError, match=r"unknown backend 'opencv'; registered backends: " + ", ".join(BUILTIN)):
        backends.resolve("opencv:bicubic")
    with pytest.raises(SpecError, match=r"backend 'torch' has no kernel 'lanczos3'; its kernels: bicubic, bilinear, area, nearest"):
        backends.resolve("torch:lanczos3")
    with pytest.raises(SpecError, match=r"OpenCV never antialiases with 'area': drop '\+aa' from 'cv2:area\+aa'"):
        backends.resolve("cv2:area+aa")


# --------------------------------------------------------------------------- Conventions validation


def _valid() -> Conventions:
    return backends.get_backend("pil").conventions(ResizeSpec("pil"))


@pytest.mark.parametrize(
    ("field", "value", "table"),
    [
        ("kernel", "spline", KERNELS),
        ("pixel_centre", "corner", PIXEL_CENTRES),
        ("border", "wrap", BORDERS),
        ("size_rule", "trunc", SIZE_RULES),
        ("rounding", "stochastic", ROUNDINGS),
    ],
)
def test_conventions_reject_values_outside_tables(field: str, value: str, table: dict[str, str]) -> None:
    with pytest.raises(SpecError, match=f"{field} '{value}' is not one of: " + ", ".join(table)):
        dataclasses.replace(_valid(), **{field: value})


@pytest.mark.parametrize(
    ("field", "value", "match"),
    [
        ("scale_source", "user", "scale_source 'user' is not one of: given, sizes"),
        ("float_precision", "float16", "float_precision 'float16' is not one of: float32, float64"),
    ],
)
def test_conventions_reject_bad_source_and_precision(field: str, value: str, match: str) -> None:
    with pytest.raises(SpecError, match=match):
        dataclasses.replace(_valid(), **{field: value})


@pytest.mark.parametrize("name", backends.names())
def test_every_kernel_of_every_backend_has_valid_conventions(name: str) -> None:
    backend = backends.get_backend(name)
    default = backends.resolve(name)
    assert default.kernel in backend.kernels
    for kernel, fixed in backend.kernels.items():
        states = [True, False] if fixed is None else [fixed]
        for aa in states:
            conv = backend.conventions(ResizeSpec(name, kernel, aa))
            assert isinstance(conv, Conventions)
            assert conv.kernel == kernel and conv.antialias == aa, f"{name}:{kernel}: conventions describe another spec"
            assert set(conv.dtypes) <= {"uint8", "uint16", "float32", "float64"}, conv.dtypes
            assert {"uint8", "float32", "float64"} <= set(conv.dtypes), f"{name}: every backend takes uint8 and floats"
            assert (conv.cubic_a is None) or kernel == "bicubic", f"{name}:{kernel}: cubic_a only for bicubic"
            assert conv.uint8_path and conv.pass_order, f"{name}:{kernel}: describe the 8-bit path and pass order"
            json.dumps(conv.as_dict())


def test_backend_modules_do_not_import_their_library_when_listed() -> None:
    """Listing (names, conventions, versions) imports no heavy library: they load on first build."""
    script = (
        "import sys\n"
        "from sr_audit.cli.backends_cmd import backend_table\n"
        "backend_table()\n"
        "heavy = [m for m in ('tensorflow', 'torch', 'cv2', 'skimage') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"listing backends imported {result.stdout.strip()}"


# --------------------------------------------------------------------------- sr-audit backends


def test_backends_json_lists_all_builtins_available(capsys: pytest.CaptureFixture[str]) -> None:
    assert main_from_args(["backends", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    names = [row["name"] for row in rows]
    assert names == backends.names()
    assert names[: len(BUILTIN)] == BUILTIN
    for row in rows:
        backend = backends.get_backend(row["name"])
        assert row["available"] is (backend.unavailable_reason() is None)
        assert row["version"] == backend.version()
        assert row["default_spec"] == str(backends.resolve(row["name"]))
        assert row["kernels"] == list(backend.kernels)
        Conventions(**{**row["conventions"], "dtypes": tuple(row["conventions"]["dtypes"])})
    missing = [row["name"] for row in rows if row["name"] in BUILTIN and not row["available"]]
    assert not missing, (
        f"built-in backends unavailable here: {missing} (pyproject.toml lists their libraries as dependencies)"
    )


def test_backends_plain_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert main_from_args(["backends"]) == 0
    text = capsys.readouterr().out
    for name in backends.names():
        backend = backends.get_backend(name)
        assert f"{name:<14} {backend.library} {backend.version() or '-'}" in text
        assert f"default {backends.resolve(name)};" in text
    assert text.count("uint8 path: ") == len(backends.names())
    assert "[available]" in text


def test_backends_bad_option_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main_from_args(["backends", "--yaml"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("sr-audit: error:") and "--yaml" in err and err.count("\n") == 1
