"""The store's tables and how a store is brought to this release's schema.

Tables (every SID column is text; timestamps are timezone-aware, in UTC):

- ``sessions``: one row per stored session. ``session_sid`` (key), ``install_sid``,
  ``exam_sid`` (the session's parents), the documented fields used to select rows
  (``enrollment_sid``, ``status``, ``session_type``, ``appointment_date``,
  ``review_completed_date``, ``review_required``, ``reviewed``,
  ``session_report_count``), how it was read (``details_from_report``, ``plan``), the
  record exactly as the server sent it (``wire``), ``stored_at`` and ``run_id``.
- ``events`` and ``annotations``: one row per record, keyed by
  (``session_sid``, ``position`` in the session's list); ``install_sid`` and
  ``exam_sid`` on every row; typed documented fields; ``wire``.
- ``sync_state``: per session, the ``version`` stored (what the sync compares to skip
  unchanged sessions), the ``run_id`` that stored it and when.
- ``runs``: the run log: ``id``, ``install_sid``, ``shard`` (``"I/N"`` or NULL),
  ``started``, ``finished``, ``status`` (``running`` until finished, then ``ok``,
  ``failed`` or ``stopped``; ``interrupted`` when the process died before finishing
  it: a later run of the same scope marks it so, ``finished`` staying NULL),
  ``options`` (JSON), the counts (``rate_limited``: answers with status 429, from
  version 2), ``errors`` (JSON list).

``wire`` holds ``record_json(record)``: compact and ASCII only, so a NUL or a lone
surrogate survives even PostgreSQL (whose text refuses both), a number beyond a double
keeps its text, and ``json.loads`` gives back the record exactly. Typed columns cannot
always hold the truth: an integer outside signed 64 bits is NULL there, and a lone surrogate (which
SQLite's driver cannot encode either) or, on PostgreSQL only, a NUL character becomes
U+FFFD. The wire column always has the exact value.

Versions: the ``schema_version`` table holds one row, the version of the store's
layout. Opening a store applies, in order and in one transaction, every migration
newer than that version (an empty database is version 0, so the first migration
creates the tables); a store written by a newer release, or a database holding
tables of this name but no version, is refused. A migration is a function of a
connection, appended to ``MIGRATIONS`` with the next number; published ones never
change.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..errors import StoreError
from ._db import UTCDateTime, sa

__all__ = [
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "TABLES",
    "Migration",
    "annotations_table",
    "events_table",
    "runs_table",
    "sessions_table",
    "sync_state_table",
    "upgrade",
]

metadata = sa.MetaData()

# BIGINT on PostgreSQL; SQLite's rowid alias must be spelt INTEGER to autoincrement.
_RunId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _stamp(name: str, *, nullable: bool = True) -> sa.Column[Any]:
    return sa.Column(name, UTCDateTime(), nullable=nullable)


sessions_table = sa.Table(
    "sessions",
    metadata,
    sa.Column("session_sid", sa.Text, primary_key=True),
    sa.Column("install_sid", sa.Text, nullable=False, index=True),
    sa.Column("exam_sid", sa.Text, nullable=False),
    sa.Column("enrollment_sid", sa.Text),
    sa.Column("status", sa.Text),
    sa.Column("session_type", sa.Text),
    _stamp("appointment_date"),
    _stamp("review_completed_date"),
    sa.Column("review_required", sa.Boolean),
    sa.Column("reviewed", sa.Boolean),
    sa.Column("session_report_count", sa.BigInteger),
    sa.Column("details_from_report", sa.Boolean, nullable=False),
    sa.Column("plan", sa.Text, nullable=False),
    sa.Column("wire", sa.Text, nullable=False),
    _stamp("stored_at", nullable=False),
    sa.Column("run_id", sa.BigInteger, nullable=False),
)


def _child(name: str, *typed: sa.Column[Any]) -> sa.Table:
    """Events and annotations: keyed by session and position, parents on every row."""
    return sa.Table(
        name,
        metadata,
        sa.Column(
            "session_sid",
            sa.Text,
            sa.ForeignKey("sessions.session_sid", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("position", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("install_sid", sa.Text, nullable=False, index=True),
        sa.Column("exam_sid", sa.Text, nullable=False),
        sa.Column("sid", sa.Text),
        *typed,
        _stamp("created_date"),
        sa.Column("wire", sa.Text, nullable=False),
    )


events_table = _child(
    "events",
    sa.Column("subject", sa.Text),
    sa.Column("status", sa.Text),
    _stamp("event_time"),
    sa.Column("event_type_sid", sa.Text),
    sa.Column("draft", sa.Boolean),
)

annotations_table = _child(
    "annotations",
    sa.Column("severity", sa.Text),
    sa.Column("type", sa.Text),
    sa.Column("title", sa.Text),
    sa.Column("session_time", sa.Float),
    sa.Column("status", sa.Text),
)

sync_state_table = sa.Table(
    "sync_state",
    metadata,
    sa.Column(
        "session_sid",
        sa.Text,
        sa.ForeignKey("sessions.session_sid", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("install_sid", sa.Text, nullable=False, index=True),
    sa.Column("version", sa.Text, nullable=False),
    sa.Column("run_id", sa.BigInteger, nullable=False),
    _stamp("stored_at", nullable=False),
)

_COUNTS = (
    "stored", "unchanged", "skipped", "failed", "events", "annotations", "requests",
    "rate_limited",  # schema version 2
)  # fmt: skip

runs_table = sa.Table(
    "runs",
    metadata,
    sa.Column("id", _RunId, primary_key=True, autoincrement=True),
    sa.Column("install_sid", sa.Text, nullable=False, index=True),
    sa.Column("shard", sa.Text),
    _stamp("started", nullable=False),
    _stamp("finished"),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("options", sa.Text, nullable=False),
    *(sa.Column(name, sa.BigInteger, nullable=False, server_default="0") for name in _COUNTS),
    sa.Column("errors", sa.Text, nullable=False, server_default="[]"),
)

#: The tables ``Store.rows`` reads, by name.
TABLES: dict[str, sa.Table] = {
    "sessions": sessions_table,
    "events": events_table,
    "annotations": annotations_table,
    "runs": runs_table,
}

_version_table = sa.Table(
    "schema_version",
    sa.MetaData(),
    sa.Column("version", sa.Integer, nullable=False),
)


def _create_tables_v1(connection: sa.Connection) -> None:
    metadata.create_all(connection, checkfirst=False)


def _count_429s_v2(connection: sa.Connection) -> None:
    # A store new in this release has the column already (v1 creates today's tables).
    if "rate_limited" in {c["name"] for c in sa.inspect(connection).get_columns("runs")}:
        return
    connection.execute(
        sa.text("ALTER TABLE runs ADD COLUMN rate_limited BIGINT NOT NULL DEFAULT 0")
    )


Migration = Callable[[sa.Connection], None]

#: Migration n (1-based) brings a store from version n - 1 to n. Append only.
MIGRATIONS: list[Migration] = [_create_tables_v1, _count_429s_v2]

#: The layout this release writes.
SCHEMA_VERSION = len(MIGRATIONS)

# Serialises first opens of one PostgreSQL database (four shard workers starting at
# once): without it two would both create the tables and one would fail.
_MIGRATION_LOCK_KEY = 0x5350_5354_4F52_4531  # "SPSTORE1"


def upgrade(
    connection: sa.Connection, where: str, migrations: Sequence[Migration], *, create: bool = True
) -> int:
    """Bring the store to ``len(migrations)`` inside the caller's transaction; the
    version it had. StoreError for a newer store or for tables of unknown origin, and
    (``create=False``) for a database without the store's tables."""
    if connection.dialect.name == "postgresql":
        connection.execute(sa.select(sa.func.pg_advisory_xact_lock(_MIGRATION_LOCK_KEY)))
    target = len(migrations)
    found = _version(connection, where)
    if found == 0 and not create:
        raise StoreError(f"no store at {where}")
    if found > target:
        raise StoreError(
            f"the store {where} has schema version {found}, written by a newer release "
            f"of smarterproctoring-async (this one knows up to {target}): upgrade the package"
        )
    if found == target:
        return found
    for number in range(found + 1, target + 1):
        migrations[number - 1](connection)
    if found == 0 and not _has_version_table(connection):
        _version_table.create(connection)
        connection.execute(_version_table.insert().values(version=target))
    else:
        connection.execute(_version_table.update().values(version=target))
    return found


def _has_version_table(connection: sa.Connection) -> bool:
    return sa.inspect(connection).has_table(_version_table.name)


def _version(connection: sa.Connection, where: str) -> int:
    if not _has_version_table(connection):
        names = set(sa.inspect(connection).get_table_names())
        ours = sorted(names & (set(metadata.tables) | {"sync_state"}))
        if ours:
            raise StoreError(
                f"the database {where} has tables named {', '.join(ours)} but no "
                "schema_version table: it is not a smarterproctoring store"
            )
        return 0
    values = [row[0] for row in connection.execute(sa.select(_version_table.c.version))]
    if len(values) != 1 or not isinstance(values[0], int):
        raise StoreError(
            f"the store {where} has a damaged schema_version table "
            f"({len(values)} rows instead of one)"
        )
    return int(values[0])
