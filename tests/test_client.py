"""Client configuration, lifecycle, handles and event-loop binding."""

from __future__ import annotations

import asyncio

import pytest

import smarterproctoring_async as sp
from smarterproctoring_async.testing import FakeAPI

from .conftest import MakeClient, handle

TOKEN = "secret-token-abc123"
HEX = "0123456789abcdef" * 2


def test_missing_token_is_refused_at_construction(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SMARTERPROCTORING_TOKEN", raising=False)
    with pytest.raises(sp.ConfigurationError, match="SMARTERPROCTORING_TOKEN"):
        sp.Client()


@pytest.mark.parametrize(
    "token",
    [b"raw-bytes-token", "tok\x00en-secret", "tok\x7fen-secret", "tok en-secret\n", 12345],
)
def test_unusable_tokens_are_refused_without_echo(token: object) -> None:
    with pytest.raises(sp.ConfigurationError) as caught:
        sp.Client(token)  # type: ignore[arg-type]
    assert "secret" not in str(caught.value) and "raw-bytes" not in str(caught.value)


@pytest.mark.parametrize(
    "options",
    [
        {"max_concurrency": 2.5},
        {"max_concurrency": True},
        {"page_size": 0},
        {"page_size": "50"},
        {"burst": 1.5},
        {"max_response_bytes": 0},
        {"timeout": True},
        {"rate_limit": float("nan")},
        {"proxy": "socks5://127.0.0.1:1080"},
        {"ssl": True},
    ],
)
def test_bad_settings_are_configuration_errors(options: dict[str, object]) -> None:
    with pytest.raises(sp.ConfigurationError):
        sp.Client(TOKEN, **options)  # type: ignore[arg-type]


@pytest.mark.parametrize("attempts", [2.5, 0, True, "3"])
def test_retry_attempts_must_be_a_positive_int(attempts: object) -> None:
    with pytest.raises(sp.ConfigurationError):
        sp.RetryPolicy(max_attempts=attempts)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "url",
    [
        "https://user:hunter2-pw@api.example.com",
        "https://api.example.com/?token=hunter2-pw",
        "https://api.example.com/#hunter2-pw",
        "https://api.example.com:99999hunter2-pw",
    ],
)
def test_base_urls_with_secrets_are_refused_without_echo(url: str) -> None:
    with pytest.raises(sp.ConfigurationError) as caught:
        sp.Client(TOKEN, base_url=url)
    assert "hunter2" not in str(caught.value)


def test_plain_http_only_to_loopback_unless_asked() -> None:
    for url in ("http://127.0.0.1:8080", "http://localhost:8080", "http://[::1]:8080"):
        assert sp.Client(TOKEN, base_url=url).base_url == url
    with pytest.raises(sp.ConfigurationError, match="allow_insecure_http"):
        sp.Client(TOKEN, base_url="http://api.dev.smarterproctoring.com")
    client = sp.Client(TOKEN, base_url="http://api.example.com", allow_insecure_http=True)
    assert client.base_url == "http://api.example.com"


def test_environment_fallbacks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMARTERPROCTORING_TOKEN", TOKEN)
    monkeypatch.setenv("SMARTERPROCTORING_BASE_URL", "http://127.0.0.1:9/")
    client = sp.Client()
    assert client.base_url == "http://127.0.0.1:9"
    monkeypatch.delenv("SMARTERPROCTORING_BASE_URL")
    assert sp.Client().base_url == "https://api.smarterproctoring.com"


def test_repr_shows_settings_but_never_the_token() -> None:
    client = sp.Client(TOKEN, rate_limit=5.0, burst=2, max_concurrency=3)
    text = repr(client)
    assert "api.smarterproctoring.com" in text and "rate=5.0" in text and "burst=2" in text
    assert "max_concurrency=3" in text
    assert TOKEN not in text
    assert TOKEN not in repr(client._config)


@pytest.mark.parametrize(
    "options",
    [
        {"base_url": "ftp://x"},
        {"base_url": "api.smarterproctoring.com"},
        {"rate_limit": 0},
        {"burst": 0},
        {"max_concurrency": 0},
        {"page_size": 0},
        {"timeout": -1},
        {"retry": "often"},
    ],
)
def test_bad_settings_are_refused(options: dict[str, object]) -> None:
    with pytest.raises(sp.ConfigurationError):
        sp.Client(TOKEN, **options)  # type: ignore[arg-type]


