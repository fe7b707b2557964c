"""Options shared by several commands, defined once so that every command spells them alike.

* ``--scale`` of a super-resolution command is a factor (:func:`sr_audit.sizes.parse_factor`:
  ``3``, ``x3`` or the downscale ratio ``1/3``); ``resize`` and ``kernels`` take a resize ratio
  (``3`` enlarges, ``1/3`` shrinks) with the same number grammar.
* ``--out DIR`` names the output folder everywhere; ``--out-dir`` is kept as an alias.
* ``--data`` takes a folder, an image file, a standard set name (``Set5``) or an embedded split,
  looked up under ``--data-root`` (:func:`sr_audit.datasets.load_dataset`).
"""
from __future__ import annotations

import argparse

from sr_audit.datasets import DATA_ENV, EMBEDDED_SETS, STANDARD_SETS
from sr_audit.errors import SpecError
from sr_audit.sizes import parse_factor


def factor(text: str) -> int:
    """argparse ``type`` of a super-resolution ``--scale`` (its message kept on error)."""
    try:
        return parse_factor(text)
    except SpecError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_scale(parser: argparse.ArgumentParser, *, default: int | None, required: bool = False, extra: str = "") -> None:
    """``--scale S``: the super-resolution factor."""
    shown = "" if default is None or required else f" (default {default})"
    parser.add_argument("--scale", type=factor, default=default, required=required, metavar="S",
                        help=f"super-resolution factor: 2, 3, 4, ... (x3 and the downscale ratio 1/3 also work){shown}"
                        + (f"; {extra}" if extra else ""))


def add_out(parser: argparse.ArgumentParser, what: str, *, required: bool = True) -> None:
    """``--out DIR`` (alias ``--out-dir``): where the command writes."""
    parser.add_argument("--out", "--out-dir", dest="out", required=required, metavar="DIR",
                        help=f"folder for {what} (created if missing; --out-dir is an alias)")


def data_help(default: str) -> str:
    """The help text of a ``--data`` option."""
    names = ", ".join([*(v[0] for v in STANDARD_SETS.values()), *EMBEDDED_SETS])
    return f"folder of images, one image file, or a set name ({names}); {default}"


def add_data_root(parser: argparse.ArgumentParser, what: str = "set names") -> None:
    """``--data-root DIR``: where ``what`` (set names, the authors' weights) are looked up."""
    parser.add_argument("--data-root", default=None, metavar="DIR",
                        help=f"where {what} are looked up (default ${DATA_ENV}, else ../shared/datasets)")
