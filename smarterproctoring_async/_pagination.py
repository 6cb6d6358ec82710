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
  still empty, :class:`IncompleteListError` says how many records were expected;
- fool the stop rule with a "total" that counts the page sent: past every record
  announced, an empty page announcing 0 ends the list (inside it, it is a deletion);
- lose records by deleting others: when the total shrinks, reading steps back by as
  much, so that records shifted towards the start are still delivered.

Repeats (records shifted by an insertion or by that step back) are dropped by
identity: the record's own ``sid`` for models whose documented ``sid`` identifies
the record (``sid_prefix``, only values with that prefix), otherwise only an exact
repeat of the whole record. The most recent identities are remembered (a bounded
window), so memory stays flat over millions of records.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
from collections import deque
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Awaitable,
    Callable,
    Hashable,
    Sequence,
)
from contextlib import aclosing
from itertools import islice
from typing import TYPE_CHECKING, Generic, TypeVar

import anyio

from ._page_size import FALLBACK, PageSize
from ._protocol import Envelope, Request, read_envelope
from ._tracing import Run, Tracing
from .errors import DecodeError, IncompleteListError, InvalidInputError
from .models import JSONValue, Page
from .stats import ClientStats

if TYPE_CHECKING:
    from .frames import DataFrame

__all__ = ["Paginator"]

T = TypeVar("T")

Fetch = Callable[[Request], Awaitable[JSONValue]]

#: Pages requested ahead of the one being consumed (bounds memory and server load).
PREFETCH = 4
#: How many recent record identities are remembered to drop repeats.
SEEN_WINDOW = 10_000
#: Requests one iteration may send per page its totals justify, and a flat allowance
#: (pages fetched ahead, the confirming request, a re-read).
REQUESTS_PER_PAGE = 3
SPARE_REQUESTS = PREFETCH + 4


class Paginator(Generic[T]):
    """Every record of a list endpoint, fetched page by page as you iterate.

    ``async for item in paginator`` yields records across all pages,
    :meth:`pages` yields :class:`~smarterproctoring_async.Page` objects and
    :meth:`collect` returns a list. Nothing is fetched until iteration starts, and
    each iteration starts over with fresh requests. See the module documentation
    for the stop rule and the errors a misbehaving server gets.
    """

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
        walk = _Walk(self._sizes.size)
        route = self._request.route
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
                    return
                if walk.shrunk(envelope, start):
                    # Records before this point were deleted, shifting later ones
                    # towards the start: step back by as much, repeats are dropped.
                    await _cancel(walk.ahead)
                    continue
                if not envelope.items:
                    if walk.total is None or start >= walk.total:
                        return
                    if walk.reread_at != start:
                        walk.reread_at = start
                        continue
                    raise IncompleteListError(
                        f"GET {self._path}: the server announced {walk.total} records but "
                        f"sent no more after {walk.delivered} (empty page at offset {start}, "
                        "read twice)",
                        path=self._path,
                        expected=walk.total,
                        received=walk.delivered,
                    )
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
                    return
        except BaseException as exc:
            failure = exc
            raise
        finally:
            await _cancel(walk.ahead)
            if walk.run is not None:
                walk.run.end(failure)

    def _check_moved(self, envelope: Envelope, start: int, walk: _Walk) -> None:
        """Refuse the first page answered at two later offsets in a row.

        That is a server ignoring ``offset``. Records inserted at the head while paging
        can shift seen records (even the first page's, once) under a later offset;
        such pages pass, within the request budget.
        """
        prefix = self._sid_prefix
        again = [_identity(raw, prefix) for raw in envelope.items]
        first = [_identity(raw, prefix) for raw in walk.first[: len(again)]]
        walk.echoes = walk.echoes + 1 if again == first else 0
        if walk.echoes >= 2:
            raise DecodeError(
                f"GET {self._path} (offset {start}): the server answered the first page "
                "again at every offset; it seems to ignore 'offset'"
            )

    async def _take(self, walk: _Walk) -> Envelope:
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

    def _plan(self, walk: _Walk) -> None:
        if walk.total is None or not walk.stride:
            return
        walk.next_plan = max(walk.next_plan, walk.offset)
        while len(walk.ahead) < PREFETCH and walk.next_plan < walk.total:
            start = walk.next_plan
            task = asyncio.create_task(self._get(walk, start, walk.page_size))
            walk.ahead.append((start, task))
            walk.next_plan += walk.stride

    async def _get(self, walk: _Walk, offset: int, limit: int) -> Envelope:
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
        except InvalidInputError as exc:
            if not self._sizes.refused(exc, limit):
                raise
            # The size "auto" chose was refused: the same page again, at the fallback.
            walk.page_size = self._sizes.size
            walk.unit = min(walk.unit, walk.page_size)
            try:
                return await self._get(walk, offset, min(limit, walk.page_size))
            except InvalidInputError:
                self._sizes.not_refused()
                raise
        try:
            return read_envelope(data)
        except DecodeError as exc:
            raise DecodeError(f"GET {self._path} (offset {offset}): {exc}") from None

    def _page(self, envelope: Envelope, offset: int, walk: _Walk) -> Page[T]:
        items: list[T] = []
        decode, seen, prefix = self._decode, walk.seen, self._sid_prefix
        for index, raw in enumerate(envelope.items):
            key = _identity(raw, prefix)
            if key in seen:
                continue
            seen[key] = None
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


