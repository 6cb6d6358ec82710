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
    "MERGE_EPILOG",
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
  smarterproctoring-async export sessions --install AI... --out sync/ --shard 1/4
  smarterproctoring-async export merge sync/ --out merged/

Both exports resume where an interrupted run stopped: run the same command again.
A sessions export split with --shard is made one data set by `export merge`."""
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
  of each record. Read the files once no export is running in DIR.

several workers (--shard I/N, shards numbered 1 to N):
  Each worker takes the sessions whose SID hashes to its shard (the first 8
  bytes of its SHA-256, modulo N, plus 1: the same on every machine and run)
  and exports them to DIR/shard-I-of-N/, resumable as above. Start worker I of
  N with --shard I/N, the same DIR (or a copy of it on each machine) and the
  same filters. Every worker still reads the whole appointments report: that
  is a few pages against one fetch per session, and a worker needs it to know
  which sessions exist. A shard directory refuses a worker of another --shard,
  and DIR itself stays free for an export without --shard. When all are done:
  `smarterproctoring-async export merge DIR --out MERGED`.

one request budget for all workers (--redis-url):
  Each process has its own budget of --rate-limit requests a second, so N
  workers send up to N times as many. With --redis-url (or
  $SMARTERPROCTORING_REDIS_URL, which keeps a password off the command line)
  every worker draws on one budget kept in Redis under --redis-key (default:
  smarterproctoring:budget:<install>), and --rate-limit (with bursts of
  --burst) is then the total for all of them; a 429 seen by one pauses them
  all. Give every worker the rate and burst of the API's own limit. Needs the
  redis extra: pip install 'smarterproctoring-async[redis]'. If Redis cannot be
  reached the export stops (exit 1) rather than spend the budget N times over.
  smarterproctoring-async export sessions --install AI... --out sync/ \\
      --shard 2/4 --redis-url redis://cache.internal:6379/0 --rate-limit 10"""
    + _TAIL
)

MERGE_EPILOG = """\
examples:
  smarterproctoring-async export merge sync/ --out merged/
  smarterproctoring-async export merge a/shard-1-of-2 b/shard-2-of-2 --out merged/

what it does:
  Combines the directories of `export sessions --shard I/N` (name each, or a
  DIR holding shard-I-of-N directories) into MERGED with the files of an
  export without --shard: JSON Lines and CSV files concatenated (CSV with the
  union of the shards' columns), Parquet parts rewritten into one folder per
  kind, and a state.json, so `export sessions --out MERGED` can carry on from
  it without shards. Only what each shard committed is read, and the shard
  directories are left as they are. MERGED must be new or empty; it appears
  only once complete (a killed merge leaves a hidden .MERGED.merging-PID
  directory next to it, which can be removed).

refused, before anything is written:
  shards of different formats, installs, report filters or numbers of shards;
  a shard given twice or missing (it is named); a shard whose last run did not
  finish (interrupted, or some sessions failed): run it again, or pass
  --allow-partial to merge what it has, with a warning. Run the merge once
  no worker is running.

exit codes:
  0  merged
  1  a file could not be read or written
  2  usage, or shards that are not one complete set (see above)
"""

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
