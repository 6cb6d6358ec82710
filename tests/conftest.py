"""Shared fixtures, built on the package's own pytest plugin.

The plugin (``smarterproctoring_async.testing.pytest_plugin``, loaded through its
``pytest11`` entry point) provides ``smarterproctoring_fake`` and
``smarterproctoring_client``; the suite uses them as users do. ``fake`` is the plugin's
fake under a short name, and ``make_client`` builds further clients of it.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import smarterproctoring_async as sp
from smarterproctoring_async.testing import FakeAPI, FakeSession

from ._postgres_server import fresh_database, postgres_server
from ._redis_server import free_port, no_redis, redis_server

FAST_RETRY = sp.RetryPolicy(base_delay=0.001, max_delay=0.01)

MakeClient = Callable[..., sp.Client]


@pytest.fixture
def fake(smarterproctoring_fake: FakeAPI) -> FakeAPI:
    """The plugin's running fake API with the default seeded data."""
    return smarterproctoring_fake


@pytest.fixture
async def make_client(fake: FakeAPI) -> AsyncIterator[MakeClient]:
    """Build clients of ``fake`` (fast retries, no rate limit unless asked); all closed after.

    The plugin offers one ready client (``smarterproctoring_client``) but no factory, and
    these tests need several clients, each with its own options.
    """
    clients: list[sp.Client] = []

    def make(**options: Any) -> sp.Client:
        options.setdefault("base_url", fake.base_url)
        options.setdefault("rate_limit", None)
        options.setdefault("retry", FAST_RETRY)
        client = sp.Client(options.pop("token", fake.token), **options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


def handle(client: sp.Client, session: FakeSession) -> sp.Session:
    """The SDK handle of a fake session."""
    return client.install(session.install_sid).exam(session.exam_sid).session(session.sid)


def busiest(fake: FakeAPI) -> FakeSession:
    """The fake session with the most events."""
    return max(fake.data.sessions, key=lambda s: len(s.events))


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """A PostgreSQL server for this test session (see tests/_postgres_server.py)."""
    given = os.environ.get("SMARTERPROCTORING_TEST_POSTGRES_URL")
    if given:
        yield given
        return
    with postgres_server() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty store: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    server = request.getfixturevalue("postgres_server_url")
    with fresh_database(server) as url:
        yield url


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """The URL of a Redis server for this test session: ``SMARTERPROCTORING_TEST_REDIS_URL``
    when set (CI starts one), else a redis-server started for the session (see
    tests/_redis_server.py), else the test is skipped (or fails where Redis is required)."""
    given = os.environ.get("SMARTERPROCTORING_TEST_REDIS_URL")
    if given:
        yield given
        return
    if shutil.which("redis-server") is None:
        no_redis("no Redis server")
    with redis_server(free_port()) as url:
        yield url


def raised(error: BaseException) -> BaseException:
    """The cancellation the task raised: on Python 3.10, awaiting a cancelled task raises
    a new, empty CancelledError whose context is the one the task raised."""
    while isinstance(error, asyncio.CancelledError) and not error.args and error.__context__:
        error = error.__context__
    return error
