"""``sr-audit backends``: every registered backend, its library version, conventions and availability."""
from __future__ import annotations

import argparse
import json

from sr_audit import api, backends


def backend_table(check: bool = False) -> list[dict[str, object]]:
    """One record per registered backend (default kernel's conventions; every kernel listed).

    Parameters
    ----------
    check : bool, default False
        Also build each available backend's default spec, which imports its library (seconds for
        TensorFlow and PyTorch): an installed library that fails to import is then listed as
        unavailable with its import error. Without it, available means installed, and no resize
        library is imported.

    Returns
    -------
    list of dict
        Keys ``name``, ``library``, ``version``, ``available``, ``unavailable_reason``,
        ``kernels``, ``default_spec``, ``conventions``. A backend whose module cannot be loaded (a
        broken plugin) is unavailable with the reason, and has no library, kernels or conventions.
    """
    rows: list[dict[str, object]] = []
    for status in api.backends(check=check):
        row: dict[str, object] = {
            "name": status.name,
            "library": None,
            "version": None,
            "available": status.reason is None,
            "unavailable_reason": status.reason,
            "kernels": [],
            "default_spec": None,
            "conventions": None,
        }
        if status.default_spec is not None:
            b = backends.get_backend(status.name)
            row.update(
                library=b.library,
                version=b.version(),
                kernels=list(b.kernels),
                default_spec=str(status.default_spec),
                conventions=b.conventions(status.default_spec).as_dict(),
            )
        rows.append(row)
    return rows


def _run(args: argparse.Namespace) -> int:
    rows = backend_table(check=args.check)
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for r in rows:
        state = "available" if r["available"] else f"UNAVAILABLE: {r['unavailable_reason']}"
        print(f"{r['name']:<14} {r['library'] or '-'} {r['version'] or '-'}  [{state}]")
        conv = r["conventions"]
        if not isinstance(conv, dict):
            continue
        print(f"{'':<14} default {r['default_spec']}; kernels: {', '.join(r['kernels'])}")  # type: ignore[arg-type]
        print(
            f"{'':<14} cubic a={conv['cubic_a']}, antialias={conv['antialias']}, centres={conv['pixel_centre']}, "
            f"border={conv['border']}, size={conv['size_rule']}, float={conv['float_precision']}, "
            f"rounding={conv['rounding']}"
        )
        print(f"{'':<14} uint8 path: {conv['uint8_path']}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("backends", help="list resize backends, their versions and conventions")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.add_argument(
        "--check", action="store_true",
        help="import each library (slow) so that one installed but broken is listed unavailable with its "
             "import error; without it, available means installed",
    )
    p.set_defaults(func=_run)
