"""A client dropped without being closed, against the hostile server: once garbage
collected, its connections are closed (the server sees them end) and one
ResourceWarning says so, instead of aiohttp's "Unclosed client session"."""

from __future__ import annotations

import asyncio
import gc
import queue
import threading
import warnings
import weakref
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

import smarterproctoring_async as sp

from ._helpers import make_client, session_of
from ._server import ES, MiniAPI, RawServer


async def test_a_dropped_client_closes_its_connections() -> None:
    async with RawServer(MiniAPI({ES: 0})) as server:
        client = make_client(server.base_url)
        await session_of(client).get()
        session = weakref.ref(client._transport.pool.session)  # type: ignore[arg-type]
        assert server._writers, "the connection stays open for the next request"
        del client
        with pytest.warns(ResourceWarning, match=r"dropped without being closed.*aclose\(\)"):
            gc.collect()
        for _ in range(100):
            if not server._writers:
                break
            await asyncio.sleep(0.01)
        assert not server._writers, "the server still holds the client's connection"
        assert session() is None or session().closed  # type: ignore[union-attr]


async def test_a_closed_client_warns_of_nothing() -> None:
    async with RawServer(MiniAPI({ES: 0})) as server:
        client = make_client(server.base_url)
        await session_of(client).get()
        await client.aclose()
        del client
        gc.collect()  # -W error: any warning here fails the test


@contextmanager
def server_in_a_thread() -> Iterator[RawServer]:
    """The hostile server on a loop of its own, outliving the client's ``asyncio.run``."""
    started: queue.Queue[RawServer] = queue.Queue()
    stop = threading.Event()

    async def serve() -> None:
        async with RawServer(MiniAPI({ES: 0})) as server:
            started.put(server)
            while not stop.is_set():  # noqa: ASYNC110 - set from another thread
                await asyncio.sleep(0.01)

    thread = threading.Thread(target=asyncio.run, args=(serve(),))
    thread.start()
    try:
        yield started.get(timeout=10)
    finally:
        stop.set()
        thread.join(10)


def test_a_client_whose_loop_ended_is_closed_from_the_next_one() -> None:
    # A script calling asyncio.run per step: the client's loop is gone when it closes.
    with server_in_a_thread() as server:
        client = make_client(server.base_url)
        asyncio.run(session_of(client).get())
        with _dead_sockets():
            asyncio.run(client.aclose())
        with pytest.raises(sp.errors.ClientStateError, match="closed"):
            asyncio.run(session_of(client).get())


def test_a_client_dropped_after_its_loop_ended_prints_nothing(
    capfd: pytest.CaptureFixture[str],
) -> None:
    with server_in_a_thread() as server:
        client = make_client(server.base_url)
        asyncio.run(session_of(client).get())
        del client
        with _dead_sockets(), pytest.warns(ResourceWarning, match="dropped without being closed"):
            gc.collect()
    # Not aiohttp's "Unclosed client session" / "Unclosed connector" through the dead loop.
    assert "Unclosed" not in capfd.readouterr().err


@contextmanager
def _dead_sockets() -> Iterator[None]:
    """The sockets of a loop that is gone: only the collector can close them, each with
    a ResourceWarning of asyncio's (expected here, hidden by default)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "unclosed", ResourceWarning)
        yield
        gc.collect()
