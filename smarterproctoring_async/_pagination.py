"""The one pagination loop, behind every list endpoint.

Offsets advance by the number of records actually received (a server may send
fewer than ``limit``). With a ``total`` in the first page, the remaining pages are
requested a few at a time ahead of the consumer and yielded in order; without one,
pages are read one by one until an empty page. Records whose ``sid`` was already
yielded in this iteration are skipped: when records are inserted while paging, the
end of one page shows up again at the start of the next. Lists whose rows may share
a ``sid`` (a learner listed once per exam) are read with ``dedupe=False``.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterator
from itertools import islice
from typing import Generic, TypeVar

import anyio

from ._protocol import Envelope, QueryPairs, read_envelope
from .errors import DecodeError
from .models import JSONValue, Page

__all__ = ["Paginator"]

T = TypeVar("T")

Fetch = Callable[[str, QueryPairs], Awaitable[JSONValue]]

#: Pages requested ahead of the one being consumed (bounds memory and server load).
PREFETCH = 4
#: How many recent SIDs are remembered to drop repeats; bounded so that an
#: iteration over millions of records keeps constant memory.
SEEN_WINDOW = 10_000


class Paginator(Generic[T]):
    """Every record of a list endpoint, fetched page by page as you iterate.

    ``async for item in paginator`` yields records across all pages,
    :meth:`pages` yields :class:`~smarterproctoring_async.Page` objects and
    :meth:`collect` returns a list. Nothing is fetched until iteration starts, and
    each iteration starts over with fresh requests.
    """

    def __init__(
        self,
        fetch: Fetch,
        path: str,
        query: QueryPairs,
        decode: Callable[[object], T],
        *,
        page_size: int,
        dedupe: bool = True,
    ) -> None:
        self._fetch = fetch
        self._path = path
        self._query = query
        self._decode = decode
        self._page_size = page_size
        self._dedupe = dedupe

    def __repr__(self) -> str:
        return f"<Paginator {self._path} page_size={self._page_size}>"

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
        return [item async for item in self]

    async def pages(self) -> AsyncGenerator[Page[T], None]:
        """Yield each page in order, with repeated SIDs already removed."""
        seen: dict[str, None] = {}  # insertion-ordered: the oldest SIDs come first
        first = await self._get(0, self._page_size)
        stride, total = len(first.items), first.total
        if total is None:
            yield self._page(first, 0, seen)
            offset = stride
            while stride:
                page = await self._get(offset, self._page_size)
                if not page.items:
                    return
                yield self._page(page, offset, seen)
                offset += len(page.items)
            return

        # The total is known: request later pages ahead, at offsets one stride apart,
        # before the consumer sees page one, so its work overlaps with the fetching.
        planned = iter(range(stride, total, stride) if stride else ())
        ahead: deque[tuple[int, asyncio.Task[Envelope]]] = deque()
        try:
            self._plan(planned, ahead)
            yield self._page(first, 0, seen)
            offset = stride
            while ahead:
                start, task = ahead[0]
                if offset < start:
                    # A short page left a gap before the next planned page: fill it.
                    page = await self._get(offset, min(self._page_size, start - offset))
                    if not page.items:
                        return
                else:
                    ahead.popleft()
                    page = await task
                    if not page.items:
                        return
                    # A page longer than the first one overlaps this one: drop the overlap.
                    page = Envelope(page.items[offset - start :], page.total)
                self._plan(planned, ahead)
                total = page.total if page.total is not None else total
                if page.items:
                    yield self._page(page, offset, seen)
                    offset += len(page.items)
            # Records added while paging raise the total: read on until it is reached.
            while stride and offset < total:
                page = await self._get(offset, self._page_size)
                if not page.items:
                    return
                total = page.total if page.total is not None else total
                yield self._page(page, offset, seen)
                offset += len(page.items)
        finally:
            for _, task in ahead:
                task.cancel()
            # Shielded: when the consumer itself is being cancelled, the pages fetched
            # ahead must still be waited for, or they would outlive it.
            with anyio.CancelScope(shield=True):
                await asyncio.gather(*(task for _, task in ahead), return_exceptions=True)

    def _plan(
        self, planned: Iterator[int], ahead: deque[tuple[int, asyncio.Task[Envelope]]]
    ) -> None:
        while len(ahead) < PREFETCH and (start := next(planned, None)) is not None:
            ahead.append((start, asyncio.create_task(self._get(start, self._page_size))))

    async def _get(self, offset: int, limit: int) -> Envelope:
        query = (*self._query, ("offset", str(offset)), ("limit", str(limit)))
        data = await self._fetch(self._path, query)
        try:
            return read_envelope(data)
        except DecodeError as exc:
            raise DecodeError(f"GET {self._path} (offset {offset}): {exc}") from None

    def _page(self, envelope: Envelope, offset: int, seen: dict[str, None]) -> Page[T]:
        items: list[T] = []
        decode = self._decode
        for index, raw in enumerate(envelope.items):
            sid = raw.get("sid") if self._dedupe and type(raw) is dict else None
            if isinstance(sid, str):
                if sid in seen:
                    continue
                seen[sid] = None
            try:
                items.append(decode(raw))
            except DecodeError as exc:
                raise DecodeError(f"GET {self._path}, record {offset + index}: {exc}") from None
        if len(seen) > 2 * SEEN_WINDOW:
            # Forget the oldest SIDs in one sweep per page rather than one per record.
            for old in list(islice(seen, len(seen) - SEEN_WINDOW)):
                del seen[old]
        return Page(items=tuple(items), total=envelope.total, offset=offset)
