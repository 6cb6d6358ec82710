"""The one module of the store that imports SQLAlchemy: URLs, engines, column types.

The other modules of ``store/`` reach SQLAlchemy through the ``sa`` name exported here
(as ``redis_limiter`` passes redis-py around), so that a missing extra fails in one
place, with one message, and the import contract can say where SQLAlchemy is used.
psycopg is never imported by this package: SQLAlchemy loads it for
``postgresql+psycopg://`` URLs.
"""

from __future__ import annotations

import sqlite3
import time
from datetime import datetime, timezone
from typing import Any

from ..errors import ConfigurationError

try:
    import sqlalchemy as sa
    import sqlalchemy.exc
    from sqlalchemy import event
    from sqlalchemy.dialects import postgresql, sqlite
except ImportError:  # pragma: no cover - depends on the environment
    raise ImportError(
        "the store needs SQLAlchemy: pip install 'smarterproctoring-async[store]' "
        "(or '[postgres]' for PostgreSQL)"
    ) from None

__all__ = [
    "DEFAULT_URL",
    "UTCDateTime",
    "display_url",
    "make_engine",
    "parse_url",
    "password_of",
    "sa",
    "upsert",
]

#: Seconds a PostgreSQL connection may take (libpq's ``connect_timeout``; a URL may say).
CONNECT_TIMEOUT = 10

#: Where the store is when no URL is given: a SQLite file in the working directory.
DEFAULT_URL = "sqlite:///smarterproctoring.db"
#: Milliseconds a SQLite writer waits for another process's write to end.
SQLITE_BUSY_TIMEOUT_MS = 30_000

_PASSWORD_KEYS = ("password", "sslpassword")


def parse_url(text: object) -> sa.URL:
    """The URL of a store, checked without any I/O; ConfigurationError if unusable.

    ``sqlite:///relative.db`` and ``sqlite:////absolute.db`` (a file: an in-memory
    database would vanish between the store's connections), ``postgresql://`` and
    ``postgresql+psycopg://`` (plain ``postgresql`` means psycopg 3 here, not
    SQLAlchemy's default psycopg2). The message never repeats the URL: it may hold a
    password.
    """
    if not isinstance(text, str):
        raise ConfigurationError(f"the store URL must be a str, not {type(text).__name__}")
    try:
        url = sa.make_url(text)
    except (sa.exc.ArgumentError, ValueError):
        raise ConfigurationError(
            "the store URL is unreadable: expected sqlite:///path.db or "
            "postgresql://user@host/database"
        ) from None
    if url.drivername in ("sqlite", "sqlite+pysqlite"):
        if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
            raise ConfigurationError(
                "a SQLite store needs a file: sqlite:///relative.db or sqlite:////abs/path.db"
            )
        return url.set(drivername="sqlite")
    if url.drivername in ("postgresql", "postgresql+psycopg"):
        if not url.database:
            raise ConfigurationError(
                "a PostgreSQL store URL must name its database: postgresql://user@host/database"
            )
        return url.set(drivername="postgresql+psycopg")
    raise ConfigurationError(
        f"unsupported store database {url.drivername!r}: use sqlite:///path.db or "
        "postgresql://user@host/database"
    )


def password_of(url: sa.URL) -> str | None:
    """The password the URL carries (in its user part or its query), to keep out of text."""
    if url.password:
        return str(url.password)
    for key in _PASSWORD_KEYS:
        value = url.query.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def display_url(url: sa.URL) -> str:
    """The URL without any password, for reprs, messages and logs."""
    # Not url.set(password=None): set() takes None for "leave as it is".
    shown = url._replace(password=None)
    if any(key in shown.query for key in _PASSWORD_KEYS):
        shown = shown.difference_update_query(_PASSWORD_KEYS)
    return shown.render_as_string(hide_password=False)


def make_engine(url: sa.URL) -> sa.Engine:
    """An engine for the store (no connection yet): SQLite tuned for a durable,
    concurrent store; PostgreSQL pinging connections before use.

    Raises ImportError naming the extra when the PostgreSQL driver is missing.
    """
    if url.get_backend_name() == "sqlite":
        engine = sa.create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_connected)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    # Named in pg_stat_activity, and a server that never answers a connection fails
    # it after CONNECT_TIMEOUT instead of hanging the sync; a URL's own settings win.
    defaults = {"application_name": "smarterproctoring", "connect_timeout": CONNECT_TIMEOUT}
    extra = {key: value for key, value in defaults.items() if key not in url.query}
    try:
        return sa.create_engine(url, pool_pre_ping=True, connect_args=extra)
    except ImportError:
        raise ImportError(
            "a PostgreSQL store needs psycopg 3: pip install 'smarterproctoring-async[postgres]'"
        ) from None


def _sqlite_connected(dbapi_connection: Any, _record: Any) -> None:
    # sqlite3's own transaction handling skips BEGIN before SELECT and DDL, so a
    # migration or a read would not be one transaction: it is switched off here and
    # _sqlite_begin emits BEGIN itself (SQLAlchemy's documented recipe).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        # WAL: readers (an export, a notebook) never block the writer nor it them.
        _switch_to_wal(cursor)
        # FULL: a commit that returned survives a power cut (WAL's NORMAL does not).
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


def _switch_to_wal(cursor: Any) -> None:
    # Two processes switching a new file to WAL at once: SQLite answers "database is
    # locked" at once, without its busy timeout; the switch is retried for as long.
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _sqlite_begin(connection: sa.Connection) -> None:
    # Writers start with IMMEDIATE: the write lock is taken (waiting up to
    # busy_timeout) before the transaction reads anything, so it can never fail
    # half-way on another process's write (SQLITE_BUSY_SNAPSHOT in WAL mode).
    mode = connection.get_execution_options().get("sqlite_begin", "")
    connection.exec_driver_sql(f"BEGIN {mode}".strip())


def upsert(connection: sa.Connection, table: sa.Table) -> Any:
    """An INSERT on ``table`` that can take ``on_conflict_do_update`` (SQLite, PostgreSQL)."""
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


class UTCDateTime(sa.TypeDecorator[datetime]):
    """A timestamp stored in UTC and read back timezone-aware (UTC) on every database.

    SQLite keeps no zone: the value is converted to UTC before it is written and given
    the UTC zone when read. A naive datetime is taken to be UTC already.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        """To UTC; naive for SQLite, which would otherwise drop the offset unconverted."""
        if value is None:
            return None
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value.replace(tzinfo=timezone.utc)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        """Timezone-aware, in UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)
