"""Offset/limit pagination of a handler's Listing: the real envelope, sorting, page cap.

The links keep the request's own filters and are absolute URLs on the fake's base URL.
``total`` is what a COUNT query would say: the rows, plus ``total_overcount`` (a count
that disagrees with the rows); the links follow that announced total, as a server
building them from its COUNT does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote, urlencode

from ..data.records import Record
from ..data.views import ReversedView
from ..handlers import Call, Listing
from .errors import invalid, limit_refused


def ordered(listing: Listing, call: Call) -> tuple[Sequence[Record], bool]:
    """The rows in the order asked for, and whether that order is descending."""
    keys = call.many("sortKeys") or list(call.route.default("sortKeys") or [])
    rows = listing.rows
    if keys and tuple(keys) != listing.natural[: len(keys)]:
        fields = [listing.sort_fields.get(key, key) for key in keys]
        # Only small lists have sort keys other than their natural order; huge generated
        # event lists only sort by createdDate, which they already follow.
        rows = sorted(rows, key=lambda row: tuple(_sortable(row.get(f)) for f in fields))
    descending = call.one("sortOrder") == "DESC"
    return (ReversedView(rows) if descending else rows), descending


def _sortable(value: Any) -> tuple[bool, str, float]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value is None, "", float(value)
    return value is None, "" if value is None else str(value).lower(), 0.0


def paginate(
    listing: Listing,
    call: Call,
    *,
    base_url: str,
    path: str,
    pairs: Sequence[tuple[str, str]],
    page_cap: int | None,
    default_limit: int,
    max_limit: int | None = None,
    limit_refusal: str | Mapping[str, Any] | None = None,
    total_overcount: int = 0,
) -> tuple[dict[str, Any], bool]:
    """The envelope of one page and whether the order was descending.

    A ``limit`` over ``max_limit`` is refused with a 400 (``limit_refusal`` words it).
    """
    offset = int(call.one("offset") or 0)
    asked = call.one("limit")
    default = call.route.default("limit")
    limit = (
        int(asked) if asked is not None else default if isinstance(default, int) else default_limit
    )
    for name, value in (("offset", offset), ("limit", limit)):
        if value < 0:
            raise invalid(f"{name} must be >= 0", name, "must be larger than or equal to 0")
    if max_limit is not None and limit > max_limit:
        raise limit_refused(max_limit, limit_refusal)
    size = limit if page_cap is None else max(0, min(limit, page_cap))
    rows, descending = ordered(listing, call)
    total = max(0, len(rows) + total_overcount)
    results = list(rows[offset : offset + size]) if size else []
    filters = [(k, v) for k, v in pairs if k not in ("offset", "limit")]

    def link(at: int) -> str:
        query = urlencode([*filters, ("offset", str(at)), ("limit", str(limit))], quote_via=quote)
        return f"{base_url}{path}?{query}"

    last = ((total - 1) // size) * size if size and total else 0
    envelope = {
        "total": total,
        "first": link(0),
        "next": link(offset + size) if size and offset + size < total else None,
        "prev": link(max(0, offset - size)) if size and offset > 0 else None,
        "last": link(last),
        "count": len(results),
        "offset": offset,
        "results": results,
    }
    return envelope, descending
