"""The fan-out engine's workers: what :mod:`.bulk` runs inside its task group.

A fixed set of workers per run, each pulling the next input item only when it is free
(one at a time from an async input, which is closed however the run ends), sending
results to the consumer's stream or, for ``gather``, filing them by input index. The
first exception escaping the work (or the input) is the run's fatal error: it is kept,
and the workers are cancelled.
"""

from __future__ import annotations

from collections.abc import (
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Iterator,
    Sized,
)
from typing import Any, Generic, TypeVar

import anyio
from anyio.abc import TaskGroup
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from .errors import raise_alone

__all__ = ["Engine", "Gathering", "Items", "Results"]

T = TypeVar("T")
R = TypeVar("R")

Items = Iterable[T] | AsyncIterable[T]


class Engine(Generic[T, R]):
    """The workers of one run: a fixed set, each pulling the next item when it is free.

    No task, stream clone or semaphore per item, and the input is still read lazily.
    """

    def __init__(
        self,
        items: Items[T],
        work: Callable[[T], Awaitable[R]],
        *,
        concurrency: int,
        on_result: Callable[[R], object] | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, got {concurrency}")
        self._items = items
        self._work = work
        self._concurrency = concurrency
        self._on_result = on_result
        self.fatal: BaseException | None = None
        self._inner: TaskGroup | None = None

    async def run(self, send: MemoryObjectSendStream[R]) -> None:
        """Run every item's work, sending the results; closes ``send`` when done."""
        async with send, anyio.create_task_group() as inner:
            self._inner = inner
            workers = self._concurrency
            if isinstance(self._items, Sized):
                workers = max(1, min(workers, len(self._items)))
            if isinstance(self._items, AsyncIterable):
                async with _closing(self._items) as items:
                    pull = _async_puller(items)
                    async with anyio.create_task_group() as pool:
                        for _ in range(workers):
                            pool.start_soon(self._worker, pull, send.clone())
            else:
                pull = _sync_puller(iter(self._items))
                for _ in range(workers):
                    inner.start_soon(self._worker, pull, send.clone())

    async def _worker(self, pull: _Pull[T], send: MemoryObjectSendStream[R]) -> None:
        async with send:
            while True:
                try:
                    more, item = await pull()
                except Exception as exc:  # the input itself failed (e.g. a report paginator)
                    self._stop(exc)
                    return
                if not more:
                    return
                try:
                    result = await self._work(item)
                    if self._on_result is not None:
                        self._on_result(result)
                except Exception as exc:
                    self._stop(exc)
                    return
                try:
                    send.send_nowait(result)
                except anyio.WouldBlock:
                    # The buffer is full: this worker waits (and pulls nothing more), so a
                    # slow consumer pauses the work instead of piling up finished results.
                    await send.send(result)

    def _stop(self, exc: BaseException) -> None:
        if self.fatal is None:
            self.fatal = exc
        assert self._inner is not None
        self._inner.cancel_scope.cancel()


class Results(AsyncIterator[R]):
    """The consumer's end: results in completion order, then the fatal error if any."""

    def __init__(self, receive: MemoryObjectReceiveStream[R], engine: Engine[Any, R]) -> None:
        self._receive = receive
        self._engine = engine

    async def __anext__(self) -> R:
        try:
            try:
                return self._receive.receive_nowait()
            except anyio.WouldBlock:
                return await self._receive.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError):
            if self._engine.fatal is not None:
                # Not chained to the end of the stream: the fatal error comes alone.
                raise_alone(self._engine.fatal)
            raise StopAsyncIteration from None


class Gathering(Engine[tuple[int, T], R]):
    """``gather``'s workers: each files its result by input index as soon as the work
    ends. Nothing goes through the stream, so the caller's task is not woken once per
    result, and no coroutine per item wraps the work to carry the index."""

    def __init__(
        self,
        items: Items[T],
        work: Callable[[T], Awaitable[R]],
        file: Callable[[int, R], None],
        *,
        concurrency: int,
    ) -> None:
        super().__init__(_enumerate(items), _unused, concurrency=concurrency)
        self._each = work
        self._file = file

    async def _worker(self, pull: _Pull[tuple[int, T]], send: MemoryObjectSendStream[R]) -> None:
        async with send:
            while True:
                try:
                    more, pair = await pull()
                except Exception as exc:  # the input itself failed
                    self._stop(exc)
                    return
                if not more:
                    return
                try:
                    self._file(pair[0], await self._each(pair[1]))
                except Exception as exc:
                    self._stop(exc)
                    return


async def _unused(item: object) -> Any:  # pragma: no cover - Gathering calls its own work
    raise NotImplementedError


_Pull = Callable[[], Awaitable[tuple[bool, T]]]
"""Takes the next input item: ``(True, item)``, or ``(False, None)`` once it is over."""


def _sync_puller(iterator: Iterator[T]) -> _Pull[T]:
    async def pull() -> tuple[bool, T]:
        for item in iterator:
            return True, item
        return False, None  # type: ignore[return-value]

    return pull


def _async_puller(iterator: AsyncIterator[T]) -> _Pull[T]:
    # One worker at a time: an async generator refuses a second __anext__ while the
    # first is still running.
    lock = anyio.Lock(fast_acquire=True)
    over = False

    async def pull() -> tuple[bool, T]:
        nonlocal over
        async with lock:
            if over:
                return False, None  # type: ignore[return-value]
            try:
                return True, await anext(iterator)
            except StopAsyncIteration:
                over = True
                return False, None  # type: ignore[return-value]

    return pull


class _closing(Generic[T]):
    """``async with _closing(items) as it``: iterate, then ``aclose()`` the iterator.

    The close is shielded: it must also run when the run is being cancelled, or a
    paginator's pages fetched ahead would outlive the ``async with``.
    """

    def __init__(self, items: AsyncIterable[T]) -> None:
        self._iterator = aiter(items)

    async def __aenter__(self) -> AsyncIterator[T]:
        return self._iterator

    async def __aexit__(self, *exc_info: object) -> None:
        close = getattr(self._iterator, "aclose", None)
        if close is not None:
            with anyio.CancelScope(shield=True):
                await close()


def _enumerate(items: Items[T]) -> Items[tuple[int, T]]:
    # A plain iterable stays plain: the workers then take items without an async
    # generator and a lock per item.
    if isinstance(items, AsyncIterable):
        return _aenumerate(items)
    return enumerate(items)


async def _aenumerate(items: AsyncIterable[T]) -> AsyncIterator[tuple[int, T]]:
    index = 0
    async with _closing(items) as iterator:
        async for item in iterator:
            yield index, item
            index += 1
