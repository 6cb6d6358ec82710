"""Secrets: the token never shows in errors, pickles, chains or logs; URLs holding
secrets are refused without being repeated; plain http only to loopback; redirects
never carry the token to another origin."""

from __future__ import annotations

import json
import logging
import pickle
import random
import string
from collections.abc import Iterator

import anyio
import pytest

import smarterproctoring_async as sp

from ._helpers import connected, session_of
from ._server import (
    AI,
    Conn,
    MiniAPI,
    RawServer,
    Request,
    answer,
    json_response,
    page,
    response,
    session_path,
    sid,
)

ALPHABET = string.ascii_letters + string.digits + "_-"


def make_token(seed: int) -> str:
    rng = random.Random(seed)
    return "eyJ" + "".join(rng.choice(ALPHABET) for _ in range(40))


def windows(token: str, size: int = 8) -> list[str]:
    return [token[i : i + size] for i in range(len(token) - size + 1)]


def leaks(text: str, token: str) -> list[str]:
    return [w for w in windows(token) if w in text]


def chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    stack = [error.__context__, error.__cause__]
    while stack:
        found = stack.pop()
        if found is not None and id(found) not in seen:
            seen.add(id(found))
            yield found
            stack += [found.__context__, found.__cause__]


def assert_no_token(error: BaseException, token: str) -> None:
    texts = [str(error), repr(error), *(repr(a) for a in error.args)]
    for name in ("message", "code", "path", "method", "reason", "host"):
        value = getattr(error, name, None)
        if value is not None:
            texts.append(str(value))
    for text in texts:
        assert leaks(text, token) == [], text[:400]
    pickled = pickle.dumps(error)
    assert [w for w in windows(token) if w.encode() in pickled] == []
    again = pickle.loads(pickled)
    assert type(again) is type(error)
    for text in (str(again), repr(again), str(getattr(again, "message", ""))):
        assert leaks(text, token) == []
    assert list(chain(error)) == []
    assert error.__context__ is None and error.__cause__ is None


def echo_message(token: str) -> str:
    """300 characters with the token starting at character 190."""
    text = "x" * 190 + token
    return text + "y" * (300 - len(text))


def echoing_bodies(token: str) -> dict[str, tuple[bytes, str]]:
    message = echo_message(token)
    return {
        "json": (json.dumps({"code": token, "message": message}).encode(), "application/json"),
        "json-errorCode": (
            json.dumps({"errorCode": "E" + token, "detail": message}).encode(),
            "application/json",
        ),
        "html": (f"<html><title>{message}</title></html>".encode(), "text/html"),
        "text": (message.encode(), "text/plain"),
    }


@pytest.mark.parametrize("status", [400, 401, 404, 409, 500])
@pytest.mark.parametrize("kind", ["json", "json-errorCode", "html", "text"])
async def test_an_error_body_echoing_the_token_does_not_leak_it(status: int, kind: str) -> None:
    token = make_token(status * 10 + len(kind))
    body, content_type = echoing_bodies(token)[kind]
    data = response(status, body, content_type=content_type)
    retry = sp.RetryPolicy(max_attempts=2, base_delay=0.001, max_delay=0.01)
    async with connected(answer(data), max_requests=50, token=token, retry=retry) as (
        _server,
        client,
    ):
        with anyio.fail_after(5), pytest.raises(sp.APIError) as info:
            await session_of(client).get()
    assert info.value.status == status
    assert_no_token(info.value, token)


async def test_a_transport_failure_does_not_leak_the_token() -> None:
    token = make_token(7)

    async def drop(request: Request, conn: Conn) -> None:
        conn.reset()

    async with connected(drop, max_requests=50, token=token) as (_server, client):
        with anyio.fail_after(5), pytest.raises(sp.TransportError) as info:
            await session_of(client).get()
    assert_no_token(info.value, token)


@pytest.mark.parametrize(
    ("base_url", "secret"),
    [
        ("https://user:pw@host.example", "pw"),
        ("https://h.example/?token=SECRET", "SECRET"),
        ("https://h.example/#SECRET", "SECRET"),
        ("https://user:SECRET@h.example:notaport", "SECRET"),
    ],
)
def test_a_base_url_holding_a_secret_is_refused_without_repeating_it(
    base_url: str, secret: str
) -> None:
    with pytest.raises(sp.ConfigurationError) as info:
        sp.Client("tok", base_url=base_url)
    assert secret not in str(info.value) and secret not in repr(info.value)
    assert info.value.__context__ is None or secret not in str(info.value.__context__)


def test_plain_http_to_a_remote_host_needs_an_explicit_opt_in() -> None:
    with pytest.raises(sp.ConfigurationError):
        sp.Client("tok", base_url="http://example.com")
    sp.Client("tok", base_url="http://example.com", allow_insecure_http=True)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]", "127.5.6.7"])
def test_plain_http_to_loopback_is_accepted(host: str) -> None:
    client = sp.Client("tok", base_url=f"http://{host}:8080")
    assert client.base_url == f"http://{host}:8080"


