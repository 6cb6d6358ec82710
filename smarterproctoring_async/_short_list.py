"""What a paginator does with a short list: raise it, or say so once and deliver.

Short lists. The API counts ``total`` with a separate COUNT query, which can count
rows the page query never returns (joins, soft deletes), and it sorts by the
requested ``sortKeys`` then ``createdDate`` (stored to the second) with no unique
tie-breaker, so rows that tie can swap across a page boundary between two requests:
one is read twice (the repeat is dropped), the other never. No route's ``sortKeys``
accepts a unique key (``sid``) in the API's Swagger, so the SDK cannot ask for a
stable order (a test checks the route table); it counts instead. A list is short
when an empty page confirms the end before the total (read twice), or when, at its
natural end, fewer records were delivered than the smallest total announced during
the iteration (deletions while paging shrink it; a record repeated inside its own
page counts, as data rather than a shift). A list that grew while it was read is not
short, but records added ahead of the reader are not delivered: a WARNING says how
many. A short list, per ``on_short_list``: ``"raise"``
(the default) raises :class:`IncompleteListError` (``expected``, ``received``) after
the records already yielded; ``"warn"`` ends the list with what the server sent,
logs one WARNING (method, route template, expected, received), counts it in
``client.stats.short_lists`` and sets :attr:`Paginator.incomplete` to that error.
"""

from __future__ import annotations

import logging

from ._protocol import Request
from ._walk import OnShortList, Walk
from .errors import IncompleteListError
from .stats import ClientStats

__all__ = ["at_end", "short"]

_log = logging.getLogger("smarterproctoring_async")


def at_end(
    walk: Walk, request: Request, on_short_list: OnShortList, stats: ClientStats | None
) -> IncompleteListError | None:
    """At the natural end, fewer records than the smallest total announced is short.

    Rows that swapped across a page boundary under an order without a unique
    tie-breaker land here: one was read twice (and dropped), the other never.
    """
    missing = walk.shortfall()
    if not missing:
        _grown(walk, request)
        return None
    assert walk.least is not None  # a shortfall needs a total
    return short(
        walk,
        request,
        on_short_list,
        stats,
        walk.least,
        f"the list ended with {walk.delivered} records, {missing} fewer than the "
        f"{walk.least} the server announced (rows may have moved between pages: "
        "the API's order has no unique tie-breaker)",
    )


def _grown(walk: Walk, request: Request) -> None:
    """A list that grew while it was read: the records added ahead of the reader were
    not delivered (offsets cannot reach them). Not short (every record announced at
    the start was), but said: a WARNING."""
    total, least = walk.total, walk.least
    if total is None or least is None or total <= least:
        return  # no total, or the last one announced is no larger than the smallest
    behind = total - walk.origin - walk.delivered - walk.twins
    if behind > 0:
        _log.warning(
            "%s %s: the list grew from %d to %d records while it was read, and %d of "
            "them were not delivered (added ahead of the reader); read it again for them",
            request.method, request.route, least, total, behind,
        )  # fmt: skip


def short(
    walk: Walk,
    request: Request,
    on_short_list: OnShortList,
    stats: ClientStats | None,
    expected: int,
    what: str,
) -> IncompleteListError:
    """A short list: raise it, or (``"warn"``) say so once and return the error."""
    error = IncompleteListError(
        f"GET {request.path}: {what}; Client(on_short_list='warn') takes what the "
        "server sent instead, with a WARNING",
        path=request.path,
        expected=expected,
        received=walk.delivered,
    )
    if on_short_list == "raise":
        raise error
    if stats is not None:
        stats.for_route(request.route).short_lists += 1
    # The template and counts only: the path holds SIDs and the server chose no word.
    _log.warning(
        "%s %s: a short list: the server announced %d records and sent %d; "
        "delivered what it sent (on_short_list='warn')",
        request.method,
        request.route,
        expected,
        walk.delivered,
    )
    return error
