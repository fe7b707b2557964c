"""One CLI vocabulary: every ``--option`` that a message or help text names exists, super-resolution
``--scale`` takes one grammar everywhere, and the output folder is ``--out`` (``--out-dir`` an alias)."""
from __future__ import annotations

import argparse
import ast
import importlib
import re
from pathlib import Path

import pytest

from sr_audit.cli.main import COMMANDS
from sr_audit.cli.options import factor
from sr_audit.matrix.plan import parse_scales

REPO = Path(__file__).resolve().parents[1]

#: Options of other programs that messages quote (an install hint, a library's own flag).
FOREIGN: frozenset[str] = frozenset()


def _parsers() -> dict[str, argparse.ArgumentParser]:
    top = argparse.ArgumentParser()
    sub = top.add_subparsers()
    for module, _ in COMMANDS.values():
        importlib.import_module(module).register(sub)
    return dict(sub.choices)


def _options(parser: argparse.ArgumentParser) -> set[str]:
    return {o for a in parser._actions for o in a.option_strings if o.startswith("--")}


def test_every_option_a_message_names_exists() -> None:
    """Any ``--name`` in a string of the package (errors, warnings, help) is an option of some command."""
    known = {"--help", "--version"}.union(*(_options(p) for p in _parsers().values()))
    named: dict[str, set[str]] = {}
    for path in [*(REPO / "sr_audit").rglob("*.py"), *(REPO / "backends").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                for option in re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", node.value):
                    named.setdefault(option, set()).add(str(path.relative_to(REPO)))
    unknown = {o: sorted(where) for o, where in named.items() if o not in known | FOREIGN}
    assert not unknown, f"messages name options no command has: {unknown}"


SR_COMMANDS = ("compare", "eval", "train", "explain", "pitfalls", "score")


@pytest.mark.parametrize("command", SR_COMMANDS)
def test_super_resolution_scale_has_one_grammar(command: str) -> None:
    parser = _parsers()[command]
    [action] = [a for a in parser._actions if "--scale" in a.option_strings]
    assert action.type is factor, f"{command} --scale does not use sr_audit.cli.options.factor"
    required = {"compare": ["--data", "x"], "explain": ["--from", "paper", "--to", "paper"]}.get(command, [])
    out = ["--out", "x"] if command in ("compare", "train") else []
    for text, expected in (("3", 3), ("x3", 3), ("1/3", 3), ("0.5", 2)):
        args = parser.parse_args([*required, *out, *(["--sr", "a", "--hr", "b"] if command == "score" else []),
                                  *(["--model", "bicubic"] if command == "eval" else []), "--scale", text])
        assert args.scale == expected


def test_matrix_scales_take_the_same_grammar() -> None:
    assert parse_scales("2, x3, 1/4, 3") == (2, 3, 4)


def test_output_option_is_out_with_out_dir_as_alias() -> None:
    for name, parser in _parsers().items():
        options = _options(parser)
        if "--out-dir" in options:
            assert "--out" in options, f"{name} has --out-dir without --out"
            [action] = [a for a in parser._actions if "--out-dir" in a.option_strings]
            assert "--out" in action.option_strings, f"{name}: --out-dir is not an alias of --out"
