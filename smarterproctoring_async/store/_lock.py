"""The sync lock: one sync per install (or per shard of it) and store, across processes.

Both kinds are made of two levels, so that shards can run side by side while a sync
of the whole install excludes them all:

- a whole-install sync (``shard=None``) holds the install's lock exclusively;
- a shard ``(I, N)`` holds the install's lock shared, and the lock of ``I/N``
  exclusively.

PostgreSQL: session-level advisory locks (``pg_try_advisory_lock[_shared]``) on a
connection kept for the lock's life; the server drops them when the connection ends,
a killed process included. The store saves on that same connection while it holds the
lock (``PostgresLock.run``): a save can then never commit after the lock was lost.

SQLite: the locks of SQLite itself, on small lock files in a folder beside the store
(``<db>-sync.lock/``, one file per install and per shard): a read transaction holds a
file's lock shared, ``BEGIN EXCLUSIVE`` exclusively; the operating system drops them
when the process ends. The store's own file is never locked by them, so readers and
writers of the store are never blocked by a sync lock.

Each ``attempt`` tries once without waiting; the caller polls (``Store.lock``).
Both classes are used from worker threads, one call at a time.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Protocol, TypeVar

from ._db import sa
from ._pg_save import REPEATABLE_READ

__all__ = ["LockHolder", "LockLost", "PostgresLock", "SqliteLock", "shard_label"]

T = TypeVar("T")

# SQLite result codes (sqlite3 names them from Python 3.11 only).
_SQLITE_BUSY = 5
_SQLITE_LOCKED = 6
#: Seconds SQLite retries a lock file another attempt holds for a moment.
_CONTENDED = 0.25

Shard = tuple[int, int] | None


def shard_label(shard: Shard) -> str | None:
    """``"I/N"`` for a shard, None for the whole install."""
    return None if shard is None else f"{shard[0]}/{shard[1]}"


class LockHolder(Protocol):
    """One lock, tried by ``attempt`` (True when taken) and given back by ``release``."""

    def attempt(self) -> bool:
        """Take the lock if free, without waiting."""

    def release(self) -> None:
        """Give the lock back (nothing if not held)."""

    def held(self) -> bool:
        """Whether the lock taken is still held (a database restart drops PostgreSQL's)."""


def _digest(*parts: str) -> bytes:
    return hashlib.sha256("\x1f".join(("smarterproctoring-sync", *parts)).encode()).digest()


def _keys(install_sid: str, shard: Shard) -> tuple[str, str | None]:
    """Names of the install's lock and of the shard's (None without a shard).

    Hashed: an install SID from the caller is any string, and these become file
    names and lock keys.
    """
    install = _digest(install_sid).hex()[:24]
    label = shard_label(shard)
    return install, None if label is None else _digest(install_sid, label).hex()[:24]


class SqliteLock:
    """The lock as SQLite file locks in the folder ``<db>-sync.lock``."""

    def __init__(self, folder: Path, install_sid: str, shard: Shard) -> None:
        self._folder = folder
        install, own = _keys(install_sid, shard)
        self._install_file = folder / f"{install}.lock"
        self._shard_file = None if own is None else folder / f"{install}-{own}.lock"
        self._held: list[sqlite3.Connection] = []

    def attempt(self) -> bool:
        """Take the install's lock (exclusive, or shared plus the shard's exclusive)."""
        self._folder.mkdir(exist_ok=True)
        if self._shard_file is None:
            return self._take(self._install_file, "BEGIN EXCLUSIVE")
        if not self._take(self._install_file, None):
            return False
        if self._take(self._shard_file, "BEGIN EXCLUSIVE"):
            return True
        self.release()
        return False

    def _take(self, path: Path, begin: str | None) -> bool:
        # A short busy timeout, not 0: two BEGIN EXCLUSIVE at once can each see the
        # other's passing SHARED lock and both give up, leaving the lock to nobody.
        # SQLite's busy handler lets one through; Store.lock does the real waiting.
        connection = sqlite3.connect(
            path, timeout=_CONTENDED, isolation_level=None, check_same_thread=False
        )
        try:
            if begin is None:
                # A read transaction holds the file's SHARED lock until it ends (the
                # files stay in rollback-journal mode, where readers exclude writers).
                connection.execute("BEGIN")
                connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
            else:
                connection.execute(begin)
        except sqlite3.OperationalError as error:
            connection.close()
            if _busy(error):
                return False
            raise
        except BaseException:
            connection.close()
            raise
        self._held.append(connection)
        return True

    def held(self) -> bool:
        """Whether the lock is held: the OS keeps a file lock for the process's life."""
        return bool(self._held)

    def release(self) -> None:
        """End the transactions (dropping the file locks) and close the files."""
        held, self._held = self._held, []
        for connection in reversed(held):
            # Closing alone ends the transaction and its lock, even if ROLLBACK failed.
            try:
                connection.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            finally:
                connection.close()


def _busy(error: sqlite3.OperationalError) -> bool:
    code = getattr(error, "sqlite_errorcode", None)  # Python 3.11+
    if code is not None:
        return (code & 0xFF) in (_SQLITE_BUSY, _SQLITE_LOCKED)
    return "locked" in str(error)


class LockLost(Exception):
    """The lock's connection is gone, and the lock with it (``PostgresLock.run``)."""


def _key(name: str) -> int:
    """A lock name as PostgreSQL's signed 64-bit advisory key."""
    return int.from_bytes(bytes.fromhex(name)[:8], "big", signed=True)


class PostgresLock:
    """The lock as PostgreSQL session-level advisory locks on a dedicated connection."""

    def __init__(self, engine: sa.Engine, install_sid: str, shard: Shard) -> None:
        self._engine = engine
        install, own = _keys(install_sid, shard)
        self._install_key = _key(install)
        self._shard_key = None if own is None else _key(own)
        self._connection: sa.Connection | None = None

    def attempt(self) -> bool:
        """Take the install's advisory lock (exclusive, or shared plus the shard's)."""
        if self._connection is None:
            # AUTOCOMMIT: no transaction stays open on the server for the lock's life.
            self._connection = self._engine.connect().execution_options(
                isolation_level="AUTOCOMMIT"
            )
            # The saves made on it (``run``) then never interleave with another of
            # the same session (see ``_pg_save``); undone when the lock is given back.
            self._connection.exec_driver_sql(REPEATABLE_READ)
        func = sa.func
        if self._shard_key is None:
            return self._ask(func.pg_try_advisory_lock(self._install_key))
        if not self._ask(func.pg_try_advisory_lock_shared(self._install_key)):
            return False
        if self._ask(func.pg_try_advisory_lock(self._shard_key)):
            return True
        self._ask(func.pg_advisory_unlock_shared(self._install_key))
        return False

    def _ask(self, call: sa.FunctionElement[object]) -> bool:
        assert self._connection is not None
        return bool(self._connection.execute(sa.select(call)).scalar())

    def held(self) -> bool:
        """Whether the lock's connection still answers: the server drops advisory locks
        with their connection (a restart, an administrator), and the engine's other
        connections would silently reconnect without them."""
        if self._connection is None or self._connection.invalidated:
            return False
        try:
            self._connection.execute(sa.select(sa.literal(1))).scalar()
        except sa.exc.SQLAlchemyError:
            return False
        return True

    def run(self, work: Callable[[sa.Connection], T]) -> T:
        """``work(connection)`` on the lock's own connection (autocommit: each statement
        its own transaction). The lock is held for as long as that connection lives,
        so a write made on it cannot commit once the lock is lost: the write fails, and
        LockLost says so. Saving there costs no round trip to check the lock first.

        The connection never reconnects behind the lock's back: an invalidated one
        (the server went away) raises LockLost before any work. Any other failure of
        ``work`` is raised as it is, the connection still answering."""
        connection = self._connection
        if connection is None or connection.invalidated or connection.closed:
            raise LockLost
        try:
            return work(connection)
        except sa.exc.DBAPIError as error:
            if error.connection_invalidated or not self.held():
                raise LockLost from error
            raise

    def release(self) -> None:
        """Drop every advisory lock of the connection and close it."""
        connection, self._connection = self._connection, None
        if connection is None:
            return
        if connection.invalidated:  # gone, and its locks with it: nothing to give back
            connection.close()
            return
        try:
            connection.execute(sa.select(sa.func.pg_advisory_unlock_all()))
            # The pool hands this connection out again: with the server's default.
            connection.exec_driver_sql("RESET default_transaction_isolation")
        except BaseException:
            # The server drops the locks with the connection: make sure it ends.
            connection.invalidate()
            raise
        finally:
            connection.close()
