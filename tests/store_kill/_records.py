"""What the store must hold (from the fake's data) and what it does hold (read back).

Expected records come from the fake's data set, not from the client: a session's wire
JSON is ``json.dumps(record, ensure_ascii=True, separators=(",", ":"))`` of the record
the fake serves (the appointments report row is the session object as served, and a
decoded model's ``to_dict()`` is the record exactly as sent), its events and
annotations are its lists in order (``position`` = index).

The store is read twice over: :func:`snapshot` with the databases' own drivers
(sqlite3, psycopg), independently of the package, and :func:`read_store` through
``Store.rows`` (the public way). Both give a :class:`Records`.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import smarterproctoring_async as sp
from smarterproctoring_async.testing import FakeData, FakeSession

TERMINAL = frozenset({"closed", "cancelled"})

Key = tuple[str, int]


def wire(record: Any) -> str:
    """The store's wire JSON of a record (the design's spelling)."""
    return json.dumps(record, ensure_ascii=True, separators=(",", ":"))


@dataclass
class Records:
    """Sessions, events and annotations by key, each as wire JSON; the synced versions."""

    sessions: dict[str, str] = field(default_factory=dict)
    events: dict[Key, str] = field(default_factory=dict)
    annotations: dict[Key, str] = field(default_factory=dict)
    #: sync_state's session SIDs (None when not read: the fake has no such thing).
    state: set[str] | None = None
    #: Rows counted with count(*) (to catch a reader that hides rows).
    counted: dict[str, int] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        """Sessions, events and annotations held."""
        return {
            "sessions": len(self.sessions),
            "events": len(self.events),
            "annotations": len(self.annotations),
        }

    def of(self, session_sid: str) -> tuple[dict[int, str], dict[int, str]]:
        """One session's events and annotations, by position."""
        events = {p: w for (s, p), w in self.events.items() if s == session_sid}
        notes = {p: w for (s, p), w in self.annotations.items() if s == session_sid}
        return events, notes


def terminal(session: FakeSession) -> bool:
    """Closed or Cancelled, as the sync's ``only_terminal=True`` reads it."""
    return session.status.strip().lower() in TERMINAL


def expected(data: FakeData, install_sid: str, sessions: Iterable[str] | None = None) -> Records:
    """The install's terminal sessions with every event and annotation (or only the
    sessions named)."""
    wanted = None if sessions is None else set(sessions)
    found = Records()
    for session in data.install_sessions(install_sid):
        if not terminal(session) or (wanted is not None and session.sid not in wanted):
            continue
        found.sessions[session.sid] = wire(session.served())
        for position, event in enumerate(session.events):
            found.events[session.sid, position] = wire(event)
        for position, note in enumerate(session.annotations):
            found.annotations[session.sid, position] = wire(note)
    return found


# -- reading a store with the databases' own drivers ----------------------------------

_QUERIES = {
    "sessions": "SELECT session_sid, wire FROM sessions",
    "events": "SELECT session_sid, position, wire FROM events",
    "annotations": "SELECT session_sid, position, wire FROM annotations",
    "state": "SELECT session_sid FROM sync_state",
}
TABLES = ("sessions", "events", "annotations", "sync_state", "runs", "schema_version")


def sqlite_path(url: str) -> str:
    """The file of a ``sqlite:///`` URL."""
    assert url.startswith("sqlite:///"), url
    return url[len("sqlite:///") :]


@contextlib.contextmanager
def connect(url: str) -> Any:
    """A DB-API connection to the store's database (sqlite3 or psycopg), closed after."""
    if url.startswith("sqlite"):
        with contextlib.closing(sqlite3.connect(sqlite_path(url), timeout=30)) as conn:
            yield conn
        return
    import psycopg  # the tests' plumbing reads PostgreSQL without the package

    with psycopg.connect(url) as conn:
        yield conn


def existing_tables(conn: Any, url: str) -> set[str]:
    """Names of the tables in the database."""
    if url.startswith("sqlite"):
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    else:
        rows = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchall()
    return {str(r[0]) for r in rows}


def snapshot(url: str) -> Records:
    """Everything the store holds, read with the database's own driver (no package code).

    An empty database (no tables yet: the store was never opened, or it was killed while
    creating them) reads as an empty store.
    """
    found = Records(state=set())
    with connect(url) as conn:
        if "sessions" not in existing_tables(conn, url):
            return found
        for sid, text in conn.execute(_QUERIES["sessions"]).fetchall():
            found.sessions[str(sid)] = str(text)
        for name in ("events", "annotations"):
            target = found.events if name == "events" else found.annotations
            for sid, position, text in conn.execute(_QUERIES[name]).fetchall():
                target[str(sid), int(position)] = str(text)
        found.state = {str(r[0]) for r in conn.execute(_QUERIES["state"]).fetchall()}
        for table in ("sessions", "events", "annotations", "sync_state"):
            found.counted[table] = int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    return found


