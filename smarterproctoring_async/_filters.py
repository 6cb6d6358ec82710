"""Query filters without I/O: tables derived from typed declarations, applied once.

Each endpoint method takes its filters as keyword-only, snake_case arguments typed by
a ``TypedDict`` (``**filters: Unpack[AppointmentFilters]``). :func:`table_of` derives
the endpoint's :data:`FilterTable` from that same ``TypedDict``: the wire name is the
camelCase of the keyword, the kind follows from the annotation (``str`` is free text,
a ``Literal`` one enum value, ``Many[Literal]`` several, ``Many[str]`` several
texts, ``bool`` a flag, ``When`` a
date-time; a required key of the ``TypedDict`` is a filter the API requires)
and from markers in ``Annotated`` (:data:`SID`, :data:`NO_PERCENT`,
:data:`ONE`, :data:`UPPER`, or a whole :class:`Filter` such as
:func:`span`). :func:`build_query` turns the values given into the encoded query
pairs, or raises :class:`~smarterproctoring_async.errors.InvalidFilterError` naming
the keyword, before any request is made. ``tests/test_contract.py`` checks every
table against the API's Swagger file.
"""

from __future__ import annotations

import re
import types
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import (
    Annotated,
    Literal,
    TypeAlias,
    TypeVar,
    Union,
    get_args,
    get_origin,
    get_type_hints,
)

from ._protocol import (
    QueryPairs,
    check_choice,
    check_sid,
    ensure_items,
    format_datetime,
    paired,
    utc_instant,
)
from .errors import InvalidFilterError, InvalidSidError

__all__ = [
    "NO_PERCENT",
    "ONE",
    "SID",
    "UPPER",
    "DateRange",
    "Filter",
    "FilterTable",
    "Many",
    "OneOrMany",
    "SortOrder",
    "When",
    "build_query",
    "choice",
    "choices",
    "flag",
    "keyword_for",
    "sid",
    "span",
    "table_of",
    "text",
    "when",
    "wire_for",
]

When: TypeAlias = Union[datetime, date]  # noqa: UP007 - read at run time on 3.10
"""A timezone-aware datetime, or a date (midnight UTC)."""

DateRange: TypeAlias = tuple[When, When]
"""``(start, end)``: both ends are sent."""

OneOrMany: TypeAlias = "str | Sequence[str]"
"""One enum value, or several (sent as repeated keys)."""

L = TypeVar("L", bound=str)

Many: TypeAlias = Union[L, Sequence[L]]  # noqa: UP007 - subscripted at run time on 3.10
"""One value of an enum ``Literal``, or several (sent as repeated keys)."""


class Mark:
    """A marker in ``Annotated[...]`` that refines the filter derived from a type."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


SID = Mark("SID")
"""A ``str`` that is a SID, checked against the prefix of its wire name (``examSid``)."""
NO_PERCENT = Mark("NO_PERCENT")
"""Free text the API's pattern ``^[^%]*$`` forbids ``%`` in."""
ONE = Mark("ONE")
"""An array filter of which the API takes at most one value."""
UPPER = Mark("UPPER")
"""An enum accepted in any letter case and sent upper-case."""

SortOrder: TypeAlias = Annotated[Literal["ASC", "DESC"], UPPER]
"""``sortOrder``: ``"ASC"`` or ``"DESC"`` (any letter case is accepted)."""


@dataclass(frozen=True)
class Filter:
    """How one keyword argument is checked and sent.

    ``wire`` holds the query name, or for a ``span`` the two names of its ends.
    ``kind`` is one of ``text``, ``texts``, ``sid``, ``choice``, ``choices``, ``flag``,
    ``when`` and ``span``; ``allowed`` lists the enum values of
    ``choice``/``choices`` in the API's exact spelling.
    """

    wire: tuple[str, ...]
    kind: str
    allowed: tuple[str, ...] = ()
    no_percent: bool = False
    required: bool = False
    max_items: int | None = None
    upper: bool = False


FilterTable: TypeAlias = Mapping[str, Filter]
"""Keyword argument name -> how it is sent, for one endpoint."""


_CAMEL_HUMP = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SNAKE_BREAK = re.compile(r"_([a-z0-9])")


def keyword_for(wire: str) -> str:
    """The snake_case keyword of a camelCase wire name (``examSid`` -> ``exam_sid``)."""
    return _CAMEL_HUMP.sub("_", wire).lower()


def wire_for(keyword: str) -> str:
    """The camelCase wire name of a snake_case keyword (``exam_sid`` -> ``examSid``)."""
    return _SNAKE_BREAK.sub(lambda m: m.group(1).upper(), keyword)


def table_of(declared: type) -> dict[str, Filter]:
    """The filter table of a ``TypedDict`` of filters, keyword by keyword, in order."""
    hints = get_type_hints(declared, include_extras=True)
    required: frozenset[str] = getattr(declared, "__required_keys__", frozenset())
    return {
        keyword: _filter_for(declared, keyword, hint, keyword in required)
        for keyword, hint in hints.items()
    }


def _filter_for(declared: type, keyword: str, hint: object, required: bool) -> Filter:
    marks: list[object] = []
    if get_origin(hint) is Annotated:
        hint, *marks = get_args(hint)
    given = [m for m in marks if isinstance(m, Filter)]
    spec = given[0] if given else _kind_of(hint, wire_for(keyword))
    if spec is None:
        raise TypeError(f"{declared.__name__}.{keyword}: no filter kind for {hint!r}")
    return replace(
        spec,
        kind="sid" if SID in marks else spec.kind,
        no_percent=NO_PERCENT in marks,
        required=required,
        max_items=1 if ONE in marks else None,
        upper=UPPER in marks,
    )


