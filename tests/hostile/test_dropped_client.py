"""A client dropped without being closed, against the hostile server: once garbage
collected, its connections are closed (the server sees them end) and one
ResourceWarning says so, instead of aiohttp's "Unclosed client session"."""

from __future__ import annotations

import asyncio
import gc
import weakref

import pytest

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