def drop_everything(url: str) -> None:
    """Back to an empty database: every table of the store dropped (the next sync creates
    the schema again)."""
    with connect(url) as conn:
        present = existing_tables(conn, url)
        for table in TABLES:
            if table in present:
                cascade = "" if url.startswith("sqlite") else " CASCADE"
                conn.execute(f"DROP TABLE {table}{cascade}")
        conn.commit()


def run_statuses(url: str) -> list[tuple[int, str]]:
    """(id, status) of every run in the log, in id order."""
    with connect(url) as conn:
        if "runs" not in existing_tables(conn, url):
            return []
        rows = conn.execute("SELECT id, status FROM runs ORDER BY id").fetchall()
    return [(int(i), str(s)) for i, s in rows]


# -- reading it through the package ---------------------------------------------------


async def read_store(url: str, install_sid: str) -> Records:
    """The install's records through ``Store.rows`` and ``Store.versions`` (public API)."""
    found = Records()
    async with sp.Store(url) as store:
        async for row in store.rows("sessions", install_sid=install_sid):
            assert row["session_sid"] not in found.sessions, row["session_sid"]
            assert row["install_sid"] == install_sid
            found.sessions[row["session_sid"]] = row["wire"]
        for name, target in (("events", found.events), ("annotations", found.annotations)):
            async for row in store.rows(name, install_sid=install_sid):  # type: ignore[arg-type]
                key = (row["session_sid"], row["position"])
                assert key not in target, (name, key)
                assert row["install_sid"] == install_sid
                target[key] = row["wire"]
        found.state = set(await store.versions(install_sid))
        found.counted = dict(await store.counts(install_sid))
    return found


# -- the checks -----------------------------------------------------------------------


def assert_all_or_nothing(held: Records, want: Records) -> None:
    """Every session the store holds is one of ``want``'s, complete and exact; nothing
    else is held (no orphan event or annotation, no version without its session)."""
    extra = held.sessions.keys() - want.sessions.keys()
    assert not extra, f"sessions not expected: {sorted(extra)[:5]}"
    for sid, text in held.sessions.items():
        assert text == want.sessions[sid], f"session {sid}: wire differs"
        got_events, got_notes = held.of(sid)
        want_events, want_notes = want.of(sid)
        assert got_events == want_events, (
            f"session {sid}: {len(got_events)} events stored, {len(want_events)} expected"
            f" (same wire: {sum(got_events.get(p) == w for p, w in want_events.items())})"
        )
        assert got_notes == want_notes, (
            f"session {sid}: {len(got_notes)} annotations stored, {len(want_notes)} expected"
        )
    orphans = {s for s, _ in [*held.events, *held.annotations]} - held.sessions.keys()
    assert not orphans, f"events or annotations without their session: {sorted(orphans)[:5]}"
    if held.state is not None:
        assert held.state == set(held.sessions), (
            f"sync_state and sessions disagree: {len(held.state)} versions, "
            f"{len(held.sessions)} sessions; only in state: "
            f"{sorted(held.state - set(held.sessions))[:3]}, only in sessions: "
            f"{sorted(set(held.sessions) - held.state)[:3]}"
        )
    for table, number in held.counted.items():
        if table in ("sessions", "events", "annotations"):
            assert number == held.counts()[table], f"{table}: count(*) {number} != rows read"


def assert_exact(held: Records, want: Records) -> None:
    """The store holds exactly ``want``: same keys, same wire JSON, same counts."""
    assert_all_or_nothing(held, want)
    missing = want.sessions.keys() - held.sessions.keys()
    assert not missing, f"{len(missing)} sessions missing: {sorted(missing)[:5]}"
    assert held.counts() == want.counts()
    assert held.events == want.events
    assert held.annotations == want.annotations
    assert held.sessions == want.sessions


#: Columns saying when, by which run and by which plan a row was stored, not what it holds.
HOW_STORED = ("stored_at", "run_id", "plan")


def typed_rows(url: str, table: str) -> list[dict[str, Any]]:
    """Every row of a store table, every column but those of ``HOW_STORED``, in key
    order: to compare two stores."""
    with connect(url) as conn:
        if url.startswith("sqlite"):
            names = [r[1] for r in conn.execute(f"PRAGMA table_info({table})").fetchall()]
        else:
            names = [
                r[0]
                for r in conn.execute(
                    "SELECT column_name FROM information_schema.columns"
                    " WHERE table_schema = 'public' AND table_name = %s ORDER BY ordinal_position",
                    (table,),
                ).fetchall()
            ]
        kept = [n for n in names if n not in HOW_STORED]
        key = "session_sid" if table in ("sessions", "sync_state") else "session_sid, position"
        rows = conn.execute(f"SELECT {', '.join(kept)} FROM {table} ORDER BY {key}").fetchall()
    return [dict(zip(kept, r, strict=True)) for r in rows]


def differing_columns(one: list[dict[str, Any]], two: list[dict[str, Any]]) -> list[str]:
    """Columns whose values differ between two row lists of equal length (else ["rows"])."""
    if len(one) != len(two):
        return ["rows"]
    return sorted({k for a, b in zip(one, two, strict=True) for k in a if a[k] != b.get(k)})
