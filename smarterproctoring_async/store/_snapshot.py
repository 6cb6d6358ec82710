"""A read snapshot: one read transaction on one connection, kept open across calls.

``Store.snapshot`` opens one with :func:`open_snapshot` and ``Store.rows`` reads its
pages on it, so that every page of every table shows the store at one moment even
while a sync saves sessions beside it. SQLite (WAL): a deferred ``BEGIN`` whose first
read pins the snapshot; writers go on, unblocked. PostgreSQL: ``REPEATABLE READ READ
ONLY``. Both are plain blocking functions, run in the store's worker threads.
"""

from __future__ import annotations

from ._db import sa
from ._schema import runs_table

__all__ = ["close_snapshot", "open_snapshot"]


def open_snapshot(engine: sa.Engine) -> sa.Connection:
    """A connection inside a read transaction whose snapshot is already taken."""
    connection = engine.connect()
    try:
        if connection.dialect.name == "postgresql":
            connection = connection.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
        connection.begin()
        # Both databases take the snapshot at the first read, not at BEGIN: reading
        # now makes it the store as it was when the context was entered.
        connection.execute(sa.select(runs_table.c.id).limit(1)).all()
    except BaseException:
        connection.close()
        raise
    return connection


def close_snapshot(connection: sa.Connection) -> None:
    """End the read transaction (nothing was written) and give the connection back."""
    try:
        connection.rollback()
    finally:
        connection.close()
