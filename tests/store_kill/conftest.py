"""Fixtures of the kill tests: a Redis for the shard workers, a PostgreSQL server of our
own (to restart it mid-run), and the ``slow`` marker.

The store under test is the suite's ``store_url`` (tests/conftest.py: a SQLite file, or
a fresh database on the session's PostgreSQL server). A test that must stop and start
PostgreSQL cannot use the session's server (CI's is shared with other tests):
``restartable_postgres`` starts a throwaway one that the test may restart.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

from .._redis_server import free_port, no_redis, redis_server
from ._postgres_control import RestartablePostgres, restartable_server


def pytest_configure(config: pytest.Config) -> None:
    """Register ``slow``: the kill tests take tens of seconds (they still run in CI)."""
    config.addinivalue_line("markers", "slow: takes more than a few seconds (runs in CI)")


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A Redis server for the shard workers' shared budget (as tests/redis/conftest.py)."""
    given = os.environ.get("SMARTERPROCTORING_TEST_REDIS_URL")
    if given:
        yield given
        return
    if shutil.which("redis-server") is None:
        no_redis("no Redis server")
    with redis_server(free_port()) as url:
        yield url


@pytest.fixture
def restartable_postgres() -> Iterator[RestartablePostgres]:
    """A throwaway PostgreSQL server that the test may stop, kill and start again."""
    with restartable_server() as server:
        yield server
