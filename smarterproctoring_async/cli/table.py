"""Report rows printed as an aligned text table, CSV or JSON.

The table is for a terminal: every cell and column name is server text, so control
characters (ESC sequences, a bare carriage return, C1 codes, direction overrides) are
shown as escapes (``terminal.shown``), never sent to the terminal as they are. CSV
and JSON are data for other programs and keep the text as the server sent it: JSON
exactly (a lone surrogate escaped, a number beyond a double as its text), CSV but for a
lone surrogate, which no UTF-8 output can hold (U+FFFD).
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from typing import IO, Any, TextIO

from .export_files import text_value
from .terminal import shown

__all__ = ["cell", "columns_of", "csv_writer", "write_csv", "write_json", "write_table"]


def csv_writer(out: IO[str]) -> Any:
    """The CSV writer of every file and output: "\\n" line ends, every field quoted.

    With minimal quoting and "\\n" line ends, a value holding a bare carriage return is
    written as it is, and readers (csv, pandas) split the record in two there.
    """
    return csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)


def cell(value: Any) -> str | None:
    """A value as text: strings as they are, None as None, anything else as JSON (a
    number beyond a double as the server wrote it)."""
    if value is None or isinstance(value, str):
        return value
    from .. import record_json  # here: the table module loads nothing of the client

    return record_json(value, ascii=False)


def columns_of(rows: Sequence[Mapping[str, Any]], wanted: Sequence[str] | None) -> list[str]:
    """``wanted`` if given, else every key of ``rows`` in first-seen order."""
    if wanted:
        return list(wanted)
    names: dict[str, None] = {}
    for row in rows:
        names.update(dict.fromkeys(row))
    return list(names)


def _inert(text: str) -> str:
    """``text`` on one line with its control characters escaped."""
    # Escaped first: Python's split() counts some controls (\x1c-\x1f, \x85) as
    # whitespace, and they would vanish into a space instead of showing.
    return " ".join(shown(text).split())  # newlines and tabs would break the alignment


def _short(text: str, width: int) -> str:
    text = _inert(text)
    return text if len(text) <= width else text[: width - 1] + "…"


def write_table(
    out: TextIO, rows: Sequence[Mapping[str, Any]], columns: Sequence[str], width: int
) -> None:
    """An aligned table: a header, a rule, one line per row; cells cut at ``width``."""
    grid = [[_short(cell(row.get(name)) or "", width) for name in columns] for row in rows]
    header = [_inert(name) for name in columns]  # escaped, never cut
    sizes = [max([len(name), *(len(line[at]) for line in grid)]) for at, name in enumerate(header)]
    out.write(
        "  ".join(name.ljust(size) for name, size in zip(header, sizes, strict=True)).rstrip()
        + "\n"
    )
    out.write("  ".join("-" * size for size in sizes) + "\n")
    for line in grid:
        out.write(
            "  ".join(text.ljust(size) for text, size in zip(line, sizes, strict=True)).rstrip()
            + "\n"
        )


def write_csv(out: TextIO, rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> None:
    """CSV with a header; nested values as JSON text, null as an empty cell; a lone
    surrogate (which no UTF-8 output can hold) as U+FFFD."""
    writer = csv_writer(out)
    writer.writerow([text_value(name) for name in columns])
    for row in rows:
        cells = (cell(row.get(name)) for name in columns)
        writer.writerow([None if text is None else text_value(text) for text in cells])


def write_json(out: TextIO, value: Any) -> None:
    """Indented JSON that reads back as the server sent it (a lone surrogate escaped,
    a number beyond a double as its text)."""
    from .. import record_json

    text = record_json(value, indent=2, ascii=False) + "\n"
    # In pieces: one write of megabytes to a pipe closed early can end short without
    # the BrokenPipeError that tells the command to exit 141.
    for start in range(0, len(text), _PIECE):
        out.write(text[start : start + _PIECE])


_PIECE = 1 << 16