def test_bad_retry_policy() -> None:
    with pytest.raises(sp.ConfigurationError):
        sp.RetryPolicy(max_attempts=0)
    with pytest.raises(sp.ConfigurationError):
        sp.RetryPolicy(base_delay=-1)


async def test_handles_do_no_io_and_check_sids(fake: FakeAPI, make_client: MakeClient) -> None:
    client = make_client()
    install = client.install("AI" + HEX)
    session = install.exam("EX" + HEX).session("ES" + HEX)
    assert session.ref == sp.SessionRef("AI" + HEX, "EX" + HEX, "ES" + HEX)
    session.events()  # a paginator, nothing fetched yet
    with pytest.raises(sp.InvalidSidError, match="installSid"):
        client.install("IN" + HEX)
    with pytest.raises(sp.InvalidSidError, match="examSid"):
        install.exam("EX" + HEX[:-1])
    with pytest.raises(sp.InvalidSidError, match="sessionSid"):
        client.session(sp.SessionRef("AI" + HEX, "EX" + HEX, "ES" + HEX.upper()))
    with pytest.raises(sp.InvalidSidError, match="eventReportSid"):
        await session.event("ER123")
    assert fake.requests == []


async def test_client_session_accepts_a_ref(fake: FakeAPI, make_client: MakeClient) -> None:
    s = fake.data.sessions[0]
    client = make_client()
    details = await client.session(sp.SessionRef(s.install_sid, s.exam_sid, s.sid)).get()
    assert details.sid == s.sid
    with pytest.raises(TypeError):
        client.session("ES" + HEX)  # type: ignore[arg-type]


async def test_unvalidated_sids_reach_the_server_encoded(
    fake: FakeAPI, make_client: MakeClient
) -> None:
    client = make_client(validate_sids=False)
    with pytest.raises(sp.InvalidInputError) as info:
        await client.install("bad sid").exam("EX" + HEX).session("ES" + HEX).get()
    # The framework's Boom 400 carries no code; it names the refused path parameter.
    assert info.value.code is None
    assert info.value.parameters == ("installSid",)
    assert fake.requests[-1].path.startswith("/v1/installs/bad%20sid/")
    with pytest.raises(sp.InvalidSidError):
        client.install("../../v2")
    assert len(fake.requests) == 1


async def test_closed_client_refuses_work(fake: FakeAPI) -> None:
    s = fake.data.sessions[0]
    async with sp.Client(fake.token, base_url=fake.base_url) as client:
        await handle(client, s).get()
    with pytest.raises(sp.ClientStateError, match="closed"):
        await handle(client, s).get()


async def test_lazy_open_without_context_manager(fake: FakeAPI) -> None:
    client = sp.Client(fake.token, base_url=fake.base_url)
    try:
        assert (await handle(client, fake.data.sessions[0]).get()).sid
    finally:
        await client.aclose()


def test_client_used_from_another_loop_raises_instead_of_hanging() -> None:
    loop = asyncio.new_event_loop()
    try:
        fake = FakeAPI()
        loop.run_until_complete(fake.start())
        s = fake.data.sessions[0]
        client = sp.Client(fake.token, base_url=fake.base_url)
        loop.run_until_complete(handle(client, s).get())

        async def elsewhere() -> None:
            with pytest.raises(sp.ClientStateError, match="another event loop"):
                await handle(client, s).get()
            with pytest.raises(sp.ClientStateError, match="another event loop"):
                await client.aclose()

        asyncio.run(elsewhere())
        loop.run_until_complete(handle(client, s).get())  # still fine on its own loop
        loop.run_until_complete(client.aclose())
        loop.run_until_complete(fake.stop())
    finally:
        loop.close()


async def test_pytest_plugin_fixtures(
    smarterproctoring_client: sp.Client, smarterproctoring_fake: FakeAPI
) -> None:
    s = smarterproctoring_fake.data.sessions[0]
    assert (await handle(smarterproctoring_client, s).get()).sid == s.sid
