"""Query filters without I/O: declarative tables and the one function that applies them.

Each endpoint method takes its filters as keyword-only, snake_case arguments; a
:data:`FilterTable` maps each keyword to its wire name and kind, and
:func:`build_query` turns the values given into query values, or raises
:class:`~smarterproctoring_async.errors.InvalidFilterError` naming the keyword before
any request is made. The kinds mirror what the API's Swagger file declares for each
query parameter, and ``tests/test_contract.py`` checks every table against it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeAlias

from ._protocol import (
    QueryValue,
    check_choice,
    check_sid,
    ensure_items,
    format_datetime,
    paired,
)
from .errors import InvalidFilterError, InvalidSidError

__all__ = [
    "DateRange",
    "Filter",
    "FilterTable",
    "OneOrMany",
    "When",
    "build_query",
    "choice",
    "choices",
    "flag",
    "keyword_for",
    "number",
    "sid",
    "sids",
    "sort_keys",
    "sort_order",
    "span",
    "table",
    "text",
    "texts",
    "when",
]

When: TypeAlias = "datetime | date"
"""A timezone-aware datetime, or a date (midnight UTC)."""

DateRange: TypeAlias = "tuple[datetime | date, datetime | date]"
"""``(start, end)``: both ends are sent."""

OneOrMany: TypeAlias = "str | Sequence[str]"
"""One enum value, or several (sent as repeated keys)."""


@dataclass(frozen=True)
class Filter:
    """How one keyword argument is checked and sent.

    ``wire`` holds the query name, or for a ``span`` the two names of its ends.
    ``kind`` is one of ``text``, ``sid``, ``choice``, ``choices``, ``flag``,
    ``number``, ``when`` and ``span``; ``allowed`` lists the enum values of
    ``choice``/``choices`` in the API's exact spelling.
    """

    wire: tuple[str, ...]
    kind: str
    allowed: tuple[str, ...] = ()
    no_percent: bool = False
    required: bool = False
    max_items: int | None = None
    upper: bool = False
    minimum: int | None = None


FilterTable: TypeAlias = Mapping[str, Filter]
"""Keyword argument name -> how it is sent, for one endpoint."""


_CAMEL_HUMP = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def keyword_for(wire: str) -> str:
    """The snake_case keyword of a camelCase wire name (``examSid`` -> ``exam_sid``)."""
    return _CAMEL_HUMP.sub("_", wire).lower()


def table(*filters: Filter | Iterable[Filter], **named: Filter) -> dict[str, Filter]:
    """A filter table: positional filters under the snake_case of their wire name, in
    order, then ``named`` ones (date ranges, whose two names make no single keyword)."""
    found: dict[str, Filter] = {}
    entries = [
        (keyword_for(spec.wire[0]), spec)
        for item in filters
        for spec in ([item] if isinstance(item, Filter) else item)
    ]
    for keyword, spec in [*entries, *named.items()]:
        if keyword in found:
            raise ValueError(f"filter table names {keyword!r} twice")
        found[keyword] = spec
    return found


def texts(*wires: str, no_percent: bool = False) -> list[Filter]:
    """Several free-text filters at once."""
    return [text(wire, no_percent=no_percent) for wire in wires]


def sids(*wires: str) -> list[Filter]:
    """Several SID filters at once."""
    return [sid(wire) for wire in wires]


def text(wire: str, *, no_percent: bool = False) -> Filter:
    """A free-text filter; ``no_percent`` where the API's pattern forbids ``%``."""
    return Filter((wire,), "text", no_percent=no_percent)


def sid(wire: str) -> Filter:
    """A SID filter, checked against the prefix of its wire name (``examSid``: ``EX``)."""
    return Filter((wire,), "sid")


def choice(wire: str, allowed: Sequence[str], *, required: bool = False) -> Filter:
    """One value out of the API's enum."""
    return Filter((wire,), "choice", tuple(allowed), required=required)


def choices(wire: str, allowed: Sequence[str], *, max_items: int | None = None) -> Filter:
    """An array of enum values, sent as repeated keys; a single ``str`` is accepted too."""
    return Filter((wire,), "choices", tuple(allowed), max_items=max_items)


def flag(wire: str) -> Filter:
    """A boolean, sent as ``true``/``false``."""
    return Filter((wire,), "flag")


def number(wire: str, *, minimum: int | None = None) -> Filter:
    """A whole number, optionally with a lower bound."""
    return Filter((wire,), "number", minimum=minimum)


def when(wire: str) -> Filter:
    """A date-time, sent as ISO-8601 UTC with ``Z``; naive datetimes are refused."""
    return Filter((wire,), "when")


def span(start: str, end: str) -> Filter:
    """A ``(start, end)`` pair of date-times sent as two names; the API needs both ends."""
    return Filter((start, end), "span")


def sort_keys(*allowed: str, max_items: int | None = None) -> Filter:
    """The ``sortKeys`` array of an endpoint, with its own enum."""
    return choices("sortKeys", allowed, max_items=max_items)


