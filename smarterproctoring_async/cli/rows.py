"""Export rows: the wire record with its parent SIDs, and how rows become cells.

A row is the record exactly as the server sent it (``model.to_dict()``), preceded by
``install_sid``, ``exam_sid`` and ``session_sid`` (snake_case, so they never collide
with the API's camelCase fields). Tabular formats fix their columns when the first
rows are committed; a field that shows up later goes to the last column, ``_more``, as
a JSON object, so nothing the server sends is dropped.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

# One definition, kept by the report's table module (which outlives this one).
from .table import cell, csv_writer

__all__ = ["MORE", "PARENTS", "cell", "columns_for", "csv_writer", "make_row", "split_row"]

PARENTS = ("install_sid", "exam_sid", "session_sid")
MORE = "_more"


def make_row(parents: Sequence[str | None], record: Mapping[str, Any]) -> dict[str, Any]:
    """``record`` with the parent SIDs in front (they win over a field of the same name)."""
    row: dict[str, Any] = dict(zip(PARENTS, parents, strict=True))
    row.update((key, value) for key, value in record.items() if key not in row)
    return row


def columns_for(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Every key of ``rows`` in first-seen order, parents first, then ``_more``."""
    names: dict[str, None] = dict.fromkeys(PARENTS)
    for row in rows:
        names.update(dict.fromkeys(row))
    names.pop(MORE, None)
    return [*names, MORE]


def split_row(columns: Sequence[str], row: Mapping[str, Any]) -> list[str | None]:
    """The cells of ``row`` under ``columns``; fields outside them go to ``_more``."""
    known = set(columns)
    more = {key: value for key, value in row.items() if key not in known or key == MORE}
    cells = [cell(row.get(name)) for name in columns[:-1]]
    cells.append(json.dumps(more, ensure_ascii=False, separators=(",", ":")) if more else None)
    return cells
