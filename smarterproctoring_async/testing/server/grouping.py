"""Grouped list answers (the ``grouped_results`` knob): ``results`` keyed by group date.

A list route that takes ``groupBy`` (examsByWeek) may answer its page grouped by date,
``{"total": ..., "results": {"2018-09-26": [row, ...], ...}}``, as the maker's sister
server does with lodash's groupBy; the other envelope fields are the usual ones and
``total`` still counts rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..data.records import Record
from .routing import Route

# The week rows name their group's start; a row without it is grouped by the field the
# request's groupBy names (examOpenDate, examCloseDate).
_GROUP_FIELD = "weekStart"


def groups(route: Route) -> bool:
    """Whether ``route`` takes a ``groupBy`` parameter."""
    return "groupBy" in route.query_params


def by_date(rows: Sequence[Record], group_by: str) -> dict[str, list[Any]]:
    """``rows`` grouped by the date (YYYY-MM-DD) of their group, in the rows' order."""
    grouped: dict[str, list[Any]] = {}
    for row in rows:
        value = row.get(_GROUP_FIELD, row.get(group_by))
        grouped.setdefault(str(value)[:10], []).append(row)
    return grouped
