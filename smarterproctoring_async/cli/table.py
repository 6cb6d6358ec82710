"""Report rows printed as an aligned text table, CSV or JSON."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

from .rows import cell, csv_writer

__all__ = ["columns_of", "write_csv", "write_json", "write_table"]


def columns_of(rows: Sequence[Mapping[str, Any]], wanted: Sequence[str] | None) -> list[str]:
    """``wanted`` if given, else every key of ``rows`` in first-seen order."""
    if wanted:
        return list(wanted)
    names: dict[str, None] = {}
    for row in rows:
        names.update(dict.fromkeys(row))
    return list(names)


def _short(text: str, width: int) -> str:
    text = " ".join(text.split())  # newlines and tabs would break the alignment
    return text if len(text) <= width else text[: width - 1] + "…"


def write_table(
    out: TextIO, rows: Sequence[Mapping[str, Any]], columns: Sequence[str], width: int
) -> None:
    """An aligned table: a header, a rule, one line per row; cells cut at ``width``."""
    grid = [[_short(cell(row.get(name)) or "", width) for name in columns] for row in rows]
    sizes = [max([len(name), *(len(line[at]) for line in grid)]) for at, name in enumerate(columns)]
    out.write(
        "  ".join(name.ljust(size) for name, size in zip(columns, sizes, strict=True)).rstrip()
        + "\n"
    )
    out.write("  ".join("-" * size for size in sizes) + "\n")
    for line in grid:
        out.write(
            "  ".join(text.ljust(size) for text, size in zip(line, sizes, strict=True)).rstrip()
            + "\n"
        )


def write_csv(out: TextIO, rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> None:
    """CSV with a header; nested values as JSON text, null as an empty cell."""
    writer = csv_writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([cell(row.get(name)) for name in columns])


def write_json(out: TextIO, value: Any) -> None:
    """Indented JSON."""
    json.dump(value, out, ensure_ascii=False, indent=2)
    out.write("\n")
