"""Enterprise transport: an explicit proxy, proxies from the environment, a private CA,
and what a refused connection says."""

from __future__ import annotations

import socket
import ssl
from collections.abc import AsyncIterator

import anyio
import pytest
import trustme

import smarterproctoring_async as sp

from ._helpers import connected, make_client, session_of
from ._server import ES, Conn, MiniAPI, RawServer, Request, json_response, session_path, sid

PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "WS_PROXY", "WSS_PROXY")


@pytest.fixture(autouse=True)
def clean_proxy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARS:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    monkeypatch.setenv("NETRC", "/nonexistent/netrc")


class Proxy:
    """A forward proxy that answers every absolute-form request itself."""

    def __init__(self) -> None:
        self.api = MiniAPI({ES: 0})

    async def __call__(self, request: Request, conn: Conn) -> None:
        if not request.target.startswith("http://"):
            await conn.send(json_response({"code": "NOTAPROXYREQUEST"}, 400))
            return
        await conn.send(json_response({**self.api.details(ES), "viaProxy": True}))


@pytest.fixture
async def origin() -> AsyncIterator[RawServer]:
    async with RawServer(MiniAPI({ES: 0}), max_requests=50) as server:
        yield server


@pytest.fixture
async def proxy() -> AsyncIterator[RawServer]:
    async with RawServer(Proxy(), max_requests=50) as server:
        yield server


async def test_an_explicit_proxy_carries_the_request(origin: RawServer, proxy: RawServer) -> None:
    async with make_client(origin.base_url, proxy=proxy.base_url) as client:
        with anyio.fail_after(5):
            details = await session_of(client).get()
    assert details.extra.get("viaProxy") is True
    assert [r.target for r in proxy.requests] == [f"{origin.base_url}{session_path()}"]
    assert origin.requests == []


async def test_trust_env_uses_http_proxy(
    origin: RawServer, proxy: RawServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.base_url)
    async with make_client(origin.base_url, trust_env=True) as client:
        with anyio.fail_after(5):
            await session_of(client).get()
    assert len(proxy.requests) == 1 and origin.requests == []


async def test_the_environment_is_ignored_by_default(
    origin: RawServer, proxy: RawServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.base_url)
    monkeypatch.setenv("http_proxy", proxy.base_url)
    async with make_client(origin.base_url) as client:
        with anyio.fail_after(5):
            await session_of(client).get()
    assert proxy.requests == [] and len(origin.requests) == 1


async def test_trust_env_honours_no_proxy(
    origin: RawServer, proxy: RawServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.base_url)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    async with make_client(origin.base_url, trust_env=True) as client:
        with anyio.fail_after(5):
            await session_of(client).get()
    assert proxy.requests == [] and len(origin.requests) == 1


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


class TLSOrigin(RawServer):
    """An HTTPS origin counting TLS handshakes (by the SNI the client sends)."""

    handshakes = 0


@pytest.fixture
async def tls_origin(ca: trustme.CA) -> AsyncIterator[TLSOrigin]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    server = TLSOrigin(MiniAPI({ES: 0}), ssl=context, max_requests=50)

    def count(sock: object, name: str | None, context: ssl.SSLContext) -> None:
        server.handshakes += 1

    context.sni_callback = count
    async with server:
        yield server


async def test_an_unknown_ca_is_a_transport_error_not_retried_forever(
    tls_origin: TLSOrigin,
) -> None:
    # By name, so that the client sends SNI and the server counts each handshake.
    base_url = f"https://localhost:{tls_origin.port}"
    async with make_client(base_url) as client:
        with anyio.fail_after(5), pytest.raises(sp.TransportError) as info:
            await session_of(client).get()
    assert tls_origin.requests == []
    assert 1 <= tls_origin.handshakes <= 4
    assert "certificate" in str(info.value).lower() or "tls" in str(info.value).lower()


async def test_a_private_ca_context_is_used(tls_origin: TLSOrigin, ca: trustme.CA) -> None:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    async with make_client(tls_origin.base_url, ssl=context) as client:
        with anyio.fail_after(5):
            details = await session_of(client).get()
    assert details.sid == ES
    assert len(tls_origin.requests) == 1


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def test_a_refused_connection_names_host_port_reason_and_attempts(closed_port: int) -> None:
    retry = sp.RetryPolicy(max_attempts=3, base_delay=0.001, max_delay=0.01)
    async with make_client(f"http://127.0.0.1:{closed_port}", retry=retry) as client:
        with anyio.fail_after(5), pytest.raises(sp.TransportError) as info:
            await session_of(client).get()
    error = info.value
    assert error.host == "127.0.0.1"
    assert error.port == closed_port
    assert error.attempts == 3
    assert error.reason is not None and "refused" in error.reason.lower()
    message = str(error)
    assert "127.0.0.1" in message and str(closed_port) in message
    assert "refused" in message.lower()
    assert not isinstance(error, sp.TimeoutError)


async def test_reset_connections_are_retried_then_a_transport_error() -> None:
    async def drop(request: Request, conn: Conn) -> None:
        conn.reset()

    retry = sp.RetryPolicy(max_attempts=2, base_delay=0.001, max_delay=0.01)
    async with connected(drop, max_requests=50, retry=retry) as (server, client):
        with anyio.fail_after(5), pytest.raises(sp.TransportError) as info:
            await session_of(client, sid("ES", 9)).get()
    assert isinstance(info.value, sp.SmarterProctoringError)
    assert len(server.requests) >= 2
