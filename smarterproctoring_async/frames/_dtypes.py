"""The dtype of each column of a frame, from the model's annotation or from the values.

A documented attribute's annotation decides (so a column is typed even when every value
is missing). A column nothing documents is typed by what it holds: booleans,
whole numbers, numbers, ISO 8601 dates with a zone (every value of the column), other
strings. What fits none of these stays an ``object`` column, as does a numeric column
whose values its dtype would change (kept exact, as Python values): whole numbers beyond
64 bits, or beyond what a double holds among floats, a NaN (not missing), a number
beyond a double (``1e400``, its text kept).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from .._json import HugeNumber
from ..models import parse_datetime

__all__ = ["typed_column"]

#: The nullable dtype of each kind of value.
_DTYPES = {"bool": "boolean", "int": "Int64", "float": "Float64", "str": "string"}
_INT64 = (-(2**63), 2**63 - 1)
#: A date and time with a zone (``Z`` or an offset): what the API sends for dates.
_ZONED_DATE = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?(?:[Zz]|[+-]\d{2}(?::?\d{2})?)"
)


def typed_column(pandas: Any, values: Sequence[Any], kind: str | None) -> Any:
    """``values`` (``None`` for missing) as a pandas array or Series of the column's dtype.

    ``kind`` is the documented kind (``"datetime"``, ``"bool"``, ``"int"``, ``"float"``,
    ``"str"``), ``None`` when nothing documents the column.
    """
    present = [value for value in values if value is not None]
    if kind is None:
        kind = _inferred(present)
        if kind == "date text":
            return _dates(pandas, [None if v is None else parse_datetime(v) for v in values])
    if kind == "datetime":
        return _dates(pandas, values)
    if kind is None or (kind in ("int", "float") and _inexact(present, kind)):
        return pandas.Series(values, dtype=object)
    try:
        return pandas.array(values, dtype=_DTYPES[kind])
    except (TypeError, ValueError):  # a value the annotation does not promise
        return pandas.Series(values, dtype=object)


def _inferred(present: list[Any]) -> str | None:
    """The kind of the values of an undocumented column (``None``: none fits)."""
    if not present:
        return None  # never sent with a value: nothing says what it holds
    kinds = {type(value) for value in present}
    if kinds == {bool}:
        return "bool"
    if kinds == {int}:
        return "int"
    if kinds <= {int, float}:
        return "float"
    if kinds == {str}:
        zoned = all(_ZONED_DATE.fullmatch(v) and parse_datetime(v) for v in present)
        return "date text" if zoned else "str"
    return None


def _inexact(present: list[Any], kind: str) -> bool:
    """Whether the nullable numeric dtype of ``kind`` would change a value: a whole
    number beyond 64 bits (or, in a float column, one a double cannot hold), a NaN
    (which it takes for missing), a number beyond a double (its text)."""
    low, high = _INT64
    for value in present:
        if type(value) is int:
            if not low <= value <= high or (kind == "float" and float(value) != value):
                return True
        elif isinstance(value, float) and (value != value or isinstance(value, HugeNumber)):
            return True
    return False


def _dates(pandas: Any, values: Sequence[datetime | None]) -> Any:
    column = pandas.Series(values, dtype=object)
    try:
        return pandas.to_datetime(column, utc=True).astype("datetime64[ns, UTC]")
    except (OverflowError, ValueError):  # a date beyond 2262: microseconds hold it
        # (pandas 2 refuses it already in to_datetime, pandas 3 in the cast)
        return column.astype("datetime64[us, UTC]")