@pytest.mark.parametrize(
    ("listen", "host"), [("127.0.0.1", "127.0.0.1"), ("127.0.0.1", "localhost"), ("::1", "[::1]")]
)
async def test_plain_http_to_loopback_works(listen: str, host: str) -> None:
    api = MiniAPI({sid("ES", 1): 3})
    async with RawServer(api, host=listen) as server:
        base_url = f"http://{host}:{server.port}"
        async with sp.Client("tok", base_url=base_url, rate_limit=None) as client:
            with anyio.fail_after(5):
                details = await session_of(client, sid("ES", 1)).get()
    assert details.sid == sid("ES", 1)


def all_log_text(records: list[logging.LogRecord]) -> str:
    parts: list[str] = []
    for record in records:
        parts.append(record.getMessage())
        parts.append(repr(record.args))
        parts.append(str(record.exc_text or ""))
        parts.append(repr(record.__dict__))
    return "\n".join(parts)


async def test_debug_logs_name_filters_but_not_their_values(
    caplog: pytest.LogCaptureFixture,
) -> None:
    token = make_token(99)
    row = {"sid": sid("ES", 1), "examSid": sid("EX", 1), "installSid": AI}
    async with connected(answer(json_response(page([row], total=1))), token=token) as (
        server,
        client,
    ):
        with caplog.at_level(logging.DEBUG, logger="smarterproctoring_async"):
            with anyio.fail_after(5):
                got = (
                    await client.install(AI)
                    .reports.appointments(learner_email="ann@example.org", learner_first_name="Ann")
                    .collect()
                )
    assert len(got) == 1
    assert server.requests[0].query["learnerEmail"] == "ann@example.org"  # it was sent
    records = [r for r in caplog.records if r.name.startswith("smarterproctoring_async")]
    assert records
    text = "\n".join(r.getMessage() for r in records)
    assert "learnerEmail" in text and "learnerFirstName" in text
    everything = all_log_text(records)
    for value in ("ann@example.org", "ann%40example.org", "Ann"):
        assert value not in everything
    assert "offset=0" in text and "limit=10" in text, text
    assert AI in text
    assert leaks(everything, token) == []


async def test_debug_logs_of_failures_and_retries_hold_no_token(
    caplog: pytest.LogCaptureFixture,
) -> None:
    token = make_token(123)
    calls = 0
    message = echo_message(token)

    async def flaky(request: Request, conn: Conn) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            conn.reset()
        elif calls == 2:
            await conn.send(json_response({"code": token, "message": message}, 503))
        else:
            await conn.send(json_response({"code": token, "message": message}, 404))

    async with connected(flaky, max_requests=50, token=token) as (_server, client):
        with (
            caplog.at_level(logging.DEBUG),
            anyio.fail_after(5),
            pytest.raises(sp.NotFoundError),
        ):
            await session_of(client).get()
    assert calls >= 3
    assert leaks(all_log_text(caplog.records), token) == []


# ----------------------------------------------------------------- redirects


def redirect_to(location: str) -> bytes:
    return response(302, b"", headers=[("Location", location)])


async def test_a_redirect_to_https_on_another_port_is_refused() -> None:
    async with RawServer(answer(json_response({})), max_requests=10) as other:
        target = f"https://127.0.0.1:{other.port}{session_path()}"
        async with connected(answer(redirect_to(target)), max_requests=10) as (origin, client):
            with anyio.fail_after(5), pytest.raises(sp.RedirectError):
                await session_of(client).get()
        assert other.connections == 0
    assert len(origin.requests) == 1


async def test_a_redirect_to_another_host_name_on_the_same_port_is_refused() -> None:
    async def handle(request: Request, conn: Conn) -> None:
        await conn.send(redirect_to(f"http://localhost:{origin.port}{session_path()}?moved=1"))

    async with connected(handle, max_requests=10) as (origin, client):
        with anyio.fail_after(5), pytest.raises(sp.RedirectError):
            await session_of(client).get()
    assert len(origin.requests) == 1


async def test_a_redirect_within_the_origin_is_followed_with_the_token() -> None:
    api = MiniAPI({sid("ES", 1): 0})
    moved = session_path(sid("ES", 1))

    async def handle(request: Request, conn: Conn) -> None:
        if request.path == session_path():
            await conn.send(redirect_to(moved))
        else:
            await api(request, conn)

    async with connected(handle, max_requests=10, token="tok-redirect") as (origin, client):
        with anyio.fail_after(5):
            details = await session_of(client).get()
    assert details.sid == sid("ES", 1)
    assert [r.path for r in origin.requests] == [session_path(), moved]
    assert origin.requests[1].headers.get("token") == "tok-redirect"


async def test_a_redirect_to_a_long_foreign_location_is_refused() -> None:
    location = "http://evil.example/" + "a" * 5000 + "?token=" + make_token(5)
    async with connected(answer(redirect_to(location)), max_requests=10) as (origin, client):
        with anyio.fail_after(5), pytest.raises(sp.RedirectError):
            await session_of(client).get()
    assert len(origin.requests) == 1
