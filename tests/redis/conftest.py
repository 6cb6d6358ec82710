"""A real Redis for the shared-budget tests.

``redis_url`` is ``SMARTERPROCTORING_TEST_REDIS_URL`` when set (CI starts a server and
sets it); else a ``redis-server`` started for the session on a free loopback port, in a
temporary directory, with no persistence (see tests/_redis_server.py). Each test gets
its own key (``key``), so tests never share a budget.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator

import pytest

from .._redis_server import free_port, no_redis, redis_server

__all__ = ["free_port", "key", "redis_server", "redis_url"]


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """The URL of a Redis server for this test session."""
    given = os.environ.get("SMARTERPROCTORING_TEST_REDIS_URL")
    if given:
        yield given
        return
    if shutil.which("redis-server") is None:
        no_redis("no Redis server")
    with redis_server(free_port()) as url:
        yield url


@pytest.fixture
def key(request: pytest.FixtureRequest) -> str:
    """A budget name used by this test only."""
    return f"test:{request.node.name}:{uuid.uuid4().hex[:8]}"
