"""The plain-text epilogs of ``--help``: examples, configuration, exit codes."""

from __future__ import annotations

from .config import CONNECTION_HELP
from .errors import EXIT_CODES_HELP

__all__ = [
    "DEMO_EPILOG",
    "EXAM_EVENTS_EPILOG",
    "EXPORT_EPILOG",
    "FAKE_API_EPILOG",
    "MAIN_EPILOG",
    "REPORT_EPILOG",
    "SESSIONS_EPILOG",
]

_TAIL = f"\n\n{CONNECTION_HELP}\n\n{EXIT_CODES_HELP}\n"

MAIN_EPILOG = (
    """\
examples:
  smarterproctoring-async demo
  export SMARTERPROCTORING_TOKEN=...        # or --token-file PATH
  smarterproctoring-async export sessions --install AI... --out sync/ --format csv
  smarterproctoring-async export exam-events --install AI... --exam EX... --out ev/
  smarterproctoring-async report appointments --install AI... --status Closed
  smarterproctoring-async report --list
  smarterproctoring-async fake-api --port 8080

Run `smarterproctoring-async COMMAND --help` for a command's options."""
    + _TAIL
)

EXPORT_EPILOG = (
    """\
examples:
  smarterproctoring-async export sessions --install AI... --out sync/
  smarterproctoring-async export exam-events --install AI... --exam EX... --out ev/

Both resume where an interrupted run stopped: run the same command again."""
    + _TAIL
)

SESSIONS_EPILOG = (
    """\
examples:
  smarterproctoring-async export sessions --install AI... --out sync/
  smarterproctoring-async export sessions --install AI... --exam EX... \\
      --after 2025-01-01 --out sync/ --format parquet

what it does:
  Lists the install's sessions with the appointments report (the filters above
  are that report's), and fetches the details, events and annotations of every
  Closed or Cancelled session not exported yet, or changed since it was (its
  status, editDate, review or event count differ). Sessions not terminal yet
  are left for a later run. A change the report row does not show (an
  annotation edited after the review, say) cannot be seen from the row:
  --refetch fetches every terminal session again, replacing its rows.

files in DIR:
  sessions.jsonl, events.jsonl, annotations.jsonl (or .csv; for parquet the
  folders sessions/, events/, annotations/ of part-NNNNNN.parquet files) and
  state.json. Every row is the record as the API sent it, preceded by
  install_sid, exam_sid and session_sid. CSV and Parquet columns are fixed by
  the first rows written; fields seen later are in the last column, _more, as
  a JSON object; nested values are JSON text.

resuming:
  state.json is saved after the rows it counts are on disk. A run that was
  killed, interrupted or cut off resumes where it stopped: files are cut back
  to what state.json counts (parquet parts it does not name are removed) and
  sessions already exported are not fetched again. A second run with nothing
  new sends only the appointments report's requests. A session that changed is
  fetched again and its old rows removed first: the files hold exactly one copy
  of each record. Read the files once no export is running in DIR."""
    + _TAIL
)

EXAM_EVENTS_EPILOG = (
    """\
examples:
  smarterproctoring-async export exam-events --install AI... --exam EX... --out ev/
  smarterproctoring-async export exam-events --install AI... --exam EX... \\
      --status Open --out open-events/ --format csv

what it does:
  Writes the exam-level event list (GET .../exams/{examSid}/events, oldest
  first) to events.jsonl (or .csv, or events/*.parquet) in DIR, rows as the API
  sent them with install_sid, exam_sid and session_sid in front.

resuming, for a list that can change:
  The API offers no cursor, so every run reads the list from the start and
  skips the rows already committed, as long as the last committed row is still
  at its position; new events are then appended. If the list changed before
  that point (events deleted or inserted), the export starts over."""
    + _TAIL
)

REPORT_EPILOG = (
    """\
examples:
  smarterproctoring-async report --list
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

Runs a fake SmarterProctoring API on 127.0.0.1 (no token, no network), syncs
every closed session of a generated install while the fake injects faults and
429s, then prints what it fetched, the requests, retries and 429s it took, and
how much faster than the reporting guide's sequential loop it was.

exit codes:
  0  the demo ran
  1  some sessions failed
  2  usage (e.g. --sessions 0)
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
