"""The fan-out engine: items -> async work -> results, bounded, streamed or gathered.

It knows no endpoint (what one item's work is lives in ``sync/``, the plans; the client
wires them); its workers are in ``_fan_out``. Three bounds hold at once: at most
``concurrency`` items in progress, at most ``buffer`` finished results waiting for the
consumer (a slow consumer pauses the work instead of growing memory), and input items
are pulled one at a time only when a slot is free, so a million-item iterable is never
held in memory.

Results come out of an async context manager that hands over a stream:
:func:`fan_out`, an ``@asynccontextmanager`` as aiometer's ``amap`` is (:class:`FanOut`
is its class face). It yields once, in the consumer's own task, so the consumer's body
is the body of the run's task group as in any ``async with``; no async generator that
the consumer iterates ever yields from inside a task group. Any exception escaping
``work`` is fatal: every other item is cancelled and the exception itself (no exception
group, no ``__context__``) is raised to the consumer. Per-item failures must therefore
be returned as values by ``work``. An async input is closed (``aclose()``) when the run
ends however it ends, so a paginator feeding it stops its own requests before the
``async with`` is left.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Sequence,
)
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from types import TracebackType
from typing import Any, Generic, TypeVar

import anyio

from ._fan_out import Engine, Gathering, Items, Results
from ._interrupt import raise_plainly
from ._tracing import Run
from .errors import raise_alone

__all__ = ["FanOut", "FlatFanOut", "fan_out", "gather"]

T = TypeVar("T")
R = TypeVar("R")


def fan_out(
    items: Items[T],
    work: Callable[[T], Awaitable[R]],
    *,
    concurrency: int,
    buffer: int | None = None,
    on_result: Callable[[R], object] | None = None,
    start_run: Callable[[], Run | None] | None = None,
) -> AbstractAsyncContextManager[AsyncIterator[R]]:
    """``async with fan_out(items, work, concurrency=n) as results: async for r in results``.

    Results arrive in completion order. ``on_result(result)`` runs for each result as
    soon as its work finishes (before it is buffered), so progress reporting does not
    wait for a slow consumer. Leaving the ``async with`` early, or cancelling the task
    around it, cancels all work in progress. ``buffer``: the most finished results
    waiting for the consumer (default: ``concurrency``). ``start_run``: called on
    entering, it may start a span that the work's own spans nest under; that span ends
    with the run (marked failed by a fatal error). ``concurrency`` is checked here.
    """
    engine = Engine(items, work, concurrency=concurrency, on_result=on_result)
    return _running(engine, concurrency if buffer is None else buffer, start_run)


@asynccontextmanager
async def _running(
    engine: Engine[Any, R], buffer: int, start_run: Callable[[], Run | None] | None
) -> AsyncIterator[AsyncIterator[R]]:
    """The run itself (see :func:`fan_out`): the stream is the one thing yielded."""
    send, receive = anyio.create_memory_object_stream[R](buffer)
    # Entered and left by hand, never given the consumer's exception: it then propagates
    # unchanged rather than wrapped in an exception group. Its body is the consumer's
    # (this generator yields once, in the consumer's own task, as aiometer's amap does).
    outer = anyio.create_task_group()
    await outer.__aenter__()
    span = start_run() if start_run is not None else None
    left_by: BaseException | None = None
    try:
        # The tasks take the context they are started in: the run's span, if any.
        with span.attached() if span is not None else nullcontext():
            outer.start_soon(engine.run, send)
        yield Results(receive, engine)
    except asyncio.CancelledError as exc:  # noted for the span; says what it stopped
        left_by = exc
        raise_plainly(exc, "the bulk run")
    except BaseException as exc:  # noted for the span only; it propagates as it is
        left_by = exc
        raise
    finally:
        # Stop whatever is still running (the consumer may have left early), and wait.
        outer.cancel_scope.cancel()
        try:
            await outer.__aexit__(None, None, None)
        except asyncio.CancelledError as exc:
            raise_plainly(exc, "the bulk run")
        finally:
            receive.close()
            if span is not None:
                span.end(engine.fatal or left_by)
    if engine.fatal is not None:
        raise_alone(engine.fatal)


@asynccontextmanager
async def _flattened(
    run: AbstractAsyncContextManager[AsyncIterator[Sequence[R]]],
) -> AsyncIterator[AsyncIterator[R]]:
    async with run as batches:
        yield _Flat(batches)


class _Flat(AsyncIterator[R]):
    def __init__(self, batches: AsyncIterator[Sequence[R]]) -> None:
        self._batches = batches
        self._ready: deque[R] = deque()

    async def __anext__(self) -> R:
        while not self._ready:
            self._ready.extend(await anext(self._batches))
        return self._ready.popleft()


class _Once(Generic[R]):
    """A run as an object: ``async with`` enters it once; ``async for`` on it is refused.

    The base of :class:`FanOut` and :class:`FlatFanOut`, the classes the client's
    stream methods return (existing code names them).
    """

    def __init__(self, run: AbstractAsyncContextManager[AsyncIterator[R]]) -> None:
        self._run = run
        self._entered = False

    def __aiter__(self) -> AsyncIterator[R]:
        raise TypeError(
            "iterate the stream inside its context manager: "
            "async with client.stream_session_results(refs) as results: async for r in results"
        )

    async def __aenter__(self) -> AsyncIterator[R]:
        if self._entered:
            raise RuntimeError("a FanOut runs once; call the method again for a new run")
        self._entered = True
        return await self._run.__aenter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        # The run never swallows an exception: what the body raised propagates as it is.
        await self._run.__aexit__(exc_type, exc, traceback)


class FanOut(_Once[R], Generic[T, R]):
    """``async with FanOut(items, work, concurrency=n) as results: async for r in results``.

    The class face of :func:`fan_out` (same arguments, same guarantees), kept for the
    code that names it: what ``client.stream_session_results`` returns. It runs once.
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
        # Built now (nothing runs until entered): a wrong concurrency is refused at once.
        run = fan_out(
            items,
            work,
            concurrency=concurrency,
            buffer=buffer,
            on_result=on_result,
            start_run=start_run,
        )
        super().__init__(run)


class FlatFanOut(_Once[R], Generic[T, R]):
    """A :class:`FanOut` whose work gives several results per item, handed out one by one.

    The bounds are the FanOut's, counted in items: a slow consumer pauses the work
    once ``buffer`` items' results wait. What the exam-level stream methods return.
    """

    def __init__(self, run: FanOut[T, Sequence[R]]) -> None:
        super().__init__(_flattened(run))


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

    engine = Gathering(items, work, file, concurrency=concurrency)
    async with _running(engine, concurrency, start_run) as done:
        async for _ in done:  # pragma: no cover - nothing is sent: this waits for the end
            pass
    return [results[i] for i in range(len(results))]
