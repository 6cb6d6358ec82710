"""What the store does in the database, as plain blocking functions of an engine.

``Store`` runs each of them in a worker thread; each is one transaction (or one
read), begun and ended here.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import StoreError
from ._db import sa, upsert
from ._pg_save import pg_save, pg_saved
from ._schema import (
    TABLES,
    annotations_table,
    events_table,
    runs_table,
    sessions_table,
    sync_state_table,
    upgrade,
)
from ._values import SavedRows

__all__ = [
    "count_rows",
    "finish_run",
    "insert_run",
    "key_of",
    "open_schema",
    "pg_save",
    "pg_saved",
    "read_batch",
    "save_rows",
    "stored_versions",
]

# Writers take SQLite's write lock at BEGIN (see _db._sqlite_begin); ignored elsewhere.
_WRITE = {"sqlite_begin": "IMMEDIATE"}


def open_schema(engine: sa.Engine, where: str, migrations: Sequence[Any], create: bool) -> int:
    """Create (if ``create``) or upgrade the schema in one transaction; the version found."""
    # Checked before connecting, which would create the file.
    if (
        not create
        and engine.dialect.name == "sqlite"
        and not os.path.exists(str(engine.url.database))
    ):
        raise StoreError(f"no store at {where}")
    with engine.connect().execution_options(**_WRITE) as connection, connection.begin():
        return upgrade(connection, where, migrations, create=create)


_UPSERTS: dict[tuple[str, str], Any] = {}


def _upsert(connection: sa.Connection, table: sa.Table, row: Mapping[str, Any]) -> None:
    """Insert or update ``row`` (every column of ``table``) by its key. The statement
    is built once per table and database: building ``excluded`` costs more than
    running it on SQLite."""
    cached = _UPSERTS.get((connection.dialect.name, table.name))
    if cached is None:
        statement = upsert(connection, table)
        keys = [column.name for column in table.primary_key.columns]
        changes = {c.name: statement.excluded[c.name] for c in table.columns if c.name not in keys}
        cached = statement.on_conflict_do_update(index_elements=keys, set_=changes)
        _UPSERTS[(connection.dialect.name, table.name)] = cached
    connection.execute(cached, dict(row))


_INSERTS: dict[str, tuple[str, list[tuple[str, Any]]]] = {}


def _sqlite_insert_many(
    connection: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]
) -> None:
    """``INSERT`` of many rows through sqlite3's ``executemany``, each value converted by
    its column type's own bind processor: what ``connection.execute(table.insert(),
    rows)`` sends, without SQLAlchemy's bookkeeping for every row."""
    dialect = connection.dialect
    cached = _INSERTS.get(table.name)
    if cached is None:
        quote = dialect.identifier_preparer.quote
        names = ", ".join(quote(column.name) for column in table.columns)
        marks = ", ".join("?" for _ in table.columns)
        sql = f"INSERT INTO {quote(table.name)} ({names}) VALUES ({marks})"
        convert = [
            (column.name, column.type.dialect_impl(dialect).bind_processor(dialect))
            for column in table.columns
        ]
        cached = _INSERTS[table.name] = (sql, convert)
    sql, convert = cached
    values = [
        tuple(row[name] if process is None else process(row[name]) for name, process in convert)
        for row in rows
    ]
    connection.exec_driver_sql(sql, values)


def save_rows(engine: sa.Engine, rows: SavedRows) -> None:
    """One session in one transaction: its row, its events and annotations replaced,
    its version. Any failure rolls all of it back. (PostgreSQL: ``pg_save``, one
    statement, inside the transaction.)"""
    sid = rows.session["session_sid"]
    if engine.dialect.name == "postgresql":
        pg_saved(lambda: _pg_transaction(engine, rows))
        return
    with engine.connect().execution_options(**_WRITE) as connection, connection.begin():
        _upsert(connection, sessions_table, rows.session)
        for table, children in ((events_table, rows.events), (annotations_table, rows.annotations)):
            connection.execute(table.delete().where(table.c.session_sid == sid))
            if children:
                _sqlite_insert_many(connection, table, children)
        _upsert(connection, sync_state_table, rows.state)


