"""token= as a provider: asked before the first request, again after a 401 the token
itself earned (once, shared by concurrent requests), never for a scope refusal."""

from __future__ import annotations

import logging
import pickle

import anyio
import pytest

import smarterproctoring_async as sp
from smarterproctoring_async.testing import FakeAPI

from ..conftest import MakeClient, handle

OLD, NEW = "provider-token-old-0123456789", "provider-token-new-0123456789"


class Vault:
    """A secret store: hands out whatever it holds, counting the calls."""

    def __init__(self, token: object) -> None:
        self.token = token
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        return self.token  # type: ignore[return-value]

    async def fetch(self) -> str:
        self.calls += 1
        await anyio.sleep(0.01)  # a store's round trip: concurrent refusals overlap it
        return self.token  # type: ignore[return-value]


def paths(fake: FakeAPI) -> list[str]:
    return [
        r.path.rsplit("/", 1)[-1] if r.path == "/v1/check" else "session" for r in fake.requests
    ]


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_the_provider_is_asked_first_and_after_the_token_is_rotated(
    fake: FakeAPI, make_client: MakeClient, kind: str
) -> None:
    fake.token = OLD
    vault = Vault(OLD)
    client = make_client(token=vault if kind == "sync" else vault.fetch)
    s = fake.data.sessions[0]
    assert vault.calls == 0  # nothing asked before a request
    await handle(client, s).get()
    assert vault.calls == 1
    fake.token = vault.token = NEW  # rotated in the store and on the server
    details = await handle(client, s).get()
    assert details.sid == s.sid and vault.calls == 2
    # the refused request, the check that tells the token is gone, the request again
    assert paths(fake)[1:] == ["session", "check", "session"]
    assert fake.requests[-1].headers["token"] == NEW


async def test_concurrent_refusals_share_one_renewal(
    fake: FakeAPI, make_client: MakeClient
) -> None:
    fake.token = OLD
    vault = Vault(OLD)
    client = make_client(token=vault.fetch)
    sessions = fake.data.sessions[:12]
    await handle(client, sessions[0]).get()
    fake.token = vault.token = NEW
    async with anyio.create_task_group() as tg:
        for s in sessions:
            tg.start_soon(handle(client, s).get)
    assert vault.calls == 2  # one renewal for twelve refused requests
    assert client.stats.failures == 1  # the check of the old token; every request answered
    assert paths(fake).count("check") == 1


async def test_a_second_401_after_the_renewal_is_raised(
    fake: FakeAPI, make_client: MakeClient
) -> None:
    fake.token = NEW
    vault = Vault(OLD)  # the store still holds a revoked token
    client = make_client(token=vault)
    with anyio.fail_after(5), pytest.raises(sp.AuthenticationError):
        await handle(client, fake.data.sessions[0]).get()
    assert vault.calls == 2  # the first token, and one renewal: no loop
    assert paths(fake) == ["session", "check", "session", "check"]


async def test_a_scope_refusal_does_not_call_the_provider(
    fake: FakeAPI, make_client: MakeClient
) -> None:
    s = fake.data.sessions[0]
    fake.token = OLD
    fake.denied_sids = {s.exam_sid}
    vault = Vault(OLD)
    client = make_client(token=vault)
    with pytest.raises(sp.PermissionDeniedError):
        await handle(client, s).get()
    assert vault.calls == 1
    assert paths(fake) == ["session", "check"]


@pytest.mark.parametrize("returned", ["", "  ", None, 42, b"bytes-token", "line\nbreak"])
async def test_what_the_provider_returns_is_checked(
    fake: FakeAPI, make_client: MakeClient, returned: object
) -> None:
    client = make_client(token=Vault(returned))
    with pytest.raises(sp.ConfigurationError, match="token provider") as caught:
        await handle(client, fake.data.sessions[0]).get()
    assert "break" not in str(caught.value)
    assert fake.requests == []


async def test_what_the_provider_raises_reaches_the_caller_as_it_is(
    fake: FakeAPI, make_client: MakeClient
) -> None:
    class VaultDown(Exception):
        pass

    def broken() -> str:
        raise VaultDown("the secret store is unreachable")

    client = make_client(token=broken)
    with pytest.raises(VaultDown):
        await handle(client, fake.data.sessions[0]).get()
    assert fake.requests == []


async def test_a_provided_token_shows_nowhere(
    fake: FakeAPI, make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="smarterproctoring_async")
    fake.token = OLD
    vault = Vault(OLD)
    client = make_client(token=vault)
    await handle(client, fake.data.sessions[0]).get()
    fake.token = vault.token = NEW
    await handle(client, fake.data.sessions[0]).get()
    shown = repr(client) + repr(client._config) + caplog.text
    assert OLD not in shown and NEW not in shown
    assert "provider gave a new one" in caplog.text
    with pytest.raises(TypeError):
        pickle.dumps(client._config)


def test_a_string_token_and_the_environment_still_work(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMARTERPROCTORING_TOKEN", OLD)
    assert sp.Client()._config.tokens.current == OLD
    assert sp.Client(NEW)._config.tokens.current == NEW
    monkeypatch.delenv("SMARTERPROCTORING_TOKEN")
    with pytest.raises(sp.ConfigurationError, match="no API token"):
        sp.Client()
