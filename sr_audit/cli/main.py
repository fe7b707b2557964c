"""Entry point of ``sr-audit``.

Each subcommand module in :data:`COMMANDS` defines ``register(subparsers)``, which adds its parser
and sets ``func`` to a handler ``(args) -> int``. :func:`main_from_args` returns the exit code
(for tests); :func:`main` only exits. Errors derived from :class:`~sr_audit.errors.SrAuditError`
and argparse misuse end as one line on stderr and exit code 2; any other exception is a bug and
keeps its traceback.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from sr_audit import __version__
from sr_audit.errors import SrAuditError

#: Subcommand modules, in the order ``--help`` lists them.
COMMANDS: tuple[str, ...] = (
    "sr_audit.cli.backends_cmd",
    "sr_audit.cli.resize_cmd",
    "sr_audit.cli.compare_cmd",
    "sr_audit.cli.kernels_cmd",
    "sr_audit.cli.results_cmd",
    "sr_audit.cli.report_cmd",
    "sr_audit.cli.eval_cmd",
    "sr_audit.cli.train_cmd",
    "sr_audit.cli.matrix_cmd",
    "sr_audit.cli.identify_cmd",
    "sr_audit.cli.explain_cmd",
    "sr_audit.cli.pitfalls_cmd",
)


class _ArgumentParser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so misuse becomes one line and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise SrAuditError(f"{self.prog}: {message} (see --help)")


def _version_text() -> str:
    from sr_audit import backends

    parts = [f"sr-audit {__version__}"]
    for name in backends.names():
        b = backends.get_backend(name)
        parts.append(f"{name}: {b.library} {b.version() or 'not installed'}")
    return "\n".join(parts)


class _VersionAction(argparse.Action):
    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, **kwargs: object) -> None:
        super().__init__(option_strings, dest=dest, nargs=0, default=argparse.SUPPRESS, help="show versions of sr-audit and of every backend library")

    def __call__(self, parser, namespace, values, option_string=None):  # type: ignore[no-untyped-def]
        print(_version_text())
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = _ArgumentParser(prog="sr-audit", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--version", action=_VersionAction)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_ArgumentParser)
    for module in COMMANDS:
        importlib.import_module(module).register(sub)
    return parser


def main_from_args(argv: Sequence[str] | None = None) -> int:
    """Run the command line on ``argv`` and return the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if getattr(args, "func", None) is None:
            parser.print_help()
            return 2
        return int(args.func(args))
    except SrAuditError as exc:
        print(f"sr-audit: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("sr-audit: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader went away (e.g. `sr-audit results STORE | head`): stop quietly, as Unix tools do
        _silence_stdout()
        return 0


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush does not raise again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def main() -> None:
    sys.exit(main_from_args())


if __name__ == "__main__":
    main()
