"""Entry point of ``sr-audit``.

:data:`COMMANDS` maps each subcommand to its module and one-line help. ``sr-audit --help`` (and
``--version``, and a bare or unknown command) is built from this table alone, without importing
any command module, so it starts in a fraction of a second; ``sr-audit CMD ...`` imports and
registers only CMD's module. To add a command, write ``sr_audit/cli/NAME_cmd.py`` defining
``register(subparsers)`` (it adds the parser called NAME and sets ``func`` to a handler
``(args) -> int``) and add one line to :data:`COMMANDS`; the table's help is the command's
description unless its module sets one. ``tests/test_startup.py`` checks that every listed
module registers exactly its command.

:func:`main_from_args` returns the exit code (for tests); :func:`main` only exits. Errors derived
from :class:`~sr_audit.errors.SrAuditError` and argparse misuse end as one line on stderr and exit
code 2; any other exception is a bug and keeps its traceback. While a command runs, every
:class:`~sr_audit.errors.SrAuditWarning` the library gives (a layout resolved, an HR modcropped, a
padding assumed) is printed on stderr as one line, ``sr-audit: note: MESSAGE``, each message once
(:func:`_notes_as_lines`); other warnings keep Python's format, and a ``-W`` option still rules.
"""
from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
import warnings
from collections.abc import Iterator, Sequence

import sr_audit
from sr_audit import __version__
from sr_audit.errors import SrAuditError, SrAuditWarning

#: Subcommands, in the order ``--help`` lists them: name -> (module, one-line help).
COMMANDS: dict[str, tuple[str, str]] = {
    "backends": ("sr_audit.cli.backends_cmd", "list resize backends, their versions and conventions"),
    "resize": ("sr_audit.cli.resize_cmd", "resize image files with one backend spec"),
    "compare": ("sr_audit.cli.compare_cmd", "PSNR between the low-resolution images of every pair of backends"),
    "kernels": ("sr_audit.cli.kernels_cmd", "measure and plot every backend's effective 1-D kernel"),
    "results": ("sr_audit.cli.results_cmd", "print a results store as a long-format table"),
    "report": ("sr_audit.cli.report_cmd", "write report.md and a self-contained report.html from a results store"),
    "eval": (
        "sr_audit.cli.eval_cmd",
        "PSNR/SSIM of SRCNN weights or the bicubic baseline on a data set, under a metric protocol",
    ),
    "train": ("sr_audit.cli.train_cmd", "train SRCNN on images degraded by one backend spec"),
    "matrix": (
        "sr_audit.cli.matrix_cmd",
        "train SRCNN per train spec, evaluate on every eval spec, store every cell, write the report",
    ),
    "identify": (
        "sr_audit.cli.identify_cmd",
        "find the backend, kernel, compute path and channel rule that reproduce an LR data set",
    ),
    "explain": (
        "sr_audit.cli.explain_cmd",
        "walk from one evaluation setup to another one factor at a time and measure each step",
    ),
    "pitfalls": (
        "sr_audit.cli.pitfalls_cmd",
        "measure classic evaluation mistakes (size swap, uint8 order, antialias, align_corners, BGR, gray, reference)",
    ),
    "score": ("sr_audit.cli.score_cmd", "PSNR/SSIM of a folder of SR outputs against HR, under protocol presets"),
}


class _ArgumentParser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so misuse becomes one line and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise SrAuditError(f"{self.prog}: {message} (see --help)")


def _version_text() -> str:
    """sr-audit's version and each backend library's installed version, read from package metadata.

    Backend modules import only numpy at module level (``backends/base.py``), so no resize library
    is imported; a backend whose module cannot be loaded (a broken plugin) is listed with the reason.
    """
    from sr_audit import backends

    parts = [f"sr-audit {__version__}"]
    for name in backends.names():
        try:
            b = backends.get_backend(name)
        except (ImportError, SrAuditError) as exc:
            parts.append(f"{name}: backend module cannot be loaded: {exc}")
            continue
        parts.append(f"{name}: {b.library} {b.version() or 'not installed'}")
    return "\n".join(parts)


class _VersionAction(argparse.Action):
    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, **kwargs: object) -> None:
        super().__init__(option_strings, dest=dest, nargs=0, default=argparse.SUPPRESS, help="show versions of sr-audit and of every backend library")

    def __call__(self, parser, namespace, values, option_string=None):  # type: ignore[no-untyped-def]
        print(_version_text())
        parser.exit()


def _command_of(argv: Sequence[str]) -> str | None:
    """The subcommand ``argv`` names, or None (top-level options take no values, so it is the first
    token that is not an option); an unknown name is None too, and argparse then lists the valid ones."""
    command = next((token for token in argv if not token.startswith("-")), None)
    return command if command in COMMANDS else None


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The ``sr-audit`` parser with only ``command`` registered from its module.

    Parameters
    ----------
    command : str, optional
        A key of :data:`COMMANDS`. None lists every command from the table (their modules are not
        imported, and choosing one of them then does nothing): what ``--help`` and ``--version`` need.

    Returns
    -------
    argparse.ArgumentParser
    """
    summary = sr_audit.__doc__.splitlines()[0] if sr_audit.__doc__ else None
    parser = _ArgumentParser(prog="sr-audit", description=summary)
    parser.add_argument("--version", action=_VersionAction)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_ArgumentParser)
    if command is None:
        for name, (_, help_text) in COMMANDS.items():
            sub.add_parser(name, help=help_text, add_help=False)
        return parser
    module, help_text = COMMANDS[command]
    importlib.import_module(module).register(sub)
    registered = sub.choices[command]
    if registered.description is None:
        registered.description = help_text
    return parser


@contextlib.contextmanager
def _notes_as_lines() -> Iterator[None]:
    """Print each :class:`~sr_audit.errors.SrAuditWarning` given inside as ``sr-audit: note: ...``
    on stderr (once per message), not in Python's ``file:line: Category: ...`` format with a source
    line; other warnings go to the handler that was in place. Restored on exit."""
    shown: set[str] = set()
    with warnings.catch_warnings():
        if not sys.warnoptions:  # shown whatever an imported library did to the filters; -W still rules
            warnings.simplefilter("always", SrAuditWarning)
        previous = warnings.showwarning

        def show(message, category, filename, lineno, file=None, line=None):  # type: ignore[no-untyped-def]
            if not issubclass(category, SrAuditWarning):
                previous(message, category, filename, lineno, file, line)
            elif str(message) not in shown:
                shown.add(str(message))
                print(f"sr-audit: note: {message}", file=sys.stderr)

        warnings.showwarning = show
        yield


def main_from_args(argv: Sequence[str] | None = None) -> int:
    """Run the command line on ``argv`` (default: ``sys.argv[1:]``) and return the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        parser = build_parser(_command_of(argv))
        args = parser.parse_args(argv)
        args.argv = argv  # the command line as given, for the records that name it (sr_audit.matrix.runs)
        if getattr(args, "func", None) is None:
            parser.print_help()
            return 2
        with _notes_as_lines():
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
