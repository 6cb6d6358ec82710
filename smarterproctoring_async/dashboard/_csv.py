"""The unscheduled learners as a downloadable CSV, safe to open in a spreadsheet.

Cells follow the exports' rules (``cli/export_files.py``): text a spreadsheet would
take for a formula (OWASP's list of first characters) gets a leading ``'``, NUL becomes
U+FFFD, null an empty cell; nested objects are their JSON text. Columns are every
field of the rows, in the order first met.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["FORMULA_STARTS", "rows_csv"]

#: The same list as the exports': a cell starting so is prefixed with ``'``.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):  # a number is no formula: -5 stays -5
        return str(value)
    nested = isinstance(value, (dict, list))
    text = json.dumps(value, ensure_ascii=False) if nested else str(value)
    text = text.replace("\x00", "\ufffd")
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def rows_csv(rows: Sequence[Mapping[str, Any]]) -> str:
    """The rows as RFC 4180 CSV text (CRLF rows), a header line first."""
    columns: dict[str, None] = {}
    for row in rows:
        columns.update(dict.fromkeys(row))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_cell(c) for c in columns])
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
    return out.getvalue()
