"""``Store``: where synced sessions land, on SQLite or PostgreSQL, behind async methods."""

from __future__ import annotations

import logging
import math
import os
import sqlite3
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, TypeVar

import anyio
import anyio.to_thread

from ..errors import StoreBusyError, StoreError, raise_alone
from ..models import SessionResult
from ..models.values import JSONValue
from . import _schema, _snapshot, _statements
from ._db import DEFAULT_URL, display_url, make_engine, parse_url, password_of, sa
from ._lock import LockHolder, LockLost, PostgresLock, SqliteLock, shard_label
from ._values import json_text, saved_rows, typed_text

__all__ = ["Store"]

logger = logging.getLogger("smarterproctoring_async.store")

T = TypeVar("T")
Table = Literal["sessions", "events", "annotations", "runs"]
RunStatus = Literal["ok", "failed", "stopped"]

#: Seconds between two tries of a busy sync lock.
LOCK_POLL = 0.2
_REASON_CHARS = 300


def _now() -> datetime:
    return datetime.now(timezone.utc)


class Store:
    """A database holding synced sessions, their events and annotations, and a run log.

    ::

        async with sp.Store("postgresql://sync@db.internal/proctoring") as store:
            async with store.lock(install_sid):
                ...  # client.sync(install_sid, store) does all of this

    ``url``: ``sqlite:///relative/path.db``, ``sqlite:////absolute/path.db`` or
    ``postgresql://user@host[:port]/database`` (psycopg 3; ``postgresql+psycopg://``
    too); default ``sqlite:///smarterproctoring.db`` in the working directory. Give the
    password through the environment (``PGPASSWORD``) or ``~/.pgpass`` rather than in
    the URL; it never appears in a repr, message or log line either way. A URL that
    cannot work raises ConfigurationError here, before any I/O.

    Entering the context connects and creates or upgrades the schema (see
    ``store/_schema.py``); with ``create=False`` (for readers such as ``export``) a
    missing SQLite file or a database without the store's tables raises StoreError
    ``no store at <url>`` instead, and nothing is created. Every database call runs
    in a worker thread, one at a time per store, and is never abandoned half-way: a
    cancelled caller waits for the transaction in flight to commit or roll back.
    Failures raise :class:`~smarterproctoring_async.errors.StoreError`.
    """

    def __init__(self, url: str | None = None, *, create: bool = True) -> None:
        parsed = parse_url(DEFAULT_URL if url is None else url)
        self._create = bool(create)
        self._lock_folder: Path | None = None
        #: The sync locks this store holds now: each save checks they still are.
        self._holders: list[LockHolder] = []
        #: The (install, shard) of each lock held now, for start_run.
        self._scopes: list[tuple[str, tuple[int, int] | None]] = []
        if parsed.get_backend_name() == "sqlite":
            # Absolute now: the lock folder and the engine must agree on the file even
            # if the working directory changes before the store is opened. Symlinks
            # resolved: two names of one file must share one lock folder.
            path = os.path.realpath(str(parsed.database))
            parsed = parsed.set(database=path)
            self._lock_folder = Path(path + "-sync.lock")
        self._url = parsed
        self._password = password_of(parsed)
        #: The store's URL without its password, for messages.
        self.url: str = display_url(parsed)
        self._engine: sa.Engine | None = None
        self._limiter: anyio.CapacityLimiter | None = None
        #: The connection of the open snapshot (``snapshot()``), which rows() read on.
        self._snapshot: sa.Connection | None = None
        #: Test seam: the schema migrations applied at open.
        self._migrations: Sequence[_schema.Migration] = _schema.MIGRATIONS

    def __repr__(self) -> str:
        state = "open" if self._engine is not None else "closed"
        return f"<Store {self.url} {state}>"

    @property
    def dialect(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return str(self._url.get_backend_name())

    async def __aenter__(self) -> Store:
        """Connect and bring the schema to this release's version."""
        if self._engine is not None:
            raise StoreError(f"the store {self.url} is already open")
        self._limiter = anyio.CapacityLimiter(1)
        engine = make_engine(self._url)
        try:
            found = await self._call(
                "opening",
                _statements.open_schema,
                engine,
                self.url,
                self._migrations,
                self._create,
            )
        except BaseException:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(engine.dispose)
            raise
        self._engine = engine
        target = len(self._migrations)
        if found == 0:
            logger.info("store %s: created (schema version %d)", self.url, target)
        elif found != target:
            logger.info("store %s: schema upgraded from version %d to %d", self.url, found, target)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Close the store (see :meth:`aclose`)."""
        await self.aclose()

    async def aclose(self) -> None:
        """Close every connection of the store; closing twice is harmless."""
        engine, self._engine = self._engine, None
        if engine is not None:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(engine.dispose)

    def _open_engine(self) -> sa.Engine:
        if self._engine is None:
            raise StoreError(f"the store {self.url} is not open: use `async with store:`")
        return self._engine

    async def _call(self, what: str, function: Callable[..., T], *args: Any) -> T:
        """``function(*args)`` in a worker thread of this store; database errors as
        StoreError. Not abandoned on cancellation: the call always runs to its end."""
        try:
            return await anyio.to_thread.run_sync(
                function, *args, limiter=self._limiter, abandon_on_cancel=False
            )
        except (sa.exc.SQLAlchemyError, sqlite3.Error, OSError) as error:
            raise_alone(StoreError(f"{what} failed on the store {self.url}: {self._reason(error)}"))

    def _reason(self, error: BaseException) -> str:
        """The database's own words, first line only, without the password."""
        original = getattr(error, "orig", None)
        cause = original if isinstance(original, BaseException) else error
        lines = str(cause).strip().splitlines()
        text = lines[0] if lines else ""
        if self._password:
            text = text.replace(self._password, "***")
        if len(text) > _REASON_CHARS:
            text = text[: _REASON_CHARS - 1] + "…"
        return f"{type(cause).__name__}: {text}" if text else type(cause).__name__

    @asynccontextmanager
    async def _locked(
        self, install_sid: str, shard: tuple[int, int] | None, wait: float
    ) -> AsyncIterator[None]:
        engine = self._open_engine()
        holder: LockHolder
        if self._lock_folder is not None:
            holder = SqliteLock(self._lock_folder, install_sid, shard)
        else:
            holder = PostgresLock(engine, install_sid, shard)
        scope = (install_sid, shard)
        deadline = anyio.current_time() + wait
        try:
            while not await self._call("taking the sync lock", holder.attempt):
                remaining = deadline - anyio.current_time()
                if remaining <= 0:
                    label = shard_label(shard)
                    which = f"install {install_sid}" + (f" shard {label}" if label else "")
                    raise StoreBusyError(
                        f"another sync holds the lock of {which} in the store {self.url} "
                        f"(waited {wait:g} s)",
                        install_sid=install_sid,
                        shard=shard,
                    )
                await anyio.sleep(min(LOCK_POLL, remaining))
            self._holders.append(holder)
            self._scopes.append(scope)
            yield
        finally:
            if holder in self._holders:
                self._holders.remove(holder)
                self._scopes.remove(scope)
            with anyio.CancelScope(shield=True):
                await self._call("releasing the sync lock", holder.release)

    def lock(
        self, install_sid: str, *, shard: tuple[int, int] | None = None, wait: float = 5.0
    ) -> AbstractAsyncContextManager[None]:
        """An async context manager holding the sync lock of ``install_sid`` (and
        ``shard``, ``(I, N)``, 1-based) in this store, between processes.

        A whole-install lock excludes every other lock of the install; shards of one
        install exclude only themselves, so N workers can each sync their shard. Waits
        up to ``wait`` seconds for a busy lock, then raises
        :class:`~smarterproctoring_async.errors.StoreBusyError`. The lock is released
        on exit, and by the database or the OS if the process dies.
        """
        if not isinstance(install_sid, str) or not install_sid:
            raise ValueError("install_sid must be a non-empty str")
        if shard is not None and (
            not isinstance(shard, tuple)
            or len(shard) != 2
            or not all(type(part) is int for part in shard)
            or not 1 <= shard[0] <= shard[1]
        ):
            raise ValueError(f"shard must be (I, N) with 1 <= I <= N, not {shard!r}")
        if isinstance(wait, bool) or not isinstance(wait, (int, float)) or not wait >= 0:
            raise ValueError(f"wait must be a number of seconds >= 0, not {wait!r}")
        if math.isinf(wait):
            wait = float(2**31)  # a deadline anyio can add to the clock
        return self._locked(install_sid, shard, float(wait))

    async def versions(self, install_sid: str) -> dict[str, str]:
        """The stored version of each session of the install: session_sid -> version."""
        engine = self._open_engine()
        sid = typed_text(install_sid, self.dialect) or ""
        return await self._call("reading versions", _statements.stored_versions, engine, sid)

    async def save(self, result: SessionResult, *, version: str, run_id: int) -> None:
        """Store one fetched session in one transaction: its row (typed columns and the
        exact wire JSON), its events and annotations replacing the stored ones, and
        ``version`` as its sync state. ValueError unless ``result.ok`` with its ref,
        session, events and annotations; StoreError if the database refuses (nothing
        of the session is then changed)."""
        engine = self._open_engine()
        holders = list(self._holders)
        # On PostgreSQL the save goes on the connection holding the (first) lock, where
        # it cannot commit once that lock is lost; other locks are checked first.
        writer = next((h for h in holders if isinstance(h, PostgresLock)), None)
        others = [holder for holder in holders if holder is not writer]

        def write() -> None:
            # A lock lost (PostgreSQL restarted) may be another sync's now: storing on
            # would interleave with it, so the sync stops here instead.
            if not all(holder.held() for holder in others):
                raise self._lost()
            # Built in the worker thread too: thousands of events take real CPU time.
            rows = saved_rows(
                result, version=version, run_id=run_id, dialect=self.dialect, now=_now()
            )
            if writer is None:
                _statements.save_rows(engine, rows)
                return
            try:
                _statements.pg_saved(
                    lambda: writer.run(lambda connection: _statements.pg_save(connection, rows))
                )
            except LockLost:
                raise_alone(self._lost())

        await self._call("saving a session", write)

    def _lost(self) -> StoreError:
        return StoreError(
            f"the sync lost its lock on the store {self.url} (the database restarted or "
            "closed the connection): stopped so that no other sync interleaves; run it again"
        )

    async def start_run(
        self,
        install_sid: str,
        *,
        shard: tuple[int, int] | None,
        options: Mapping[str, JSONValue],
    ) -> int:
        """Log the start of a sync run (status ``running``); its id. Under this store's
        lock of the install (or of ``shard``), earlier runs of that scope still
        ``running`` become ``interrupted``: the lock proves no live sync has them (a
        killed process, a full disk). The install's lock covers all its runs; a shard's
        covers its own and the whole install's (see ``insert_run``)."""
        engine = self._open_engine()
        held = self._scopes
        whole, locked = (install_sid, None) in held, (install_sid, shard) in held
        row = {
            "install_sid": typed_text(install_sid, self.dialect) or "",
            "shard": shard_label(shard),
            "started": _now(),
            "status": "running",
            "options": json_text(dict(options)),
            "errors": "[]",
        }
        run = _statements.insert_run
        return await self._call("starting a run", run, engine, row, whole or locked, whole)

    async def finish_run(
        self,
        run_id: int,
        *,
        status: RunStatus,
        stored: int,
        unchanged: int,
        skipped: int,
        failed: int,
        events: int,
        annotations: int,
        requests: int,
        errors: Sequence[str],
        rate_limited: int = 0,
    ) -> None:
        """Log the end of a run: its status, counts (``rate_limited``: answers with
        status 429) and error lines. Runs even in a cancelled task (a stopped sync logs
        ``stopped`` before the cancel goes on)."""
        if status not in ("ok", "failed", "stopped"):
            raise ValueError(f"status must be 'ok', 'failed' or 'stopped', not {status!r}")
        engine = self._open_engine()
        values: dict[str, Any] = {"finished": _now(), "status": status, "requests": requests}
        values.update(stored=stored, unchanged=unchanged, skipped=skipped, failed=failed)
        values.update(events=events, annotations=annotations, rate_limited=rate_limited)
        values["errors"] = json_text([str(line) for line in errors])
        with anyio.CancelScope(shield=True):
            found = await self._call(
                "finishing a run", _statements.finish_run, engine, run_id, values
            )
        if not found:
            raise StoreError(f"the store {self.url} has no run {run_id}")

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[None]:
        """An async context manager under which every :meth:`rows` of this store reads
        one consistent snapshot: the store as it was on entry, every page of every
        table, while syncs go on saving beside it (they neither wait for it nor show
        in it). SQLite: one read transaction (WAL), PostgreSQL: one ``REPEATABLE READ
        READ ONLY`` transaction, on one connection held until exit (see
        ``store/_snapshot.py``). One snapshot per store at a time, else StoreError."""
        engine = self._open_engine()
        if self._snapshot is not None:
            raise StoreError(f"a snapshot of the store {self.url} is already open")
        connection = await self._call("opening a snapshot", _snapshot.open_snapshot, engine)
        self._snapshot = connection
        try:
            yield
        finally:
            self._snapshot = None
            with anyio.CancelScope(shield=True):
                await self._call("closing a snapshot", _snapshot.close_snapshot, connection)

    async def rows(
        self, table: Table, *, install_sid: str | None = None, batch: int = 1000
    ) -> AsyncIterator[dict[str, Any]]:
        """Every row of ``table`` (of one install, or all), in key order, read
        ``batch`` rows per query. Values are typed (timestamps timezone-aware UTC);
        ``wire``, and the runs' ``options`` and ``errors``, are JSON text.

        Inside :meth:`snapshot` every page comes from its snapshot; outside it each
        page is read on its own, so a sync saving meanwhile may show in later pages."""
        if table not in _schema.TABLES:
            raise ValueError(f"table must be one of {', '.join(_schema.TABLES)}, not {table!r}")
        if type(batch) is not int or batch < 1:
            raise ValueError(f"batch must be an int >= 1, not {batch!r}")
        engine = self._open_engine()
        sid = None if install_sid is None else typed_text(install_sid, self.dialect) or ""
        after: tuple[Any, ...] | None = None
        source: sa.Engine | sa.Connection = engine if self._snapshot is None else self._snapshot
        while True:
            # One query per batch, keyed after the last row: no cursor stays open while
            # the caller works on a batch (nor a transaction, outside a snapshot).
            found = await self._call(
                "reading rows", _statements.read_batch, source, table, sid, after, batch
            )
            for row in found:
                yield row
            if len(found) < batch:
                return
            after = _statements.key_of(table, found[-1])

    async def counts(self, install_sid: str | None = None) -> dict[str, int]:
        """Rows in ``sessions``, ``events``, ``annotations`` and ``runs`` (of one install,
        or all)."""
        engine = self._open_engine()
        sid = None if install_sid is None else typed_text(install_sid, self.dialect) or ""
        return await self._call("counting rows", _statements.count_rows, engine, sid)
