"""Series to chart, read from report rows whose shape the reference does not document.

The reference publishes no response schema for the volume and distribution reports
(SPEC 4d-4j), so nothing here names one of their fields. A series is found by shape:
in a list of objects, the label is the first field holding text (or a whole number,
an hour) and the value the first number, preferring a field whose name says it counts
(``count``, ``sessions``, ``total``); the fields are read across the rows, not from
the first alone (its group may be null). Dates are recognised by value (ISO 8601).
What no rule fits is shown as a table of its plain values instead of a chart.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["Series", "count_by", "figures", "series_in", "trend", "uncharted"]

#: The largest count charted: beyond it bars and lines would overflow to inf.
_LARGEST = 1e300

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_COUNTING = ("count", "sessions", "total")


@dataclass(frozen=True)
class Series:
    """Labelled values and what they are (``title``), in the order to draw them."""

    title: str
    labels: tuple[str, ...]
    values: tuple[float, ...]


def _is_number(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:  # an integer too large for a float (JSON allows any) is no chart value
        return math.isfinite(value) and abs(value) < _LARGEST
    except OverflowError:
        return False


def _value_key(row: Mapping[str, Any], skip: str | None = None) -> str | None:
    numeric = [k for k, v in row.items() if k != skip and _is_number(v)]
    for word in _COUNTING:
        for key in numeric:
            if word in key.lower():
                return key
    return numeric[0] if numeric else None


def _label_key(row: Mapping[str, Any]) -> str | None:
    for key, value in row.items():
        if isinstance(value, str):
            return key
    for key, value in row.items():  # e.g. an hour of the day
        if isinstance(value, int) and not isinstance(value, bool):
            return key
    return None


def _fields(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Each field of the rows with its first value that is not null, in first-seen
    order: a first row with a null group (a SQL GROUP BY's) does not hide its fields."""
    found: dict[str, Any] = {}
    for row in rows:
        for key, value in row.items():
            if found.get(key) is None:
                found[key] = value
    return found


def _series(title: str, rows: Sequence[Mapping[str, Any]]) -> Series | None:
    fields = _fields(rows)
    label = _label_key(fields)
    value = _value_key(fields, skip=label)
    if label is None or value is None:
        return None
    kept = [r for r in rows if _is_number(r.get(value))]
    return Series(
        f"{value} by {label}",
        tuple("(none)" if r.get(label) is None else str(r.get(label)) for r in kept),
        tuple(float(r[value]) for r in kept),
    )


def series_in(body: object) -> list[Series]:
    """Every list of objects inside a one-object report, as a series (key order)."""
    found: list[Series] = []
    for key, rows in _lists(body):
        series = _series(key, rows)
        if series is not None:
            found.append(Series(f"{key}: {series.title}", series.labels, series.values))
    return found


def uncharted(body: object) -> list[tuple[str, list[Mapping[str, Any]]]]:
    """The lists of objects of a one-object report that no series fits: shown as
    tables of their plain values instead of vanishing."""
    return [(key, rows) for key, rows in _lists(body) if _series(key, rows) is None]


def _lists(body: object) -> list[tuple[str, list[Mapping[str, Any]]]]:
    if not isinstance(body, Mapping):
        return []
    return [
        (key, value)
        for key, value in body.items()
        if isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value)
    ]


def figures(body: object) -> list[tuple[str, str]]:
    """The plain values of an object (numbers, text, and one level of nested objects)."""
    shown: list[tuple[str, str]] = []
    if not isinstance(body, Mapping):
        return shown
    for key, value in body.items():
        if isinstance(value, Mapping):
            inner = ", ".join(f"{k}: {v}" for k, v in value.items() if not isinstance(v, list))
            shown.append((key, inner))
        elif not isinstance(value, list) and value is not None:
            shown.append((key, str(value)))
    return shown


def _date_key(row: Mapping[str, Any]) -> str | None:
    for key, value in row.items():
        if isinstance(value, str) and _ISO_DATE.match(value):
            return key
    return None


def trend(rows: Sequence[Mapping[str, Any]]) -> Series | None:
    """A list report over time: its first date field (the day) against its counting
    field summed per day, or the number of rows per day when it has no number."""
    if not rows:
        return None
    fields = _fields(rows)
    date = _date_key(fields)
    if date is None:
        return None
    value = _value_key(fields)
    per_day: defaultdict[str, float] = defaultdict(float)
    for row in rows:
        when = row.get(date)
        if not (isinstance(when, str) and _ISO_DATE.match(when)):
            continue
        amount: object = row.get(value) if value is not None else 1
        per_day[when[:10]] += (
            float(amount) if isinstance(amount, (int, float)) and _is_number(amount) else 0.0
        )
    days = sorted(per_day)
    title = f"{value or 'rows'} by {date}"
    return Series(title, tuple(days), tuple(per_day[d] for d in days))


def count_by(rows: Sequence[Mapping[str, Any]], *keys: str) -> Series | None:
    """Rows counted by the first of ``keys`` the rows hold, largest first."""
    for key in keys:
        counts = Counter(str(r[key]) for r in rows if r.get(key) not in (None, ""))
        if counts:
            ranked = counts.most_common()
            return Series(
                f"rows by {key}", tuple(k for k, _ in ranked), tuple(float(n) for _, n in ranked)
            )
    return None
