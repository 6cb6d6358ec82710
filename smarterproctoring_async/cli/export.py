"""``export``: the store's sessions, events and annotations as JSON Lines, CSV or Parquet.

The store (filled by ``sync``) holds the data; this command only writes files of it:
``sessions``, ``events`` and ``annotations`` (``.jsonl``, ``.csv`` or ``.parquet``) in
``--out``, replaced together once all three are written (see ``export_files``); Ctrl-C
or SIGTERM leaves the old files and no temporary one. Running it again rewrites
them from the store; nothing is appended and no state is kept beside the files.

The former ``export sessions``, ``export exam-events`` and ``export merge`` (files
with a state of their own) are gone: :func:`legacy_message` gives the one line saying
what to run instead.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .console import add_output_options
from .errors import EXIT_OK, STDOUT, CliError, naming
from .export_files import (
    COLUMNS,
    Staging,
    csv_cell,
    csv_writer,
    jsonl_line,
    refuse_links,
    staging,
)
from .helptext import EXPORT_EPILOG
from .stopping import stoppable
from .stores import DEFAULT_STORE, STORE_HELP, open_store

if TYPE_CHECKING:
    from .. import Store

__all__ = ["FORMATS", "add_export_command", "legacy_message", "run_export"]

FORMATS = ("jsonl", "csv", "parquet")
TABLES = ("sessions", "events", "annotations")
_LEGACY = ("sessions", "exam-events", "merge")


def legacy_message(argv: Sequence[str]) -> str | None:
    """The line for a former ``export sessions|exam-events|merge`` job; None otherwise."""
    if len(argv) < 2 or argv[0] != "export" or argv[1] not in _LEGACY:
        return None
    return (
        f"`export {argv[1]}` was replaced: run `smarterproctoring-async sync --install AI… "
        f"[--to URL] [filters]` (resumable, exactly once, into a database), then "
        f"`smarterproctoring-async export --from URL --out DIR [--format …]`"
    )


async def run_export(args: argparse.Namespace) -> int:
    """``export``: see the module documentation."""
    if args.format == "parquet":
        from . import parquet_file  # noqa: F401  (a missing pyarrow: exit 2, nothing opened)
    out: Path = args.out
    targets = {table: out / f"{table}.{args.format}" for table in TABLES}
    counts: dict[str, int] = {}
    # create=False: a mistyped --from must fail, not export an empty new store over
    # good files; nothing in --out is touched before the store is open.
    async with open_store(args.source, "--from", create=False) as store:
        if args.install is not None and not (await store.counts(args.install))["sessions"]:
            # A mistyped SID must not replace good files with empty ones.
            raise CliError(
                f"the store {store.url} holds no session of install {args.install!r}: "
                "nothing exported (is it the install `sync --install` filled?)"
            )
        _prepare(out, list(targets.values()))
        # One snapshot for the three tables: a sync saving meanwhile cannot make the
        # events of one version of a session sit beside the session of another.
        with stoppable(), staging() as files:
            async with store.snapshot():
                for table, path in targets.items():
                    counts[table] = await _write(store, table, files, path, args)
    with naming(STDOUT):  # the files are in place: a failing stdout is not --out's fault
        print(
            f"exported {counts['sessions']} sessions, {counts['events']} events and "
            f"{counts['annotations']} annotations from {store.url} to {out}"
        )
    return EXIT_OK


def _prepare(out: Path, targets: list[Path]) -> None:
    """The folder made, every target checked before any is written (blocking, brief)."""
    out.mkdir(parents=True, exist_ok=True)
    refuse_links(targets)


async def _write(
    store: Store, table: str, files: Staging, path: Path, args: argparse.Namespace
) -> int:
    rows = store.rows(table, install_sid=args.install)  # type: ignore[arg-type]
    count = 0
    if args.format == "parquet":
        from .parquet_file import write_parquet

        with files.file(path, "wb") as binary:
            return await write_parquet(binary, table, rows)
    with files.file(path, "w") as file:
        if args.format == "jsonl":
            async for row in rows:
                file.write(jsonl_line(row))
                count += 1
            return count
        writer = csv_writer(file)
        header: list[str] | None = None
        async for row in rows:
            if header is None:
                header = list(row)
                writer.writerow(header)
            writer.writerow([csv_cell(row.get(name), raw=args.csv_raw) for name in header])
            count += 1
        if header is None:  # an empty table still has its header
            writer.writerow(list(COLUMNS[table]))
    return count


def add_export_command(commands: argparse._SubParsersAction[Any], common: dict[str, Any]) -> None:
    """``export --from URL --out DIR [--format …] [--install AI…] [--csv-raw]``."""
    export = commands.add_parser(
        "export", help="write the store's sessions, events and annotations to files",
        description="Write the store's sessions, events and annotations as JSON Lines, CSV or "
        "Parquet files, each replaced atomically.",
        epilog=EXPORT_EPILOG, **common,
    )  # fmt: skip
    export.add_argument(
        "--from", dest="source", default=DEFAULT_STORE, metavar="URL", help=STORE_HELP
    )
    export.add_argument("--out", required=True, type=Path, metavar="DIR", help="the folder")
    export.add_argument("--format", choices=FORMATS, default="jsonl", help="default: jsonl")
    export.add_argument("--install", metavar="AI…", help="only this install's rows (default: all)")
    export.add_argument(
        "--csv-raw", action="store_true",
        help="write CSV text as it is: no ' before a cell starting with = + - @ tab or CR "
        "(which a spreadsheet would run as a formula)",
    )  # fmt: skip
    add_output_options(export)
    export.set_defaults(run=run_export)
