"""The one pagination loop, behind every list endpoint; the server cannot fool it.

Offsets advance by the number of records actually received (a server may send fewer
than ``limit``). With a ``total`` in the first page, later pages are requested a few
at a time ahead of the consumer and yielded in order. The stop rule is the reporting
guide's, made cheap by the total: reading stops at an empty page, or once ``total``
is reached by a page shorter than the server's page size; a full page reaching the
total is confirmed by one more request (a server whose total is capped reads on).

What a server cannot do to it:

- answer something that is not a page: a ``DecodeError`` naming path and offset;
- ignore ``offset``: the first page answered again at two later offsets in a row
  (while the total did not grow) is a ``DecodeError``;
- keep it busy: one iteration sends at most about three requests per page that the
  largest total seen (or the records received) justifies, then ``DecodeError``;
- end a list early: an empty page before the total is read once more, and if it is
  still empty, the list is short (below);
- fool the stop rule with a "total" that counts the page sent: past every record
  announced, an empty page announcing 0 ends the list (inside it, it is a deletion);
- lose records by deleting others: when the total shrinks, reading steps back by as
  much, so that records shifted towards the start are still delivered.

Repeats (records shifted by an insertion or by that step back) are dropped by
identity: the record's own ``sid`` for models whose documented ``sid`` identifies
the record (``sid_prefix``, only values with that prefix), otherwise only an exact
repeat of the whole record. The most recent identities are remembered (a bounded
window), so memory stays flat over millions of records.

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
page counts, as data rather than a shift). Then, per ``on_short_list``: ``"raise"``
(the default) raises :class:`IncompleteListError` (``expected``, ``received``) after
the records already yielded; ``"warn"`` ends the list with what the server sent,
logs one WARNING (method, route template, expected, received), counts it in
``client.stats.short_lists`` and sets :attr:`Paginator.incomplete` to that error.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from contextlib import aclosing
from itertools import islice
from typing import TYPE_CHECKING, Generic, TypeVar

import anyio

from ._envelope import Envelope, read_envelope
from ._page_size import FALLBACK, PageSize
from ._protocol import Request
from ._tracing import Tracing
from ._walk import PREFETCH, SEEN_WINDOW, OnShortList, Walk, identity
from .errors import APIError, DecodeError, IncompleteListError
from .models import JSONValue, Page
from .stats import ClientStats

if TYPE_CHECKING:
    from .frames import DataFrame

__all__ = ["Paginator"]

T = TypeVar("T")

Fetch = Callable[[Request], Awaitable[JSONValue]]

_log = logging.getLogger("smarterproctoring_async")


class Paginator(Generic[T]):
    """Every record of a list endpoint, fetched page by page as you iterate.

    ``async for item in paginator`` yields records across all pages,
    :meth:`pages` yields :class:`~smarterproctoring_async.Page` objects and
    :meth:`collect` returns a list. Nothing is fetched until iteration starts, and
    each iteration starts over with fresh requests. See the module documentation
    for the stop rule and the errors a misbehaving server gets.

    :attr:`incomplete` is ``None``, or, after an iteration that ended short under
    ``on_short_list="warn"``, the :class:`IncompleteListError` it did not raise.
    """

    #: The short list the latest iteration to end reported instead of raising (with
    #: ``on_short_list="warn"``); ``None`` when it was complete. Reset when an
    #: iteration starts.
    incomplete: IncompleteListError | None

    def __init__(
        self,
        fetch: Fetch,
        request: Request,
        decode: Callable[[object], T],
        *,
        page_size: int | PageSize,
        sid_prefix: str | None = None,
        model: type | None = None,
        stats: ClientStats | None = None,
        tracing: Tracing | None = None,
        on_short_list: OnShortList = "raise",
    ) -> None:
        self._fetch = fetch
        self._stats = stats
        self._tracing = tracing
        self._model = model
        self._request = request
        self._path = request.path
        self._decode = decode
        # Shared with the client: a size refused once is not asked for again.
        self._sizes = page_size if isinstance(page_size, PageSize) else PageSize(page_size)
        self._sid_prefix = sid_prefix
        self._on_short_list = on_short_list
        self.incomplete = None

    def __repr__(self) -> str:
        return f"<Paginator {self._path} page_size={self._sizes!r}>"

    def __aiter__(self) -> AsyncIterator[T]:
        return self._items()

    async def _items(self) -> AsyncIterator[T]:
        pages = self.pages()
        try:
            async for page in pages:
                for item in page.items:
                    yield item
        finally:
            await pages.aclose()

    async def collect(self) -> list[T]:
        """Every record, as a list."""
        items: list[T] = []
        # Page by page: one step of the async machinery per page rather than per record.
        async with aclosing(self.pages()) as pages:
            async for page in pages:
                items += page.items
        return items

    async def to_dataframe(self) -> DataFrame:
        """Every record as a pandas DataFrame: snake_case columns, timezone-aware dates.

        Needs the ``pandas`` extra (``pip install 'smarterproctoring-async[pandas]'``);
        without it, ImportError before any request. Columns are those of
        :func:`smarterproctoring_async.frames.to_dataframe`.
        """
        # Imported here: pandas is optional, and frames imports it only when called.
        from .frames import paginator_to_dataframe

        return await paginator_to_dataframe(self, model=self._model)  # type: ignore[arg-type]

    async def pages(self) -> AsyncGenerator[Page[T], None]:
        """Yield each page in order, with repeated records already removed."""
        route = self._request.route
        walk = Walk(self._sizes.for_route(route))
        self.incomplete = None
        counts = None if self._stats is None else self._stats.for_route(route)
        if self._tracing is not None:
            walk.run = self._tracing.start_run(
                f"paginate {route}" if route else "paginate",
                {"url.template": route} if route else {},
            )
            if walk.run is not None:
                walk.run.final = lambda: {
                    "smarterproctoring.pages": walk.pages,
                    "smarterproctoring.records": walk.delivered,
                }
        failure: BaseException | None = None
        try:
            while True:
                start = walk.offset
                envelope = await self._take(walk)
                if start == 0 and not envelope.paged:
                    yield self._page(envelope, 0, walk)
                    return
                if not envelope.items and envelope.total == 0 and start >= walk.most:
                    # Past every record ever announced, the list says it is empty: the
                    # end (a server whose "total" counts the page it sends), not a
                    # deletion to step back from.
                    self._at_end(walk)
                    return
                if walk.shrunk(envelope, start):
                    # Records before this point were deleted, shifting later ones
                    # towards the start: step back by as much, repeats are dropped.
                    await _cancel(walk.ahead)
                    continue
                if not envelope.items:
                    if walk.total is None or start >= walk.total:
                        self._at_end(walk)
                        return
                    if walk.reread_at != start:
                        walk.reread_at = start
                        continue
                    self._short(
                        walk,
                        walk.total,
                        f"the server announced {walk.total} records but sent no more after "
                        f"{walk.delivered} (empty page at offset {start}, read twice)",
                    )
                    return
                page = self._page(envelope, start, walk)
                if start == 0:
                    walk.first = envelope.items
                elif page.items or start < walk.readback_until or walk.grew:
                    walk.echoes = 0
                else:
                    self._check_moved(envelope, start, walk)
                more = walk.advance(len(envelope.items), start)
                if more:
                    # Before the consumer sees this page, so its work overlaps the fetching.
                    self._plan(walk)
                if page.items:
                    walk.pages += 1
                    if counts is not None:
                        counts.pages += 1
                    yield page
                if not more:
                    self._at_end(walk)
                    return
        except BaseException as exc:
            failure = exc
            raise
        finally:
            await _cancel(walk.ahead)
            if walk.run is not None:
                walk.run.end(failure)

    def _at_end(self, walk: Walk) -> None:
        """At the natural end, fewer records than the smallest total announced is short.

        Rows that swapped across a page boundary under an order without a unique
        tie-breaker land here: one was read twice (and dropped), the other never.
        """
        missing = walk.shortfall()
        if missing:
            assert walk.least is not None  # a shortfall needs a total
            self._short(
                walk,
                walk.least,
                f"the list ended with {walk.delivered} records, {missing} fewer than the "
                f"{walk.least} the server announced (rows may have moved between pages: "
                "the API's order has no unique tie-breaker)",
            )

    def _short(self, walk: Walk, expected: int, what: str) -> None:
        """A short list: raise it, or (``on_short_list="warn"``) say so once and mark it."""
        error = IncompleteListError(
            f"GET {self._path}: {what}; Client(on_short_list='warn') takes what the "
            "server sent instead, with a WARNING",
            path=self._path,
            expected=expected,
            received=walk.delivered,
        )
        if self._on_short_list == "raise":
            raise error
        self.incomplete = error
        route = self._request.route
        if self._stats is not None:
            self._stats.for_route(route).short_lists += 1
        # The template and counts only: the path holds SIDs and the server chose no word.
        _log.warning(
            "%s %s: a short list: the server announced %d records and sent %d; "
            "delivered what it sent (on_short_list='warn')",
            self._request.method,
            route,
            expected,
            walk.delivered,
        )

    def _check_moved(self, envelope: Envelope, start: int, walk: Walk) -> None:
        """Refuse the first page answered at two later offsets in a row.

        That is a server ignoring ``offset``. Records inserted at the head while paging
        can shift seen records (even the first page's, once) under a later offset;
        such pages pass, within the request budget.
        """
        prefix = self._sid_prefix
        again = [identity(raw, prefix) for raw in envelope.items]
        first = [identity(raw, prefix) for raw in walk.first[: len(again)]]
        walk.echoes = walk.echoes + 1 if again == first else 0
        if walk.echoes >= 2:
            raise DecodeError(
                f"GET {self._path} (offset {start}): the server answered the first page "
                "again at every offset; it seems to ignore 'offset'"
            )

    async def _take(self, walk: Walk) -> Envelope:
        """The page starting at ``walk.offset``: fetched ahead, or fetched now."""
        ahead, offset = walk.ahead, walk.offset
        while ahead and ahead[0][0] <= offset:
            start, task = ahead.popleft()
            envelope = await task
            # A page longer than the first one overlaps this one: drop the overlap.
            items = envelope.items[offset - start :]
            if items or not envelope.items or start == offset:
                return Envelope(items, envelope.total, envelope.paged)
        # A short page left a gap before the next planned page: fill just that gap.
        size = walk.page_size
        limit = min(size, ahead[0][0] - offset) if ahead else size
        return await self._get(walk, offset, limit)

    def _plan(self, walk: Walk) -> None:
        if walk.total is None or not walk.stride:
            return
        walk.next_plan = max(walk.next_plan, walk.offset)
        while len(walk.ahead) < PREFETCH and walk.next_plan < walk.total:
            start = walk.next_plan
            task = asyncio.create_task(self._get(walk, start, walk.page_size))
            walk.ahead.append((start, task))
            walk.next_plan += walk.stride

    async def _get(self, walk: Walk, offset: int, limit: int) -> Envelope:
        walk.requests += 1
        if walk.requests > walk.allowed():
            raise DecodeError(
                f"GET {self._path} (offset {offset}): {walk.requests} requests, more than "
                f"the announced total ({walk.most}) justifies; the server keeps paging"
            )
        request = self._request.page(offset, limit)
        try:
            if walk.run is None:
                data = await self._fetch(request)
            else:
                # Attached only around the fetch (no yield inside), so the request's span
                # nests under the iteration's, in whichever task fetches it.
                with walk.run.attached():
                    data = await self._fetch(request)
        except APIError as error:
            # Any 400, a ServerFailureError included (a refusal worded as a failure).
            if error.status != 400 or not self._sizes.may_fall_back(limit):
                raise
            refused = True
        else:
            refused = False
        if refused:
            # A 400 need not name the size it refuses ("Invalid request query input"):
            # the same page once more at the fallback before the 400 counts. Asked out
            # of the except block, so a 400 there too is raised without the first chained.
            envelope = await self._get(walk, offset, FALLBACK)
            self._sizes.fell_back(request.method, self._request.route, limit)
            walk.page_size = FALLBACK
            walk.unit = min(walk.unit, FALLBACK)
            return envelope
        try:
            return read_envelope(data, grouped=self._request.grouped)
        except DecodeError as exc:
            raise DecodeError(f"GET {self._path} (offset {offset}): {exc}") from None

    def _page(self, envelope: Envelope, offset: int, walk: Walk) -> Page[T]:
        items: list[T] = []
        decode, seen, prefix = self._decode, walk.seen, self._sid_prefix
        walk.pages_read += 1
        number = walk.pages_read
        for index, raw in enumerate(envelope.items):
            key = identity(raw, prefix)
            if key in seen:
                if seen[key] == number:
                    walk.twins += 1
                continue
            seen[key] = number
            try:
                items.append(decode(raw))
            except DecodeError as exc:
                raise DecodeError(f"GET {self._path}, record {offset + index}: {exc}") from None
        if len(seen) > 2 * SEEN_WINDOW:
            # Forget the oldest identities in one sweep per page rather than one per record.
            for old in list(islice(seen, len(seen) - SEEN_WINDOW)):
                del seen[old]
        walk.delivered += len(items)
        return Page(items=tuple(items), total=envelope.total, offset=offset)


async def _cancel(ahead: deque[tuple[int, asyncio.Task[Envelope]]]) -> None:
    """Cancel the pages fetched ahead and wait for them, even while being cancelled."""
    tasks = [task for _, task in ahead]
    ahead.clear()
    for task in tasks:
        task.cancel()
    with anyio.CancelScope(shield=True):
        await asyncio.gather(*tasks, return_exceptions=True)
