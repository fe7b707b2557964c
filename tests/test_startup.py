"""Fast start: ``sr-audit --help``, ``--version`` and ``backends`` import no heavy library.

The command line itself runs in a subprocess under ``python -X importtime``, which names every
module the interpreter imported, so the check covers the CLI's own imports (argparse set-up, the
command table, the backends listing) and not only the library's.
"""
from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import sr_audit.cli
from sr_audit import backends
from sr_audit.cli.main import COMMANDS, _ArgumentParser, build_parser, main_from_args

#: Top-level packages the start-up commands must not import: the heavy ones of issue 13, and the
#: resize libraries (listing backends reads metadata only).
HEAVY = ("torch", "tensorflow", "pandas", "matplotlib", "jinja2", "cv2", "PIL", "skimage", "scipy")


def _run_cli(*args: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run ``python -m sr_audit ARGS`` and return the result with the top-level packages it imported."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "sr_audit", *args], capture_output=True, text=True, timeout=120
    )
    imported = set()
    for line in result.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            imported.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    assert "sr_audit" in imported, f"-X importtime reported nothing usable:\n{result.stderr[-2000:]}"
    return result, imported


@pytest.mark.parametrize("args", [("--help",), ("--version",), ("backends",), ("backends", "--json")])
def test_start_up_commands_import_no_heavy_library(args: tuple[str, ...]) -> None:
    result, imported = _run_cli(*args)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip(), "the command printed nothing"
    heavy = sorted(imported.intersection(HEAVY))
    assert not heavy, f"sr-audit {' '.join(args)} imported {heavy}"


def test_help_lists_exactly_the_command_table() -> None:
    result, _ = _run_cli("--help")
    block = result.stdout.split("COMMAND\n", 2)[-1].split("\noptions:")[0]
    listed = re.findall(r"^ {4}(\S+)", block, flags=re.MULTILINE)
    assert listed == list(COMMANDS), f"--help lists {listed}, the table has {list(COMMANDS)}"
    for name, (_, help_text) in COMMANDS.items():
        assert " ".join(help_text.split()[:3]) in " ".join(block.split()), f"{name}: table help not shown"


def test_every_command_module_is_in_the_table() -> None:
    """A ``sr_audit/cli/*_cmd.py`` left out of the table would never run."""
    folder = Path(sr_audit.cli.__path__[0])
    modules = {f"sr_audit.cli.{path.stem}" for path in folder.glob("*_cmd.py")}
    listed = {module for module, _ in COMMANDS.values()}
    assert modules == listed, f"command modules not in COMMANDS: {sorted(modules - listed)}; listed but absent: {sorted(listed - modules)}"


@pytest.mark.parametrize("name", list(COMMANDS))
def test_each_table_module_registers_exactly_its_command(name: str) -> None:
    module, _ = COMMANDS[name]
    sub = _ArgumentParser(prog="sr-audit").add_subparsers(parser_class=_ArgumentParser)
    importlib.import_module(module).register(sub)
    assert list(sub.choices) == [name], f"{module} registers {list(sub.choices)}, the table says {name!r}"


@pytest.mark.parametrize("name", list(COMMANDS))
def test_command_help_is_its_module_parser_with_a_description(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    """``sr-audit CMD --help`` is CMD's own parser; the table's help describes it unless the module does."""
    parser = build_parser(name)
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    description = sub.choices[name].description
    assert description, f"{name} has no description"
    with pytest.raises(SystemExit) as stop:
        main_from_args([name, "--help"])
    assert stop.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: sr-audit {name} ")
    assert " ".join(description.split()[:4]) in " ".join(out.split())


def test_unknown_command_is_one_line_listing_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main_from_args(["nosuchcommand"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "invalid choice: 'nosuchcommand'" in err
    assert all(f"'{name}'" in err for name in COMMANDS)


def test_no_command_prints_the_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main_from_args([]) == 2
    out = capsys.readouterr().out
    assert all(f"    {name} " in out for name in COMMANDS)


def test_version_lists_every_backend_library_version_from_metadata() -> None:
    result, _ = _run_cli("--version")
    lines = result.stdout.splitlines()
    assert lines[0] == f"sr-audit {importlib.metadata.version('sr-audit')}"
    expected = []
    for name in backends.names():
        backend = backends.get_backend(name)
        expected.append(f"{name}: {backend.library} {backend.version() or 'not installed'}")
    assert lines[1:] == expected
    assert f"torch: PyTorch {importlib.metadata.version('torch')}" in lines


def test_backends_json_is_the_same_in_a_fresh_process() -> None:
    """The listing that imported nothing heavy is the full listing (not a shortened one)."""
    result, _ = _run_cli("backends", "--json")
    rows = json.loads(result.stdout)
    assert [row["name"] for row in rows] == backends.names()
    assert all(row["conventions"] for row in rows if row["available"])