class _Walk:
    """The state of one iteration: where it is, what the server said, what it cost."""

    def __init__(self, page_size: int) -> None:
        self.page_size = page_size
        self.offset = 0  # the next offset to read, in order
        self.total: int | None = None  # the latest total announced
        self.most = 0  # the largest total announced
        self.grew = False  # whether the latest page announced a larger total
        self.stride = 0  # the first page's length: the server's page size
        self.unit = page_size  # the shortest non-empty page so far
        self.delivered = 0
        self.requests = 0
        self.first: Sequence[object] = ()  # the records of the page at offset 0
        self.echoes = 0  # later pages in a row that were the first page again
        self.reread_at = -1  # the offset of an empty page already read twice
        self.readback_until = 0  # pages before this may repeat records after a step back
        self.next_plan = 0
        self.seen: dict[Hashable, None] = {}  # insertion-ordered: the oldest come first
        self.ahead: deque[tuple[int, asyncio.Task[Envelope]]] = deque()
        self.pages = 0  # pages delivered
        self.run: Run | None = None  # the iteration's span, when tracing

    def allowed(self) -> int:
        pages = math.ceil(max(self.most, self.delivered, 1) / max(self.unit, 1))
        return REQUESTS_PER_PAGE * pages + SPARE_REQUESTS

    def shrunk(self, envelope: Envelope, start: int) -> bool:
        """Note the page's total; true when it shrank and reading stepped back."""
        total, before = envelope.total, self.total
        if total is None:
            self.grew = False
            return False
        self.total, self.most = total, max(self.most, total)
        self.grew = before is not None and total > before
        if before is None or total >= before or start == 0:
            return False
        self.offset = max(0, start - (before - total))
        self.readback_until = start + max(self.stride, len(envelope.items))
        self.next_plan = self.offset
        return True

    def advance(self, received: int, start: int) -> bool:
        """Move past a non-empty page; false when the list is over."""
        if not self.stride:
            self.stride = received
        self.unit = min(self.unit, received)
        self.offset = start + received
        if self.total is None or self.offset < self.total:
            return True
        # The total is reached. A full page may mean a capped total: confirm the end. A
        # first page shorter than asked is the server's page size, which a total may
        # also be capped at: from the API's default size of 50 on, it is confirmed too.
        full = received >= (min(self.page_size, FALLBACK) if start == 0 else self.stride)
        return full


def _identity(raw: object, prefix: str | None) -> Hashable:
    """What makes a record itself: its own SID where documented, else all of it."""
    if type(raw) is dict:
        sid = raw.get("sid")
        if prefix is not None and type(sid) is str and sid.startswith(prefix):
            return sid
    # Only an exact repeat of the whole record (as the server ordered its fields) is
    # dropped; a digest keeps the remembered window small.
    return hashlib.blake2b(repr(raw).encode(), digest_size=16).digest()


async def _cancel(ahead: deque[tuple[int, asyncio.Task[Envelope]]]) -> None:
    """Cancel the pages fetched ahead and wait for them, even while being cancelled."""
    tasks = [task for _, task in ahead]
    ahead.clear()
    for task in tasks:
        task.cancel()
    with anyio.CancelScope(shield=True):
        await asyncio.gather(*tasks, return_exceptions=True)
