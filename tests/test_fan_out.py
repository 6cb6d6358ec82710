"""The fan-out engine's context-manager face (``bulk.fan_out``), without the network:
results, bounds, the consumer's own errors and the run's fatal one, each as itself."""

from __future__ import annotations

from collections.abc import AsyncIterator

import anyio
import anyio.lowlevel
import pytest

import smarterproctoring_async as sp
from smarterproctoring_async.bulk import FanOut, FlatFanOut, fan_out, gather
from smarterproctoring_async.errors import InvalidFilterError
from smarterproctoring_async.sync._bulk_options import bulk_options


async def double(n: int) -> int:
    await anyio.lowlevel.checkpoint()
    return 2 * n


async def test_fan_out_streams_every_result_within_the_bound() -> None:
    running = peak = 0

    async def work(n: int) -> int:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await anyio.sleep(0.001)
        running -= 1
        return n

    async with fan_out(range(50), work, concurrency=4) as results:
        got = [r async for r in results]
    assert sorted(got) == list(range(50)) and peak == 4


async def test_an_async_input_is_closed_when_the_consumer_leaves_early() -> None:
    closed = anyio.Event()

    async def numbers() -> AsyncIterator[int]:
        try:
            for n in range(1000):
                yield n
        finally:
            closed.set()

    async with fan_out(numbers(), double, concurrency=2) as results:
        async for _ in results:
            break
    assert closed.is_set()


async def test_the_consumers_own_error_comes_out_as_itself() -> None:
    class Mine(Exception):
        pass

    async def consume() -> None:
        async with fan_out(range(10), double, concurrency=2) as results:
            async for _ in results:
                raise Mine

    with pytest.raises(Mine) as raised:
        await consume()
    assert type(raised.value) is Mine  # not an exception group


async def test_a_fatal_error_ends_the_run_alone() -> None:
    async def work(n: int) -> int:
        if n == 3:
            raise KeyError(n)
        return n

    async def consume() -> None:
        async with fan_out(range(10), work, concurrency=2) as results:
            async for _ in results:
                pass

    with pytest.raises(KeyError) as raised:
        await consume()
    assert raised.value.__context__ is None and raised.value.__cause__ is None


async def test_the_class_faces_wrap_the_same_run() -> None:
    run: FanOut[int, int] = FanOut(range(5), double, concurrency=2)
    async with run as results:
        assert sorted([r async for r in results]) == [0, 2, 4, 6, 8]
    with pytest.raises(RuntimeError, match="once"):
        async with run:
            pass

    async def pair(n: int) -> list[int]:
        return [n, n]

    flat: FlatFanOut[int, int] = FlatFanOut(FanOut(range(3), pair, concurrency=1))
    async with flat as results:
        assert [r async for r in results] == [0, 0, 1, 1, 2, 2]
    assert sp.FanOut is FanOut


def test_a_wrong_concurrency_is_refused_before_entering() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        fan_out(range(3), double, concurrency=0)
    with pytest.raises(ValueError, match="at least 1"):
        FanOut(range(3), double, concurrency=0)


async def test_gather_keeps_input_order() -> None:
    assert await gather(range(20), double, concurrency=3) == [2 * n for n in range(20)]


def test_bulk_options_are_checked_once_into_one_frozen_object() -> None:
    options = bulk_options(16, concurrency=None, details=0)  # type: ignore[arg-type]
    assert options.concurrency == 16 and options.details is False
    with pytest.raises(AttributeError):
        options.concurrency = 3  # type: ignore[misc]
    for wrong in ({"concurrency": 0}, {"concurrency": True}, {"plan": "fast"}):
        with pytest.raises(InvalidFilterError):
            bulk_options(16, **{"concurrency": None, **wrong})  # type: ignore[arg-type]
    with pytest.raises(InvalidFilterError):
        bulk_options(16, concurrency=None, only_terminal="yes")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        bulk_options(16, concurrency=None, on_progress=3)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        bulk_options(16, concurrency=None, into=())  # type: ignore[arg-type]
