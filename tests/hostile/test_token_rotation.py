"""A token rotated in the secret store while requests are in flight, against a server that
is not our fake: the requests refused together share one ``/v1/check`` and one call of
the provider, whether it hands over the new token or fails."""

from __future__ import annotations

import asyncio
from typing import Any

import anyio
import pytest

import smarterproctoring_async as sp

from ._helpers import make_client, session_of
from ._server import Conn, RawServer, Request, json_response

OLD = "old-token-0123456789abcdef"
NEW = "new-token-0123456789abcdef"
DETAILS = {"sid": "ES" + "c" * 32, "status": "Closed"}
REFUSED = {"statusCode": 401, "error": "Unauthorized", "message": "Invalid token"}
CONCURRENT = 16


class StoreDown(Exception):
    """The secret store cannot be reached."""


async def rotated(provider_fails: bool) -> tuple[list[Any], int, int]:
    """The results of ``CONCURRENT`` requests sent after the rotation, the provider's
    calls after its first, and the ``/v1/check`` requests the server saw."""
    valid = {OLD}

    async def handle(request: Request, conn: Conn) -> None:
        works = request.headers.get("token") in valid
        if request.path == "/v1/check":
            answer = {"validated": True, "token": {"id": "x"}} if works else REFUSED
            await conn.send(json_response(answer, 200 if works else 401))
        else:
            await conn.send(json_response(DETAILS if works else REFUSED, 200 if works else 401))

    calls: list[str] = []

    async def provider() -> str:
        calls.append("asked")
        if len(calls) == 1:
            return OLD
        await asyncio.sleep(0)  # the secret store's round trip
        if provider_fails:
            raise StoreDown("the secret store is unreachable")
        return NEW

    async with RawServer(handle, max_requests=500) as server:
        async with make_client(server.base_url, token=provider) as client:
            await session_of(client).get()
            valid.clear()
            valid.add(NEW)  # rotated: the old token is refused from now on
            before = len(server.requests)
            with anyio.fail_after(10):
                results = await asyncio.gather(
                    *(session_of(client).get() for _ in range(CONCURRENT)), return_exceptions=True
                )
        checks = sum(r.path == "/v1/check" for r in server.requests[before:])
    return results, len(calls) - 1, checks


@pytest.mark.parametrize("provider_fails", [False, True], ids=["new-token", "store-down"])
async def test_requests_refused_together_share_one_check_and_one_provider_call(
    provider_fails: bool,
) -> None:
    results, calls, checks = await rotated(provider_fails)
    if provider_fails:
        assert all(isinstance(r, StoreDown) for r in results), results
    else:
        assert all(isinstance(r, sp.ExamSession) for r in results), results
    assert (calls, checks) == (1, 1)
