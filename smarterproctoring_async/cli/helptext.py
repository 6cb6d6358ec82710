"""The plain-text epilogs of ``--help``: examples, configuration, exit codes."""

from __future__ import annotations

from .config import CONNECTION_HELP
from .errors import EXIT_CODES_HELP

__all__ = [
    "DEMO_EPILOG",
    "EXPORT_EPILOG",
    "FAKE_API_EPILOG",
    "MAIN_EPILOG",
    "REPORT_EPILOG",
    "SYNC_EPILOG",
]

_TAIL = f"\n\n{CONNECTION_HELP}\n\n{EXIT_CODES_HELP}\n"

MAIN_EPILOG = (
    """\
examples:
  smarterproctoring-async demo
  export SMARTERPROCTORING_TOKEN=...        # or --token-file PATH
  smarterproctoring-async sync --install AI...          # into ./smarterproctoring.db
  smarterproctoring-async sync --install AI... --to postgresql://sync@db/proctoring
  smarterproctoring-async export --out files/ --format parquet
  smarterproctoring-async report appointments --install AI... --status Closed
  smarterproctoring-async report --list
  smarterproctoring-async dashboard --install AI...     # http://127.0.0.1:8050/
  smarterproctoring-async fake-api --port 8080

Run `smarterproctoring-async COMMAND --help` for a command's options."""
    + _TAIL
)

SYNC_EPILOG = (
    """\
examples:
  smarterproctoring-async sync --install AI...
  smarterproctoring-async sync --install AI... --to sqlite:////var/lib/sp/store.db
  PGPASSWORD=... smarterproctoring-async sync --install AI... \\
      --to postgresql://sync@db.internal/proctoring
  smarterproctoring-async sync --install AI... --follow --interval 5m \\
      --window 22:00-06:00 --tz Europe/Paris
  smarterproctoring-async sync --install AI... --shard 2/4 \\
      --redis-url redis://cache.internal:6379/0 --to postgresql://sync@db/proctoring

what it does (the library's `await client.sync(install, store)`):
  Reads the install's appointments report once (the filters above are its
  filters) and stores every Closed or Cancelled session (with --only-terminal
  reviewed: once its review is complete as well) with all its events and
  annotations, in one transaction per session: a session is in the store whole
  or not at all, whatever stops the run (Ctrl-C, SIGTERM, SIGKILL, a full
  disk). A session whose report row is unchanged since it was stored costs no
  request; one that changed (a review completed later, say) is fetched again
  and replaced. Run it again at any time: it resumes.

store (--to):
  sqlite:///path.db (a file; the default is ./smarterproctoring.db) or
  postgresql://user@host[:port]/database. A password is refused in the URL:
  give it through $PGPASSWORD or ~/.pgpass (read by the driver itself). Needs
  pip install 'smarterproctoring-async[store]' (SQLite) or '[postgres]'.

one sync at a time, shards, schedule:
  A sync holds the store's lock on the install; another one waits --lock-wait
  seconds, then exits 5 (store busy). With --shard I/N, N workers (each with
  its own I) fill one store, ideally PostgreSQL, together: the store then holds
  what a single sync would; --redis-url makes them share one request budget.
  --follow syncs again every --interval (90, 90s, 5m, 1h) until stopped;
  --window starts passes only within those hours (in --tz), waiting otherwise
  and saying until when. Ctrl-C or SIGTERM stops it cleanly (exit 130 / 143).

output:
  One line: sessions stored, unchanged, skipped (not terminal yet), failed;
  events and annotations stored; requests sent. A failed session is one line
  on stderr (and in the store's runs table) and is tried again next time."""
    + _TAIL
)

EXPORT_EPILOG = """\
examples:
  smarterproctoring-async export --out files/
  smarterproctoring-async export --from postgresql://sync@db/proctoring \\
      --out files/ --format parquet --install AI...
  smarterproctoring-async export --out files/ --format csv --csv-raw

what it does:
  Writes the store's sessions, events and annotations to sessions.FORMAT,
  events.FORMAT and annotations.FORMAT in DIR: the store's typed columns (each
  ID once: session_sid, install_sid, exam_sid, sid) and wire, the record
  exactly as the API sent it (JSON text). Each file is written to a temporary
  file in DIR, synced, then renamed over the old one: a reader never sees half
  a file. A symbolic link in place of a file is refused.

formats:
  jsonl    one JSON object a line; timestamps in ISO 8601
  csv      a header row; true/false; ISO 8601; a text cell starting with = + -
           @ tab or CR gets a leading ' so that a spreadsheet shows it rather
           than running it as a formula (--csv-raw: the text as it is)
  parquet  typed columns: timestamps (UTC), booleans, 64-bit integers; needs
           pip install 'smarterproctoring-async[parquet]'

replaced commands:
  `export sessions`, `export exam-events` and `export merge` are gone: run
  `sync` (which resumes, never duplicates and needs no merge), then `export`.

exit codes:
  0  written
  1  the store or a file could not be read or written
  2  usage, a missing optional package, a refused target
"""

REPORT_EPILOG = (
    """\
examples:
  smarterproctoring-async report --list
  smarterproctoring-async dashboard --install AI...     # http://127.0.0.1:8050/
  smarterproctoring-async report appointments --install AI... --status Closed
  smarterproctoring-async report appointments --install AI... --columns sid,status
  smarterproctoring-async report modality-distribution --install AI... --format json
  smarterproctoring-async report exam-volume --install AI... \\
      --exam-date-range 2025-01-01 2025-06-30 --format csv

Filters are the report's typed filters (see `report --list`): values are
checked by the SDK before any request; a bad one exits with status 2. Dates are
2025-01-31 or 2025-01-31T08:00:00Z."""
    + _TAIL
)

DEMO_EPILOG = """\
examples:
  smarterproctoring-async demo
  smarterproctoring-async demo --sessions 200
  smarterproctoring-async demo --to sqlite:///demo.db

Runs a fake SmarterProctoring API on 127.0.0.1 (no token, no network) and
syncs its install into a SQLite store (a temporary file unless --to is given)
while the fake injects faults and 429s, as `sync` does; then prints the
requests, retries and 429s it took, how much faster than the reporting guide's
sequential loop it was, and what the store holds, read back from it.

exit codes:
  0  the demo ran
  1  some sessions failed
  2  usage (e.g. --sessions 0), or the store extra missing
"""

FAKE_API_EPILOG = """\
examples:
  smarterproctoring-async fake-api --port 8080
  smarterproctoring-async fake-api --seed 3 --latency 0.02

Prints one JSON object on stdout (base_url, token, env: the two variables to
export, example: one closed session's SIDs, and per install its exam SIDs and
one session of each status), then serves until Ctrl-C. Point the other commands
at it:
  SMARTERPROCTORING_TOKEN=<token> smarterproctoring-async report appointments \\
      --base-url <base_url> --install <install_sid>

exit codes:
  0  stopped by Ctrl-C or SIGTERM
  2  usage
"""
