"""GitHub-flavoured markdown tables: the one formatter behind every table sr-audit prints or writes.

Cells are written as given (``str`` of each value, no padding), so callers format numbers
themselves (decimals, ``–`` for missing, bold); ``|`` in a cell is escaped and a line break becomes
a space, so a cell never breaks the table.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence


def markdown_table(header: Sequence[object], rows: Iterable[Sequence[object]], right: Sequence[bool] = ()) -> str:
    """A markdown table of ``header`` and ``rows``; column ``i`` right-aligned when ``right[i]``,
    else left-aligned.

    A DataFrame with its index as the first column is
    ``markdown_table([index_title, *frame.columns], frame.itertuples(name=None))``.

    >>> print(markdown_table(["spec", "PSNR"], [("pil", "31.27"), ("a|b", "–")], right=(False, True)))
    | spec | PSNR |
    |:---|---:|
    | pil | 31.27 |
    | a\\|b | – |
    """

    def line(cells: Iterable[object]) -> str:
        return "| " + " | ".join(str(c).replace("|", "\\|").replace("\n", " ") for c in cells) + " |"

    aligned = tuple(right) or (False,) * len(header)
    if len(aligned) != len(header):
        raise ValueError(f"right has {len(aligned)} entries for {len(header)} columns")
    return "\n".join([line(header), "|" + "|".join("---:" if r else ":---" for r in aligned) + "|", *map(line, rows)])
