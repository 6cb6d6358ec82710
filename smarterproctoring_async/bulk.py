"""The fan-out engine: items -> async work -> results, bounded, streamed or gathered.

It knows no endpoint (what one item's work is lives in ``resources/``; the client wires
them). Three bounds hold at once: at most ``concurrency`` items in progress, at most
``buffer`` finished results waiting for the consumer (a slow consumer pauses the work
instead of growing memory), and input items are pulled one at a time only when a slot
is free, so a million-item iterable is never held in memory.

Results come out of an async context manager that hands over a stream; nothing yields
from inside a task group. Any exception escaping ``work`` is fatal: every other item is
cancelled and the exception itself (no exception group, no ``__context__``) is raised to
the consumer. Per-item failures must therefore be returned as values by ``work``. An
async input is closed (``aclose()``) when the run ends however it ends, so a paginator
feeding it stops its own requests before the ``async with`` is left.
"""

from __future__ import annotations

from collections import deque
from collections.abc import (
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Iterator,
    Sequence,
    Sized,
)
from contextlib import nullcontext
from types import TracebackType
from typing import Any, Generic, TypeVar

import anyio
from anyio.abc import TaskGroup
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from ._tracing import Run
from .errors import raise_alone

__all__ = ["FanOut", "FlatFanOut", "gather"]

T = TypeVar("T")
R = TypeVar("R")

Items = Iterable[T] | AsyncIterable[T]


class FanOut(Generic[T, R]):
    """``async with FanOut(items, work, concurrency=n) as results: async for r in results``.

    Results arrive in completion order. ``on_result(result)`` runs for each result as
    soon as its work finishes (before it is buffered), so progress reporting does not
    wait for a slow consumer. Leaving the ``async with`` early, or cancelling the task
    around it, cancels all work in progress. ``start_run``: called on entering, it
    may start a span that the work's own spans nest under; that span ends with the
    run (marked failed by a fatal error).
    """

    def __init__(
        self,
        items: Items[T],
        work: Callable[[T], Awaitable[R]],
        *,
        concurrency: int,
        buffer: int | None = None,
        on_result: Callable[[R], object] | None = None,
        start_run: Callable[[], Run | None] | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, got {concurrency}")
        self._items = items
        self._work = work
        self._concurrency = concurrency
        self._buffer = concurrency if buffer is None else buffer
        self._on_result = on_result
        self._start_run = start_run
        self._run_span: Run | None = None
        self._fatal: BaseException | None = None
        self._outer: TaskGroup | None = None
        self._inner: TaskGroup | None = None
        self._receive: MemoryObjectReceiveStream[R] | None = None

    def __aiter__(self) -> AsyncIterator[R]:
        raise TypeError(
            "iterate the stream inside its context manager: "
            "async with client.stream_session_results(refs) as results: async for r in results"
        )

    async def __aenter__(self) -> AsyncIterator[R]:
        if self._outer is not None:
            raise RuntimeError("a FanOut runs once; call the method again for a new run")
        send, receive = anyio.create_memory_object_stream[R](self._buffer)
        self._receive = receive
        self._outer = anyio.create_task_group()
        await self._outer.__aenter__()
        if self._start_run is not None:
            self._run_span = self._start_run()
        # The tasks take the context they are started in: the run's span, if any.
        with self._run_span.attached() if self._run_span is not None else nullcontext():
            self._outer.start_soon(self._run, send)
        return _Results(receive, self)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        assert self._outer is not None and self._receive is not None
        # Stop whatever is still running (the consumer may have left early), and wait
        # for it. The consumer's own exception is not handed to the task group, so it
        # propagates unchanged rather than wrapped in an exception group.
        self._outer.cancel_scope.cancel()
        try:
            await self._outer.__aexit__(None, None, None)
        finally:
            self._receive.close()
            if self._run_span is not None:
                self._run_span.end(self._fatal or exc)
        if exc is None and self._fatal is not None:
            raise_alone(self._fatal)

    async def _run(self, send: MemoryObjectSendStream[R]) -> None:
        # A fixed set of workers, each pulling the next item when it is free: no task,
        # stream clone or semaphore per item, and the input is still read lazily.
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
        if self._fatal is None:
            self._fatal = exc
        assert self._inner is not None
        self._inner.cancel_scope.cancel()


class _Results(AsyncIterator[R]):
    """The consumer's end: results in completion order, then the fatal error if any."""

    def __init__(self, receive: MemoryObjectReceiveStream[R], run: FanOut[T, R]) -> None:
        self._receive = receive
        self._run = run

    async def __anext__(self) -> R:
        try:
            try:
                return self._receive.receive_nowait()
            except anyio.WouldBlock:
                return await self._receive.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError):
            if self._run._fatal is not None:
                # Not chained to the end of the stream: the fatal error comes alone.
                raise_alone(self._run._fatal)
            raise StopAsyncIteration from None


class FlatFanOut(Generic[T, R]):
    """A :class:`FanOut` whose work gives several results per item, handed out one by one.

    The bounds are the FanOut's, counted in items: a slow consumer pauses the work
    once ``buffer`` items' results wait.
    """

    def __init__(self, run: FanOut[T, Sequence[R]]) -> None:
        self._run = run

    def __aiter__(self) -> AsyncIterator[R]:
        return self._run.__aiter__()  # type: ignore[return-value]  # raises TypeError

    async def __aenter__(self) -> AsyncIterator[R]:
        return _Flat(await self._run.__aenter__())

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self._run.__aexit__(exc_type, exc, traceback)


class _Flat(AsyncIterator[R]):
    def __init__(self, batches: AsyncIterator[Sequence[R]]) -> None:
        self._batches = batches
        self._ready: deque[R] = deque()

    async def __anext__(self) -> R:
        while not self._ready:
            self._ready.extend(await anext(self._batches))
        return self._ready.popleft()


async def gather(
    items: Items[T],
    work: Callable[[T], Awaitable[R]],
    *,
    concurrency: int,
    on_result: Callable[[R], object] | None = None,
    into: list[R] | None = None,
    start_run: Callable[[], Run | None] | None = None,
) -> list[R]:
    """Run ``work`` over ``items`` with bounded concurrency; results in input order.

    ``into``, if given, gets each result appended as it arrives (completion order),
    so what was fetched survives an interrupted or cancelled call.
    """
    results: dict[int, R] = {}

    def file(index: int, result: R) -> None:
        # Kept (and in ``into``) before ``on_result`` runs: a progress callback that
        # raises loses nothing.
        results[index] = result
        if into is not None:
            into.append(result)
        if on_result is not None:
            on_result(result)

    run = _Gathering(items, work, file, concurrency=concurrency, start_run=start_run)
    async with run as done:
        async for _ in done:  # pragma: no cover - nothing is sent: this waits for the end
            pass
    return [results[i] for i in range(len(results))]


class _Gathering(FanOut[tuple[int, T], R]):
    """``gather``'s run: each worker files its result by input index as soon as the work
    ends. Nothing goes through the stream, so the caller's task is not woken once per
    result, and no coroutine per item wraps the work to carry the index."""

    def __init__(
        self,
        items: Items[T],
        work: Callable[[T], Awaitable[R]],
        file: Callable[[int, R], None],
        *,
        concurrency: int,
        start_run: Callable[[], Run | None] | None,
    ) -> None:
        super().__init__(_enumerate(items), _unused, concurrency=concurrency, start_run=start_run)
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


async def _unused(item: object) -> Any:  # pragma: no cover - _Gathering calls its own work
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
