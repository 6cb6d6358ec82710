"""Fixtures of the kill tests: a PostgreSQL server of our own (to restart it mid-run)
and the ``slow`` marker; the shard workers' Redis is the suite's ``redis_url``
(tests/conftest.py).

The store under test is the suite's ``store_url`` (tests/conftest.py: a SQLite file, or
a fresh database on the session's PostgreSQL server). A test that must stop and start
PostgreSQL cannot use the session's server (CI's is shared with other tests):
``restartable_postgres`` starts a throwaway one that the test may restart.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ._postgres_control import RestartablePostgres, restartable_server


def pytest_configure(config: pytest.Config) -> None:
    """Register ``slow``: the kill tests take tens of seconds (they still run in CI)."""
    config.addinivalue_line("markers", "slow: takes more than a few seconds (runs in CI)")


@pytest.fixture
def restartable_postgres() -> Iterator[RestartablePostgres]:
    """A throwaway PostgreSQL server that the test may stop, kill and start again."""
    with restartable_server() as server:
        yield server
