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
window), so memory stays flat over millions of records. Two records of one page under
one SID must be one record twice, or the second is said and counts as missing
(``Walk.twin``).

Short lists (fewer records delivered than announced) and what ``on_short_list`` does
about them: see ``_short_list``. ``Paginator.with_options`` bounds an iteration
(``max_items``) and resumes one (``start_offset``, ``next_offset``).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from contextlib import aclosing
from typing import TYPE_CHECKING, Generic, TypeVar

import anyio

from ._envelope import Envelope, read_envelope
from ._interrupt import raise_plainly
from ._page_size import FALLBACK, PageSize
from ._protocol import Request, path_sids
from ._short_list import at_end, short
from ._tracing import Tracing
from ._walk import PREFETCH, OnShortList, Walk, identity
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

    :meth:`with_options` limits an iteration to ``max_items`` records and/or starts it
    at ``start_offset``; :attr:`next_offset` is where the next one would resume.
    """

    #: The short list the latest iteration reported instead of raising (with
    #: ``on_short_list="warn"``); ``None`` when complete. Reset when an iteration starts.
    incomplete: IncompleteListError | None
    #: After an iteration stopped (by ``max_items``, or by the consumer after a page),
    #: the offset to resume from with ``with_options(start_offset=...)``; ``None`` once
    #: the list was read to its end. Reset when an iteration starts.
    next_offset: int | None

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
        self._fetch, self._stats, self._tracing, self._model = fetch, stats, tracing, model
        self._request = request
        self._path = request.path
        self._decode = decode
        # Shared with the client: a size refused once is not asked for again.
        self._sizes = page_size if isinstance(page_size, PageSize) else PageSize(page_size)
        self._sid_prefix = sid_prefix
        self._on_short_list = on_short_list
        self._start_offset = 0
        self._max_items: int | None = None
        self.incomplete = self.next_offset = None

    def __repr__(self) -> str:
        return f"<Paginator {self._path} page_size={self._sizes!r}>"

    def with_options(
        self, *, max_items: int | None = None, start_offset: int | None = None
    ) -> Paginator[T]:
        """This list, read from ``start_offset`` (0: the start) and stopped after
        ``max_items`` records (``None``: all); an option left out keeps this paginator's.

        No request goes past the pages those records need (read-ahead included) or asks
        for more records than are still wanted. To read a long list in parts, resume
        each from the previous part's :attr:`next_offset`; offsets are the server's, so
        records added or deleted before it between parts shift what a part starts with.
        Bad values raise TypeError or ValueError at once, before any request.
        """
        copy = Paginator.__new__(Paginator)
        copy.__dict__.update(self.__dict__)
        copy.incomplete = copy.next_offset = None
        if max_items is not None:
            copy._max_items = _count("max_items", max_items, least=1)
        if start_offset is not None:
            copy._start_offset = _count("start_offset", start_offset, least=0)
        return copy

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
        try:  # page by page: one step of the async machinery per page, not per record
            async with aclosing(self.pages()) as pages:
                async for page in pages:
                    items += page.items
        except asyncio.CancelledError as exc:  # one line, not a traceback deep in aiohttp
            raise_plainly(exc, "collect()")
        return items

    async def to_dataframe(self) -> DataFrame:
        """Every record as a pandas DataFrame: snake_case columns, timezone-aware dates.

        Needs the ``pandas`` extra (``pip install 'smarterproctoring-async[pandas]'``);
        without it, ImportError before any request. Columns are those of
        :func:`smarterproctoring_async.frames.to_dataframe`.
        """
        from .frames import paginator_to_dataframe  # here: pandas is optional

        sids = path_sids(self._request.route, self._request.path)
        parents = sids if "sessionSid" in sids else None  # lead, as in the bulk's frames
        frame = paginator_to_dataframe(self, model=self._model, parents=parents)  # type: ignore[arg-type]
        return await frame

    async def pages(self) -> AsyncGenerator[Page[T], None]:
        """Yield each page in order, with repeated records already removed."""
        route = self._request.route
        walk = Walk(self._sizes.for_route(route), self._start_offset, self._max_items)
        self.incomplete = self.next_offset = None
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
                if start == walk.origin and not envelope.paged:
                    # A whole list in one answer: a resumed one skips what it had.
                    whole = Envelope(envelope.items[start:], envelope.total, False)
                    yield self._page(whole, start, walk)
                    self.next_offset = None if walk.cut_at is None else start + walk.cut_at
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
                if start == walk.origin:
                    walk.first = envelope.items
                elif page.items or start < walk.readback_until or walk.grew:
                    walk.echoes = 0
                else:
                    self._check_moved(envelope, start, walk)
                more = walk.advance(len(envelope.items), start, fresh=bool(page.items))
                if walk.left is not None:
                    walk.left -= len(page.items)
                if more and walk.left != 0:
                    # Before the consumer sees this page, so its work overlaps the fetching.
                    self._plan(walk)
                # Where a resumed list would start: past this page, or past its records
                # delivered when max_items cut it.
                self.next_offset = start + (walk.cut_at or len(envelope.items))
                if page.items:
                    walk.pages += 1
                    if counts is not None:
                        counts.pages += 1
                    yield page
                if walk.left == 0:
                    return  # max_items delivered: stopping is not a short list
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
        """The natural end: keep the short list's error when it is only a warning."""
        self.next_offset = None
        self.incomplete = at_end(walk, self._request, self._on_short_list, self._stats)

    def _short(self, walk: Walk, expected: int, what: str) -> None:
        """A short list: raise it, or keep it under ``on_short_list="warn"``."""
        self.next_offset = None
        self.incomplete = short(
            walk, self._request, self._on_short_list, self._stats, expected, what
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
        size = walk.limit_at(offset)
        limit = min(size, ahead[0][0] - offset) if ahead else size
        return await self._get(walk, offset, limit)

    def _plan(self, walk: Walk) -> None:
        until = walk.planned_until()
        if walk.total is None or until is None or not walk.stride:
            return
        walk.next_plan = max(walk.next_plan, walk.offset)
        while len(walk.ahead) < PREFETCH and walk.next_plan < until:
            start = walk.next_plan
            task = asyncio.create_task(self._get(walk, start, walk.limit_at(start)))
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
        left = walk.left
        for index, raw in enumerate(envelope.items):
            if left is not None and len(items) >= left:
                walk.cut_at = index  # max_items reached inside this page
                break
            key = identity(raw, prefix)
            if key in seen:
                if seen[key] == number:  # first seen in this very page: a twin
                    walk.twin(key, raw, envelope.items, prefix, offset + index)
                continue
            seen[key] = number
            try:
                items.append(decode(raw))
            except DecodeError as exc:
                raise DecodeError(f"GET {self._path}, record {offset + index}: {exc}") from None
        walk.page_done(self._path)
        walk.delivered += len(items)
        return Page(items=tuple(items), total=envelope.total, offset=offset)


def _count(name: str, value: object, *, least: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < least:
        raise ValueError(f"{name} must be at least {least}, got {value}")
    return value


async def _cancel(ahead: deque[tuple[int, asyncio.Task[Envelope]]]) -> None:
    """Cancel the pages fetched ahead and wait for them, even while being cancelled."""
    tasks = [task for _, task in ahead]
    ahead.clear()
    for task in tasks:
        task.cancel()
    if tasks:  # the common end has none: no shielded scope to set up
        with anyio.CancelScope(shield=True):
            await asyncio.gather(*tasks, return_exceptions=True)