def _kind_of(hint: object, wire: str) -> Filter | None:
    origin, args = get_origin(hint), get_args(hint)
    if hint is str:
        return text(wire)
    if hint is bool:
        return flag(wire)
    if origin is Literal:
        return choice(wire, args)
    if origin in (Union, types.UnionType):
        if set(args) == {datetime, date}:
            return when(wire)
        enums = [a for a in args if get_origin(a) is Literal]
        many = [a for a in args if get_origin(a) in (Sequence, list, tuple)]
        if len(enums) == 1 and len(many) == 1:
            return choices(wire, get_args(enums[0]))
        if str in args and many == [Sequence[str]]:
            return Filter((wire,), "texts")
    return None


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


def when(wire: str) -> Filter:
    """A date-time, sent as ISO-8601 UTC with ``Z``; naive datetimes are refused."""
    return Filter((wire,), "when")


def span(start: str, end: str) -> Filter:
    """A ``(start, end)`` pair of date-times sent as two names; the API needs both ends.

    Used as a marker: ``exam_date_range: Annotated[DateRange, span("examOpenDate",
    "examCloseDate")]``.
    """
    return Filter((start, end), "span")


def build_query(
    table: FilterTable, values: Mapping[str, object], *, validate_sids: bool = True
) -> QueryPairs:
    """The encoded query pairs of ``values`` (keyword -> argument) under ``table``.

    ``None`` means "not given". Raises ``TypeError`` for a keyword the table does not
    know (so nothing is silently dropped) and :class:`InvalidFilterError` (a
    ``ValueError``) for a value the API would refuse; its message names the keyword.
    Arrays repeat their key; every value is encoded here, once.
    """
    for keyword in values:
        if keyword not in table:
            raise TypeError(f"unexpected keyword argument {keyword!r}")
    pairs: list[tuple[str, str]] = []
    for keyword, spec in table.items():
        value = values.get(keyword)
        if value is None:
            if spec.required:
                raise InvalidFilterError(f"{keyword} is required by the API")
            continue
        try:
            pairs.extend(_encode(keyword, spec, value, validate_sids))
        except InvalidFilterError as exc:
            if keyword in str(exc):
                raise
            raise InvalidFilterError(f"{keyword}: {exc}") from None
    return tuple(pairs)


def _encode(keyword: str, spec: Filter, value: object, validate_sids: bool) -> QueryPairs:
    wire = spec.wire[0]
    if spec.kind == "text":
        return ((wire, _text(keyword, value, spec.no_percent)),)
    if spec.kind == "sid":
        return ((wire, _sid(keyword, wire, value, validate_sids)),)
    if spec.kind == "choice":
        return ((wire, _choice(keyword, value, spec)),)
    if spec.kind == "choices":
        return tuple((wire, item) for item in _choices(keyword, value, spec))
    if spec.kind == "texts":
        return tuple((wire, _text(keyword, item, False)) for item in _many(keyword, value))
    if spec.kind == "flag":
        if not isinstance(value, bool):
            raise InvalidFilterError(f"{keyword} must be True or False, got {value!r}")
        return ((wire, "true" if value else "false"),)
    if spec.kind == "when":
        return ((wire, _when(keyword, value)),)
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


def _many(keyword: str, value: object) -> list[str]:
    if isinstance(value, (bytes, Mapping)) or not isinstance(value, Iterable):
        raise InvalidFilterError(
            f"{keyword} must be a str or a list of str, got {type(value).__name__}"
        )
    items = ensure_items(value)
    if not items:
        # Sent as no pair at all, [] would widen the query to everything: refuse it.
        raise InvalidFilterError(
            f"{keyword} is an empty list; leave it out to ask for every value of it"
        )
    return items


def _choices(keyword: str, value: object, spec: Filter) -> list[str]:
    items = _many(keyword, value)
    if spec.max_items is not None and len(items) > spec.max_items:
        raise InvalidFilterError(f"{keyword} takes at most {spec.max_items} value(s)")
    return [_choice(keyword, item, spec) for item in items]


def _when(keyword: str, value: object) -> str:
    return format_datetime(_moment(keyword, value))


def _moment(keyword: str, value: object) -> datetime:
    """``value`` as an aware UTC datetime, or :class:`InvalidFilterError` naming ``keyword``."""
    if not isinstance(value, (datetime, date)):
        raise InvalidFilterError(
            f"{keyword} must be a timezone-aware datetime (or a date), got {type(value).__name__}"
        )
    return utc_instant(value, name=keyword)


def _span(keyword: str, value: object, wire: tuple[str, ...]) -> QueryPairs:
    start_name, end_name = wire
    try:
        ends = paired(start_name, end_name, value)
    except InvalidFilterError:
        raise InvalidFilterError(
            f"{keyword} must be one (start, end) pair; the API needs both ends "
            f"({start_name} and {end_name})"
        ) from None
    first = _moment(f"{keyword}[0]", ends[start_name])
    last = _moment(f"{keyword}[1]", ends[end_name])
    start, end = format_datetime(first), format_datetime(last)
    # Compare instants, not strings: the strings' order is only as good as their format.
    if first > last:
        raise InvalidFilterError(f"{keyword} starts after it ends ({start} > {end})")
    return ((start_name, start), (end_name, end))
