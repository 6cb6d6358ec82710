"""Pattern 1 of the reporting guide, post-session sync: store every finished session's
details, integrity events and proctor annotations in a local SQLite database.

Run it nightly: a session already stored is fetched again only when the appointments
report shows it changed (its status, last edit or review), so a run with nothing new
sends only the report's requests.

    export SMARTERPROCTORING_TOKEN=...          # SMARTERPROCTORING_BASE_URL for a test API
    python examples/post_session_sync.py --install AI... --db proctoring.sqlite
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
from typing import Any

import smarterproctoring_async as sp

SCHEMA = """
create table if not exists sessions (
    sid text primary key, install_sid text, exam_sid text, version text, body text);
create table if not exists events (sid text primary key, session_sid text, body text);
create table if not exists annotations (sid text primary key, session_sid text, body text);
"""


def version_of(row: sp.Appointment) -> str:
    """What changes in a report row when its session does."""
    wire: dict[str, Any] = row.to_dict()
    return json.dumps([wire.get(k) for k in ("status", "editDate", "reviewCompletedDate")])


def store(db: sqlite3.Connection, result: sp.SessionResult, version: str) -> None:
    """Replace one session's rows in one transaction: a crash never leaves half of it."""
    ref, details = result.ref, result.session
    assert ref is not None and details is not None
    with db:
        for table in ("events", "annotations"):
            db.execute(f"delete from {table} where session_sid = ?", (ref.session_sid,))
        db.execute(
            "insert or replace into sessions values (?, ?, ?, ?, ?)",
            (ref.session_sid, ref.install_sid, ref.exam_sid, version,
             json.dumps(details.to_dict())),
        )  # fmt: skip
        for table, records in (("events", result.events), ("annotations", result.annotations)):
            db.executemany(
                f"insert or replace into {table} values (?, ?, ?)",
                [(r.sid, ref.session_sid, json.dumps(r.to_dict())) for r in records or ()],
            )


async def sync(install_sid: str, db: sqlite3.Connection) -> int:
    """Fetch what is new or changed; the number of sessions that failed."""
    stored = dict(db.execute("select sid, version from sessions"))
    versions: dict[sp.SessionRef, str] = {}
    async with sp.Client() as client:  # token and base URL from the environment
        async for row in client.install(install_sid).reports.appointments():
            # The guide: sync a session only once it is terminal (Closed or Cancelled).
            if row.is_terminal and stored.get(row.sid) != version_of(row):
                versions[row.session_ref] = version_of(row)
        failed = 0
        async with client.stream_session_results(list(versions)) as results:
            async for result in results:
                if result.error is not None or result.ref is None:
                    failed += 1
                    print(f"failed: {result!r}")  # a one-line summary, never the token
                    continue
                store(db, result, versions[result.ref])
    print(f"synced {len(versions) - failed} sessions, {failed} failed, "
          f"{len(stored)} were stored before")  # fmt: skip
    return failed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--install", required=True, help="the install SID (AI...)")
    parser.add_argument("--db", default="proctoring.sqlite", help="the SQLite file")
    args = parser.parse_args()
    db = sqlite3.connect(args.db)
    db.executescript(SCHEMA)
    try:
        failed = asyncio.run(sync(args.install, db))
    finally:
        db.close()
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()
