"""Plain SQL on a store's database, for tests that look under (or tamper with) the store.

SQLAlchemy directly, not the package's code: what a test checks must not go through
the code under test.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa


def engine_url(store_url: str) -> str:
    """The store URL with psycopg 3 named (plain postgresql:// means psycopg2 to SQLAlchemy)."""
    if store_url.startswith("postgresql://"):
        return "postgresql+psycopg://" + store_url[len("postgresql://") :]
    return store_url


@contextmanager
def raw(store_url: str) -> Iterator[sa.Connection]:
    """A connection to the store's database in one transaction, committed on exit."""
    engine = sa.create_engine(engine_url(store_url))
    try:
        with engine.begin() as connection:
            yield connection
    finally:
        engine.dispose()


def query(store_url: str, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    """The rows of one SQL query."""
    with raw(store_url) as connection:
        return [tuple(row) for row in connection.execute(sa.text(sql), params)]


def dialect(store_url: str) -> str:
    """``"sqlite"`` or ``"postgresql"``."""
    return "sqlite" if store_url.startswith("sqlite") else "postgresql"
