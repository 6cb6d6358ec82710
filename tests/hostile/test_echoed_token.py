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

from ._helpers import connected, make_client, ref, session_of
from ._server import Conn, Handler, Request, json_response, response, session_path
from .test_secrets import chain, leaks

# Printable ASCII with the characters a quote escapes (", \) and a host may hold (.).
# JWT-long (text cut at 40 characters must be hidden first), with " and \ in it.
TOKEN = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOi"q7\\Zp9xZWNyZXQ.k7q2zp9x4mK2vT8wNsecretsignature'
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


async def test_a_total_echoing_the_token_is_hidden_before_it_is_cut() -> None:
    handler = echo(lambda token: json_response({"results": [], "total": token}))
    async with connected(handler, max_requests=20, token=TOKEN) as (_server, client):
        with anyio.fail_after(5), pytest.raises(sp.errors.DecodeError) as info:
            await session_of(client).events().collect()
    assert_hidden(info.value)


async def test_a_live_clients_token_stays_hidden_beside_many_newer_clients() -> None:
    first = "tenant-first-0123456789abcdef"
    handler = echo(lambda token: json_response({token: 1, "count": 0}))
    async with connected(handler, max_requests=20, token=first) as (server, client):
        others = [
            make_client(server.base_url, token=f"tenant-{n}-0123456789abcdef") for n in range(80)
        ]
        with anyio.fail_after(5), pytest.raises(sp.errors.DecodeError) as info:
            await session_of(client).events().collect()
        for other in others:
            await other.aclose()
    assert first not in str(info.value) and "[token]" in str(info.value)


async def test_another_live_clients_token_is_hidden_from_an_error_code() -> None:
    def refusal(_token: str) -> bytes:
        return json_response({"code": TOKEN, "message": "no"}, 400)

    async with (
        connected(echo(refusal), max_requests=20) as (_server, client),
        make_client("http://127.0.0.1:9", token=TOKEN),  # holds TOKEN while it lives
    ):
        with anyio.fail_after(5), pytest.raises(sp.errors.InvalidInputError) as info:
            await session_of(client).get()
    assert info.value.code == "[token]"
    assert_hidden(info.value)


async def test_an_api_error_made_anywhere_hides_a_live_token_in_each_field() -> None:
    async with make_client("http://127.0.0.1:9", token=TOKEN):
        error = sp.errors.APIError(400, TOKEN, f"x {TOKEN}", parameters=(TOKEN,))
    assert (error.code, error.message, error.parameters) == ("[token]", "x [token]", ("[token]",))