def sort_order() -> Filter:
    """``sortOrder``: ``ASC`` or ``DESC`` (any letter case is accepted)."""
    return Filter(("sortOrder",), "choice", ("ASC", "DESC"), upper=True)


def build_query(
    table: FilterTable, values: Mapping[str, object], *, validate_sids: bool = True
) -> dict[str, QueryValue]:
    """The query values of ``values`` (keyword -> argument) under ``table``.

    ``None`` means "not given". Raises ``TypeError`` for a keyword the table does not
    know (so nothing is silently dropped) and :class:`InvalidFilterError` (a
    ``ValueError``) for a value the API would refuse; its message names the keyword.
    """
    for keyword in values:
        if keyword not in table:
            raise TypeError(f"unexpected keyword argument {keyword!r}")
    query: dict[str, QueryValue] = {}
    for keyword, spec in table.items():
        value = values.get(keyword)
        if value is None:
            if spec.required:
                raise InvalidFilterError(f"{keyword} is required by the API")
            continue
        try:
            query.update(_convert(keyword, spec, value, validate_sids))
        except InvalidFilterError as exc:
            if keyword in str(exc):
                raise
            raise InvalidFilterError(f"{keyword}: {exc}") from None
    return query


def _convert(
    keyword: str, spec: Filter, value: object, validate_sids: bool
) -> dict[str, QueryValue]:
    wire = spec.wire[0]
    if spec.kind == "text":
        return {wire: _text(keyword, value, spec.no_percent)}
    if spec.kind == "sid":
        return {wire: _sid(keyword, wire, value, validate_sids)}
    if spec.kind == "choice":
        return {wire: _choice(keyword, value, spec)}
    if spec.kind == "choices":
        return {wire: _choices(keyword, value, spec)}
    if spec.kind == "flag":
        if not isinstance(value, bool):
            raise InvalidFilterError(f"{keyword} must be True or False, got {value!r}")
        return {wire: value}
    if spec.kind == "number":
        return {wire: _number(keyword, value, spec.minimum)}
    if spec.kind == "when":
        return {wire: _when(keyword, value)}
    if spec.kind == "span":
        return _span(keyword, value, spec.wire)
    raise AssertionError(f"unknown filter kind {spec.kind!r}")  # pragma: no cover


def _text(keyword: str, value: object, no_percent: bool) -> str:
    if not isinstance(value, str):
        raise InvalidFilterError(f"{keyword} must be a str, got {type(value).__name__}")
    if no_percent and "%" in value:
        raise InvalidFilterError(f"{keyword} must not contain '%' (the API forbids it)")
    return value


def _sid(keyword: str, wire: str, value: object, validate: bool) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidFilterError(f"{keyword} must be a non-empty SID string, got {value!r}")
    if validate:
        try:
            return check_sid(wire, value)
        except InvalidSidError as exc:
            raise InvalidFilterError(f"{keyword}: {exc}") from None
    return value


def _choice(keyword: str, value: object, spec: Filter) -> str:
    if not isinstance(value, str):
        raise InvalidFilterError(f"{keyword} must be a str, got {type(value).__name__}")
    return check_choice(keyword, value.upper() if spec.upper else value, spec.allowed)


def _choices(keyword: str, value: object, spec: Filter) -> list[str]:
    if isinstance(value, (bytes, Mapping)) or not isinstance(value, Iterable):
        raise InvalidFilterError(
            f"{keyword} must be a str or a list of str, got {type(value).__name__}"
        )
    items = ensure_items(value)
    if spec.max_items is not None and len(items) > spec.max_items:
        raise InvalidFilterError(f"{keyword} takes at most {spec.max_items} value(s)")
    return [_choice(keyword, item, spec) for item in items]


def _number(keyword: str, value: object, minimum: int | None) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidFilterError(f"{keyword} must be an int, got {value!r}")
    if minimum is not None and value < minimum:
        raise InvalidFilterError(f"{keyword} must be >= {minimum}, got {value}")
    return value


def _when(keyword: str, value: object) -> str:
    if not isinstance(value, (datetime, date)):
        raise InvalidFilterError(
            f"{keyword} must be a timezone-aware datetime (or a date), got {type(value).__name__}"
        )
    return format_datetime(value, name=keyword)


def _span(keyword: str, value: object, wire: tuple[str, ...]) -> dict[str, QueryValue]:
    start_name, end_name = wire
    try:
        ends = paired(start_name, end_name, value)
    except InvalidFilterError:
        raise InvalidFilterError(
            f"{keyword} must be one (start, end) pair; the API needs both ends "
            f"({start_name} and {end_name})"
        ) from None
    start, end = (_when(f"{keyword}[{i}]", ends[name]) for i, name in enumerate(wire))
    # Same-width ISO strings in UTC sort like the instants they name.
    if start > end:
        raise InvalidFilterError(f"{keyword} starts after it ends ({start} > {end})")
    return {start_name: start, end_name: end}
