"""Only typed errors: odd totals, unparseable redirects, unusable settings."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

import smarterproctoring_async as sp

from ._helpers import FAST, TOKEN, connected, session_of
from ._server import (
    ES,
    RawServer,
    answer,
    event,
    json_response,
    page,
    response,
)


async def test_a_superscript_digit_total_is_a_decode_error() -> None:
    # "²".isdigit() is True, yet int("²") raises ValueError.
    body = json_response(page([event(ES, 0)], total="²"))
    async with connected(answer(body), max_requests=50) as (_server, client):
        with anyio.fail_after(5), pytest.raises(sp.DecodeError):
            await session_of(client).events().collect()


@pytest.mark.parametrize(
    "location",
    ["http://127.0.0.1:99999/", "http://[::1", "http://[::1]:99999/x", "http://a b/", "//[/"],
)
async def test_an_unparseable_redirect_is_a_redirect_error(location: str) -> None:
    data = response(302, b"", headers=[("Location", location)])
    async with connected(answer(data), max_requests=50) as (server, client):
        with anyio.fail_after(5), pytest.raises(sp.RedirectError):
            await session_of(client).get()
    assert len(server.requests) == 1


SECRET_TAIL = "s3cr3t-t0k3n-tail"


@pytest.mark.parametrize(
    ("token", "options", "hidden"),
    [
        (b"x", {}, ["b'x'"]),
        ("abc\x00" + SECRET_TAIL, {}, [SECRET_TAIL, "\\x00"]),
        ("abc\x7f" + SECRET_TAIL, {}, [SECRET_TAIL, "\\x7f"]),
        (TOKEN, {"max_concurrency": 2.5}, [TOKEN]),
        (TOKEN, {"page_size": 0}, [TOKEN]),
        (TOKEN, {"page_size": True}, [TOKEN]),
        (TOKEN, {"max_response_bytes": 0}, [TOKEN]),
        (TOKEN, {"burst": 1.5}, [TOKEN]),
        (TOKEN, {"ssl": "yes"}, [TOKEN]),
    ],
    ids=[
        "bytes-token",
        "nul-token",
        "del-token",
        "float-concurrency",
        "zero-page",
        "bool-page",
        "zero-max-bytes",
        "float-burst",
        "str-ssl",
    ],
)
async def test_unusable_settings_fail_at_construction(
    token: Any, options: dict[str, Any], hidden: list[str]
) -> None:
    async with RawServer(answer(json_response({})), max_requests=5) as server:
        with pytest.raises(sp.ConfigurationError) as info:
            sp.Client(token, base_url=server.base_url, retry=FAST, **options)
        assert server.connections == 0
    message = str(info.value)
    for text in hidden:
        assert text not in message and text not in repr(info.value)


def test_a_fractional_attempt_count_is_refused() -> None:
    with pytest.raises(sp.ConfigurationError):
        sp.RetryPolicy(max_attempts=2.5)  # type: ignore[arg-type]


async def test_every_error_status_maps_to_a_typed_error() -> None:
    for status in (300, 304, 305, 399, 402, 405, 418, 451, 499, 501, 599, 600, 999):
        async with connected(answer(response(status, b"nope")), max_requests=50) as (
            _server,
            client,
        ):
            with anyio.fail_after(5), pytest.raises(sp.SmarterProctoringError):
                await session_of(client).get()


async def test_a_success_status_without_json_is_a_typed_error() -> None:
    for status in (201, 204, 206, 299):
        async with connected(answer(response(status, b"")), max_requests=50) as (_server, client):
            with anyio.fail_after(5), pytest.raises(sp.SmarterProctoringError):
                await session_of(client).get()
