"""``sr-audit backends``: every registered backend, its library version, conventions and availability."""
from __future__ import annotations

import argparse
import json

from sr_audit import backends
from sr_audit.conventions import ResizeSpec


def backend_table() -> list[dict[str, object]]:
    """One record per registered backend (default kernel's conventions; every kernel listed)."""
    rows: list[dict[str, object]] = []
    for name in backends.names():
        b = backends.get_backend(name)
        reason = b.unavailable_reason()
        rows.append(
            {
                "name": name,
                "library": b.library,
                "version": b.version(),
                "available": reason is None,
                "unavailable_reason": reason,
                "kernels": list(b.kernels),
                "default_spec": str(b.resolve(ResizeSpec(name))),
                "conventions": b.conventions(ResizeSpec(name)).as_dict(),
            }
        )
    return rows


def _run(args: argparse.Namespace) -> int:
    rows = backend_table()
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for r in rows:
        conv = r["conventions"]
        assert isinstance(conv, dict)
        state = "available" if r["available"] else f"UNAVAILABLE: {r['unavailable_reason']}"
        print(f"{r['name']:<14} {r['library']} {r['version'] or '-'}  [{state}]")
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
    p.set_defaults(func=_run)
