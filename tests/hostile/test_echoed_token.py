"""The token echoed by a server where no error body is read: as a field name, in a
refused parameter's name (quoted as JSON quotes it), as a session's status, in a
redirect's host. No error text, attribute, pickle or log line may hold it."""

from __future__ import annotations

import logging
import pickle
from collections.abc import Callable

import anyio
import pytest

import smarterproctoring_async as sp

from ._helpers import connected, ref, session_of
from ._server import Conn, Handler, Request, json_response, response, session_path
from .test_secrets import chain, leaks

# Printable ASCII with the characters a quote escapes (", \) and a host may hold (.).
TOKEN = 'eyJ0eXAi.Ok"q7\\Zp9.x4mK2vT8wN'
ES = "ES" + "7" * 32


def echo(make: Callable[[str], bytes]) -> Handler:
    """A handler answering each request with ``make(the token it carried)``."""

    async def handle(request: Request, conn: Conn) -> None:
        await conn.send(make(request.headers.get("token", "")))

    return handle


def assert_hidden(error: BaseException) -> None:
    """No part of the token in the error, its attributes, its pickle, or what it was
    raised from (a paginator's DecodeError keeps the page's own as its context)."""
    for each in (error, *chain(error)):
        texts = [str(each), repr(each), *(repr(v) for v in vars(each).values())]
        assert [text for text in texts if leaks(text, TOKEN)] == []
        assert TOKEN.encode() not in pickle.dumps(each)


async def test_a_field_named_by_the_token_is_hidden_from_a_decode_error() -> None:
    handler = echo(lambda token: json_response({token: 1, "count": 0}))
    async with connected(handler, max_requests=20, token=TOKEN) as (_server, client):
        with anyio.fail_after(5), pytest.raises(sp.errors.DecodeError) as info:
            await session_of(client).events().collect()
        with anyio.fail_after(5), pytest.raises(sp.errors.DecodeError) as checked:
            await client.token_ttl()
    for error in (info.value, checked.value):
        assert "[token]" in str(error)
        assert_hidden(error)


async def test_a_refused_parameter_quoting_the_token_is_hidden() -> None:
    def refusal(token: str) -> bytes:
        validation = {"source": "query", "keys": [token]}
        body = {"statusCode": 400, "error": "Bad Request", "message": "bad", "name": token}
        return json_response({**body, "validation": validation}, 400)

    async with connected(echo(refusal), max_requests=20, token=TOKEN) as (_server, client):
        with anyio.fail_after(5), pytest.raises(sp.errors.InvalidInputError) as info:
            await session_of(client).get()
    assert info.value.parameters == ("[token]",)
    assert_hidden(info.value)


async def test_a_status_echoing_the_token_is_hidden_from_the_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="smarterproctoring_async")
    details = echo(lambda token: json_response({"sid": ref(ES).session_sid, "status": token}))
    async with connected(details, max_requests=20, token=TOKEN) as (_server, client):
        with anyio.fail_after(5):
            [result] = await client.gather_session_results([ref(ES)], only_terminal=True)
    assert result.skipped
    said = [record.getMessage() for record in caplog.records]
    assert any("does not document" in line for line in said), said
    assert [line for line in said if leaks(line, TOKEN)] == []


async def test_a_redirect_to_a_host_named_by_the_token_is_hidden() -> None:
    host = "k7q2zp9x4m.evil.example"
    token = "sk_live." + host.split(".")[0]
    moved = echo(lambda _: response(302, b"", headers=[("Location", f"http://{token}.x/")]))
    async with connected(moved, max_requests=20, token=token) as (_server, client):
        with anyio.fail_after(5), pytest.raises(sp.RedirectError) as info:
            await session_of(client).get()
    assert info.value.status == 302
    assert token not in str(info.value) and "[token]" in str(info.value)
    assert token.encode() not in pickle.dumps(info.value)
    assert session_path() in str(info.value)