def _pg_transaction(engine: sa.Engine, rows: SavedRows) -> None:
    # Repeatable read: a save of the same session committed meanwhile (another process)
    # makes this one fail and be written again, never interleave with it.
    options = {"isolation_level": "REPEATABLE READ"}
    with engine.connect().execution_options(**options) as connection, connection.begin():
        pg_save(connection, rows)


def stored_versions(engine: sa.Engine, install_sid: str) -> dict[str, str]:
    """session_sid -> stored version, for one install."""
    query = sa.select(sync_state_table.c.session_sid, sync_state_table.c.version).where(
        sync_state_table.c.install_sid == install_sid
    )
    with engine.connect() as connection, connection.begin():
        return {str(sid): str(version) for sid, version in connection.execute(query)}


def insert_run(engine: sa.Engine, row: Mapping[str, Any], locked: bool, whole: bool) -> int:
    """A new run log row; its id. When the caller holds the lock of the run's scope
    (``locked``; ``whole``: the whole install's), the runs of that scope still
    ``running`` become ``interrupted`` in the same transaction: no live sync has them.
    A shard's lock also excludes the whole install's sync, so covers its runs too."""
    with engine.connect().execution_options(**_WRITE) as connection, connection.begin():
        if locked:
            runs = runs_table.c
            dead = runs.install_sid == row["install_sid"]
            if not whole:
                dead = sa.and_(dead, sa.or_(runs.shard == row["shard"], runs.shard.is_(None)))
            stale = runs_table.update().where(runs.status == "running", dead)
            connection.execute(stale.values(status="interrupted"))
        result = connection.execute(runs_table.insert().values(dict(row)))
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])


def finish_run(engine: sa.Engine, run_id: int, values: Mapping[str, Any]) -> bool:
    """Write a run's outcome; False when no run has that id."""
    statement = runs_table.update().where(runs_table.c.id == run_id).values(dict(values))
    with engine.connect().execution_options(**_WRITE) as connection, connection.begin():
        return connection.execute(statement).rowcount == 1


def _order(table: sa.Table) -> list[sa.Column[Any]]:
    return list(table.primary_key.columns)


def read_batch(
    source: sa.Engine | sa.Connection,
    table_name: str,
    install_sid: str | None,
    after: tuple[Any, ...] | None,
    batch: int,
) -> list[dict[str, Any]]:
    """Up to ``batch`` rows of a table in key order, after the key ``after``: in a
    read transaction of its own, or in the open one of ``source`` (a snapshot)."""
    table = TABLES[table_name]
    keys = _order(table)
    query = sa.select(table).order_by(*keys).limit(batch)
    if install_sid is not None:
        query = query.where(table.c.install_sid == install_sid)
    if after is not None:
        if len(keys) == 1:
            query = query.where(keys[0] > after[0])
        else:
            query = query.where(sa.tuple_(*keys) > sa.tuple_(*after))
    if isinstance(source, sa.Connection):
        return [dict(row._mapping) for row in source.execute(query)]
    with source.connect() as connection, connection.begin():
        return [dict(row._mapping) for row in connection.execute(query)]


def key_of(table_name: str, row: Mapping[str, Any]) -> tuple[Any, ...]:
    """The ordering key of a row read by ``read_batch``."""
    return tuple(row[column.name] for column in _order(TABLES[table_name]))


def count_rows(engine: sa.Engine, install_sid: str | None) -> dict[str, int]:
    """Rows per table (sessions, events, annotations, runs), for one install or all."""
    counts: dict[str, int] = {}
    with engine.connect() as connection, connection.begin():
        for name, table in TABLES.items():
            query = sa.select(sa.func.count()).select_from(table)
            if install_sid is not None:
                query = query.where(table.c.install_sid == install_sid)
            counts[name] = int(connection.execute(query).scalar_one())
    return counts
