"""A session saved on PostgreSQL in one statement: one round trip, one transaction.

``save_rows`` in ``_statements`` sends a statement per table and waits for each (with
psycopg's BEGIN and COMMIT, about ten round trips a session). Here the whole save is
one ``INSERT ... ON CONFLICT`` per table and a ``DELETE`` per child table, joined as
data-modifying CTEs of a single statement whose text never changes (the events and
annotations travel as one array per column, unnested on the server), so psycopg
prepares it after a few sessions:

- the session row and its sync state are upserted;
- events and annotations are upserted by (session, position) and the stored ones past
  the new count deleted: the same rows as deleting all then inserting, without a
  DELETE and an INSERT of one key in one statement (whose order PostgreSQL leaves
  open).

Run on a connection in autocommit mode the statement is its own transaction, committed
durably as any other (``synchronous_commit`` untouched); inside a transaction it is
part of that one. Either way the session is all or nothing.

Two saves of one session at once (two processes, or shard workers of different
counts) must not interleave: under read committed, each statement's delete would miss
the rows the other inserts meanwhile, leaving positions of both. So the statement runs
under repeatable read (the lock's connection says so for its whole session, a
transaction of its own says so itself), where the later of two such saves fails with
a serialization error instead; :func:`pg_saved` writes it again, on a new snapshot.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

from ._db import sa
from ._schema import annotations_table, events_table, sessions_table, sync_state_table
from ._values import SavedRows

__all__ = ["REPEATABLE_READ", "pg_save", "pg_saved"]

#: What a connection runs first to save under repeatable read for its whole session.
REPEATABLE_READ = "SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL REPEATABLE READ"
#: PostgreSQL's refusals of a save that ran beside another save of the same session:
#: a serialization failure, a deadlock between their row locks.
_CONCURRENT = frozenset({"40001", "40P01"})
_ATTEMPTS = 10

# The columns every child row takes from its session (given once, not per row).
_PARENTS = ("session_sid", "install_sid", "exam_sid")


def _cast(column: sa.Column[Any], dialect: sa.Dialect) -> str:
    return str(column.type.compile(dialect=dialect))


def _upsert(table: sa.Table, prefix: str, dialect: sa.Dialect) -> str:
    names = [column.name for column in table.columns]
    keys = [column.name for column in table.primary_key.columns]
    values = ", ".join(
        f"CAST(%({prefix}{name})s AS {_cast(table.c[name], dialect)})" for name in names
    )
    changes = ", ".join(f"{name} = EXCLUDED.{name}" for name in names if name not in keys)
    return (
        f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({values}) "
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {changes}"
    )


def _children(table: sa.Table, prefix: str, dialect: sa.Dialect) -> tuple[str, str]:
    """The DELETE of the rows past the new count, and the upsert of the new rows."""
    own = [column.name for column in table.columns if column.name not in _PARENTS]
    arrays = ", ".join(
        f"CAST(%({prefix}{name})b AS {_cast(table.c[name], dialect)}[])" for name in own
    )
    parents = ", ".join(f"%(s_{name})s" for name in _PARENTS)
    keys = {column.name for column in table.primary_key.columns}
    changes = ", ".join(
        f"{name} = EXCLUDED.{name}" for name in (*_PARENTS, *own) if name not in keys
    )
    delete = (
        f"DELETE FROM {table.name} WHERE session_sid = %(s_session_sid)s "
        f"AND position >= %({prefix}count)s"
    )
    insert = (
        f"INSERT INTO {table.name} ({', '.join((*_PARENTS, *own))}) "
        f"SELECT {parents}, rows.* FROM unnest({arrays}) AS rows "
        f"ON CONFLICT (session_sid, position) DO UPDATE SET {changes}"
    )
    return delete, insert


def _statement(dialect: sa.Dialect) -> str:
    events_gone, events = _children(events_table, "e_", dialect)
    notes_gone, notes = _children(annotations_table, "a_", dialect)
    parts = {
        "saved_session": _upsert(sessions_table, "s_", dialect),
        "events_gone": events_gone,
        "saved_events": events,
        "annotations_gone": notes_gone,
        "saved_annotations": notes,
        "saved_state": _upsert(sync_state_table, "v_", dialect),
    }
    ctes = ",\n".join(f"{name} AS ({sql})" for name, sql in parts.items())
    return f"WITH {ctes}\nSELECT 1"


_STATEMENTS: dict[str, str] = {}


def _columns(table: sa.Table, rows: list[dict[str, Any]], prefix: str) -> dict[str, Any]:
    params: dict[str, Any] = {f"{prefix}count": len(rows)}
    for column in table.columns:
        name = column.name
        if name not in _PARENTS:
            params[prefix + name] = [row[name] for row in rows]
    return params


def pg_save(connection: sa.Connection, rows: SavedRows) -> None:
    """Write one session's rows with one statement on ``connection`` (PostgreSQL)."""
    dialect = connection.dialect
    sql = _STATEMENTS.get(dialect.name)
    if sql is None:
        sql = _STATEMENTS[dialect.name] = _statement(dialect)
    params: dict[str, Any] = {f"s_{name}": value for name, value in rows.session.items()}
    params.update({f"v_{name}": value for name, value in rows.state.items()})
    params.update(_columns(events_table, rows.events, "e_"))
    params.update(_columns(annotations_table, rows.annotations, "a_"))
    connection.exec_driver_sql(sql, params)


def pg_saved(write: Callable[[], None]) -> None:
    """``write()`` (one save, a transaction of its own), again while PostgreSQL refuses
    it for a save of the same session that ran at once (at most ten times, after a
    short random wait: the other save has committed by then, or waits for this one)."""
    for attempt in range(1, _ATTEMPTS + 1):
        try:
            write()
            return
        except sa.exc.DBAPIError as error:
            if attempt == _ATTEMPTS or getattr(error.orig, "sqlstate", None) not in _CONCURRENT:
                raise
        time.sleep(random.uniform(0, 0.002 * 2**attempt))
