"""The unscheduled learners as a downloadable CSV, safe to open in a spreadsheet.

Cells follow the exports' rules (``cli/export_files.py``): text a spreadsheet would
take for a formula (OWASP's list of first characters) gets a leading ``'``, NUL becomes
U+FFFD, as does a lone surrogate, null an empty cell; nested objects and numbers are
their JSON text as sent. Columns are every
field of the rows, in the order first met.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from typing import Any

from .._json import record_json, utf8_safe

__all__ = ["FORMULA_STARTS", "rows_csv"]

#: The same list as the exports': a cell starting so is prefixed with ``'``.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, dict, list)):
        # As sent (a number beyond a double by its text); a number is no formula: -5
        # stays -5.
        text = record_json(value, ascii=False)
        if not isinstance(value, (dict, list)):
            return text
    else:
        text = str(value)
    # No UTF-8 holds a lone surrogate: the download would fail as a whole.
    text = utf8_safe(text).replace("\x00", "\ufffd")
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
