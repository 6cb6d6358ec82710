"""The token provider and a view's extra headers against the hostile server (not the
fake): what actually goes on the wire."""

from __future__ import annotations

import json

import anyio
import pytest

import smarterproctoring_async as sp

from ..hostile._helpers import make_client, session_of
from ..hostile._server import (
    ES,
    Handler,
    MiniAPI,
    RawServer,
    Request,
    answer,
    response,
    sid,
    stall,
)

OLD, NEW = "hostile-old-token-0123456789", "hostile-new-token-0123456789"
REFUSAL = json.dumps({"code": "5000", "message": "You are unauthorized.", "status": 401})


def gatekeeper(accepted: list[str], *, scoped_out: str | None = None) -> MiniAPI:
    """An API that accepts only ``accepted[0]``; ``/v1/check`` says whether a token works;
    ``scoped_out``: a session the token may not read (401 although it works)."""

    def fault(request: Request) -> Handler | None:
        works = request.headers.get("token") == accepted[0]
        if request.path == "/v1/check":
            if works:
                return answer(response(200, json.dumps({"validated": True}).encode()))
            return answer(response(401, REFUSAL.encode(), reason="Unauthorized"))
        if not works or (scoped_out is not None and scoped_out in request.path):
            return answer(response(401, REFUSAL.encode(), reason="Unauthorized"))
        return None

    return MiniAPI({ES: 0, sid("ES", 2): 0}, fault=fault)


async def test_a_rotated_token_is_fetched_again_and_sent_once_more() -> None:
    accepted, held, calls = [OLD], [OLD], []

    async def provider() -> str:
        calls.append(1)
        return held[0]

    async with (
        RawServer(gatekeeper(accepted)) as server,
        make_client(server.base_url, token=provider) as client,
    ):
        await session_of(client).get()
        accepted[0] = held[0] = NEW
        await session_of(client).get()
        sent = [(r.path.rsplit("/", 1)[-1], r.headers.get("token")) for r in server.requests]
    assert len(calls) == 2
    assert sent == [(ES, OLD), (ES, OLD), ("check", OLD), (ES, NEW)]


async def test_a_scope_refusal_is_not_a_renewal_and_not_a_loop() -> None:
    calls: list[int] = []

    def provider() -> str:
        calls.append(1)
        return OLD

    async with (
        RawServer(gatekeeper([OLD], scoped_out=ES)) as server,
        make_client(server.base_url, token=provider) as client,
    ):
        with pytest.raises(sp.PermissionDeniedError):
            await session_of(client).get()
        await session_of(client, sid("ES", 2)).get()  # the token works elsewhere
        sent = [r.path.rsplit("/", 1)[-1] for r in server.requests]
    assert calls == [1]
    assert sent == [ES, "check", sid("ES", 2)]


async def test_a_token_refused_after_renewal_is_raised_after_one_retry() -> None:
    calls: list[int] = []

    def provider() -> str:
        calls.append(1)
        return OLD  # the store was not updated: the new token is as dead as the old

    async with (
        RawServer(gatekeeper([NEW])) as server,
        make_client(server.base_url, token=provider) as client,
    ):
        with anyio.fail_after(5), pytest.raises(sp.AuthenticationError) as caught:
            await session_of(client).get()
        sent = len(server.requests)
    assert len(calls) == 2 and sent == 4  # request, check, request again, check
    assert OLD not in str(caught.value) and caught.value.__context__ is None


async def test_a_view_sends_its_extra_headers_and_the_client_does_not() -> None:
    async with (
        RawServer(gatekeeper([OLD])) as server,
        make_client(server.base_url, token=OLD) as client,
    ):
        view = client.with_options(headers={"X-Tenant": "north", "User-Agent": "svc/1.0"})
        await session_of(view).get()
        await session_of(client).get()
        nested = view.with_options(headers={"x-tenant": "south"})
        await session_of(nested).get()
        heads = [r.headers for r in server.requests]
    assert heads[0]["x-tenant"] == "north" and heads[0]["user-agent"] == "svc/1.0"
    assert heads[0]["token"] == OLD  # the SDK's own headers stay
    assert "x-tenant" not in heads[1] and heads[1]["user-agent"].startswith("smarterproctoring")
    assert heads[2]["x-tenant"] == "south" and heads[2]["user-agent"] == "svc/1.0"


async def test_a_401_to_a_token_renewed_meanwhile_is_sent_again_without_a_check() -> None:
    slow = sid("ES", 2)
    accepted, held = [OLD], [OLD]

    def fault(request: Request) -> Handler | None:
        works = request.headers.get("token") == accepted[0]
        if request.path == "/v1/check":
            body = json.dumps({"validated": True}).encode()
            return answer(response(200, body) if works else response(401, REFUSAL.encode()))
        if works:
            return None
        refused = answer(response(401, REFUSAL.encode(), reason="Unauthorized"))
        return stall(0.5, refused) if slow in request.path else refused

    async with (
        RawServer(MiniAPI({ES: 0, slow: 0}, fault=fault)) as server,
        make_client(server.base_url, token=lambda: held[0]) as client,
    ):
        await session_of(client).get()
        accepted[0] = held[0] = NEW
        async with anyio.create_task_group() as tg:
            tg.start_soon(session_of(client, slow).get)  # its 401 comes after the renewal
            await anyio.sleep(0.05)
            tg.start_soon(session_of(client).get)
        checks = [r for r in server.requests if r.path == "/v1/check"]
    assert len(checks) == 1  # the slow request's 401 was the old token's: no check
