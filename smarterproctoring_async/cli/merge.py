"""``export merge``: the shard directories of a split ``export sessions`` as one export.

The merged directory holds the files an export without ``--shard`` would: each record
kind's rows of shard 1, then shard 2, and so on (a session's rows are in its shard
only, so each record is there once), and a ``state.json`` naming every session, so
``export sessions --out MERGED`` can carry it on without shards. CSV and Parquet
shards fixed their columns from their own first rows: the merge uses the union (the
first shard's order, then columns the others add), and a field one shard kept in
``_more`` goes to its column when another shard made it one.

Only committed data is read (as the state of each shard says, whatever a killed
worker left beyond it), and the shard directories are not changed. The output is built
in a hidden sibling directory and renamed into place at the end: MERGED either does not
exist or is complete.

Refused (exit 2), before anything is written: inputs that are not one shard layout of
one ``export sessions`` (another format, install, report filters or number of shards;
a shard given twice; a session in the wrong shard), a missing shard, and a shard whose
last run did not finish (interrupted, or some sessions failed) unless
``--allow-partial``, which merges it with a warning.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import re
import shutil
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import attrs

from .errors import EXIT_FAILED, EXIT_OK, CliError
from .helptext import MERGE_EPILOG
from .rows import MORE
from .shard import Shard
from .sinks import open_sink
from .state import ExportState, fsync_directory, read_state

__all__ = ["add_merge_command", "run_merge"]

KINDS = ("sessions", "events", "annotations")
BATCH = 20_000  # rows held in memory before they are written out
_SHARD_DIR = re.compile(r"shard-[0-9]+-of-[0-9]+")


@attrs.frozen
class ShardExport:
    """One shard's directory and its saved state."""

    directory: Path
    state: dict[str, Any]
    shard: Shard

    @property
    def complete(self) -> bool:
        """Whether the shard's last run fetched every session it listed."""
        return self.state.get("complete") is True

    def committed(self, kind: str) -> dict[str, Any]:
        """What the state says is committed of ``kind``."""
        entry: dict[str, Any] = (self.state.get("kinds") or {}).get(kind) or {}
        return entry


def _load(directory: Path) -> ShardExport | None:
    state = read_state(directory)
    if state is None:
        return None
    if state.get("command") != "sessions":
        raise CliError(f"{directory} holds an `export {state.get('command')}`, not sessions")
    shard = Shard.from_json(state.get("shard"))
    if shard is None:
        raise CliError(f"{directory} is an export without --shard: there is nothing to merge")
    return ShardExport(directory, state, shard)


def collect(paths: Sequence[Path]) -> list[ShardExport]:
    """The shard exports of ``paths``: each a shard's directory, or one holding them."""
    found: list[ShardExport] = []
    for path in paths:
        if not path.is_dir():
            raise CliError(f"{path} is not a directory")
        own = _load(path)
        if own is not None:
            found.append(own)
            continue
        inside = [
            loaded
            for child in sorted(path.iterdir())
            if child.is_dir() and _SHARD_DIR.fullmatch(child.name)
            if (loaded := _load(child)) is not None
        ]
        if not inside:
            raise CliError(f"{path} holds no shard-I-of-N directory of `export sessions --shard`")
        found.extend(inside)
    return found


def check(exports: list[ShardExport], allow_partial: bool) -> list[ShardExport]:
    """The shards in order, once each checked to make one data set (CliError if not)."""
    first = exports[0]
    for other in exports[1:]:
        for what, key in (("format", "format"), ("install", "install"),
                          ("report filters", "selection")):  # fmt: skip
            if other.state.get(key) != first.state.get(key):
                raise CliError(
                    f"{other.directory} and {first.directory} differ in {what} "
                    f"({other.state.get(key)} and {first.state.get(key)}): not one export"
                )
        if other.shard.count != first.shard.count:
            raise CliError(
                f"{other.directory} is shard {other.shard} and {first.directory} is shard "
                f"{first.shard}: not one shard layout"
            )
    by_index: dict[int, ShardExport] = {}
    for export in exports:
        if export.shard.index in by_index:
            twice = by_index[export.shard.index].directory
            raise CliError(f"shard {export.shard} is given twice: {twice} and {export.directory}")
        by_index[export.shard.index] = export
    count = first.shard.count
    missing = [f"{index}/{count}" for index in range(1, count + 1) if index not in by_index]
    if missing:
        raise CliError(
            f"missing shard{'s' if len(missing) > 1 else ''} {', '.join(missing)}: run "
            f"`export sessions --shard I/N` for {'them' if len(missing) > 1 else 'it'} first"
        )
    for export in exports:
        for sid in export.state.get("sessions") or {}:
            if not export.shard.holds(sid):
                raise CliError(
                    f"{export.directory} holds session {sid}, which is not shard "
                    f"{export.shard}'s: the directory was renamed or changed by hand"
                )
    for export in exports:
        if not export.complete:
            message = (
                f"shard {export.shard} ({export.directory}) is not finished: its last run "
                "was interrupted or some sessions failed"
            )
            if not allow_partial:
                raise CliError(f"{message}; run it again, or pass --allow-partial")
            sys.stderr.write(f"warning: {message}; merged as it is (--allow-partial)\n")
    return [by_index[index] for index in range(1, count + 1)]


def _text_file(export: ShardExport, kind: str, fmt: str) -> Path:
    """The file the state's byte count refers to: a rewrite not renamed yet, if any."""
    name = f"{kind}.{fmt}"
    for source, target in export.state.get("swap") or ():
        if target == name and (export.directory / source).exists():
            return export.directory / str(source)
    return export.directory / name


def _from_cells(
    header: Sequence[str], cells: Sequence[str | None], csv_text: bool
) -> dict[str, Any]:
    """A row back from a tabular format's cells (empty CSV cells and nulls left out)."""
    row: dict[str, Any] = {}
    for name, value in zip(header[:-1], cells[:-1], strict=True):
        if value is not None and not (csv_text and value == ""):
            row[name] = value
    if cells[-1]:
        row.update(json.loads(cells[-1]))
    return row


def _text_rows(export: ShardExport, kind: str, fmt: str) -> Iterator[dict[str, Any]]:
    length = int(export.committed(kind).get("bytes", 0))
    if not length:
        return
    path = _text_file(export, kind, fmt)
    with open(path, "rb") as handle:
        body = handle.read(length)
    if len(body) < length:
        raise CliError(
            f"{path} holds {len(body)} bytes but {length} were committed: it was changed "
            "by something else",
            EXIT_FAILED,
        )
    text = body.decode("utf-8")
    if fmt == "jsonl":
        for line in text.splitlines():
            yield json.loads(line)
        return
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader)
    for cells in reader:
        yield _from_cells(header, cells, csv_text=True)


def _parquet_rows(export: ShardExport, kind: str) -> Iterator[dict[str, Any]]:
    from .parquet_sink import read_part  # only here: pyarrow (checked by open_sink)

    for part in export.committed(kind).get("parts") or ():
        for cells in read_part(export.directory / kind, part["name"]):
            header = list(cells)
            yield _from_cells(header, [cells[name] for name in header], csv_text=False)


def _union(exports: Sequence[ShardExport], kind: str) -> list[str] | None:
    names: dict[str, None] = {}
    for export in exports:
        names.update(dict.fromkeys(export.committed(kind).get("columns") or ()))
    if not names:
        return None
    names.pop(MORE, None)
    return [*names, MORE]


def _batches(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def build(target: Path, shards: Sequence[ShardExport]) -> dict[str, int]:
    """Write the merged export of ``shards`` to ``target`` (new); records per kind."""
    first = shards[0].state
    fmt = str(first["format"])
    state = ExportState.open(target, "sessions", fmt, install=first.get("install"))
    state.data["selection"] = first.get("selection")
    sink = open_sink(fmt, state, KINDS)
    counts = dict.fromkeys(KINDS, 0)
    try:
        for kind in KINDS:
            columns = _union(shards, kind)
            if columns is not None:
                sink.fix_columns(kind, columns)
        for export in shards:
            for kind in KINDS:
                rows = (
                    _parquet_rows(export, kind)
                    if fmt == "parquet"
                    else _text_rows(export, kind, fmt)
                )
                for batch in _batches(rows):
                    sink.write(kind, batch)
                    sink.flush()
                    counts[kind] += len(batch)
            state.data["sessions"].update(export.state.get("sessions") or {})
        sink.flush()
        state.data["complete"] = all(export.complete for export in shards)
        state.save()
        sink.publish()
    finally:
        sink.close()
    return counts


async def run_merge(args: argparse.Namespace) -> int:
    """``export merge``: see the module documentation (file work only, no awaits)."""
    return merge(args)


def merge(args: argparse.Namespace) -> int:
    """Check the shards of ``args.dirs`` and write their merge to ``args.out``."""
    shards = check(collect(args.dirs), args.allow_partial)
    target: Path = args.out
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise CliError(f"--out {target} exists and is not empty: remove it or name another")
    target.parent.mkdir(parents=True, exist_ok=True)
    building = target.parent / f".{target.name}.merging-{os.getpid()}"
    try:
        counts = build(building, shards)
        if target.exists():
            target.rmdir()
        os.replace(building, target)
        fsync_directory(target.parent)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    sessions = sum(len(export.state.get("sessions") or {}) for export in shards)
    print(
        f"merged {len(shards)} shards into {target}: {sessions} sessions "
        f"({counts['events']} events, {counts['annotations']} annotations)"
    )
    return EXIT_OK


def add_merge_command(kinds: argparse._SubParsersAction[Any], common: dict[str, Any]) -> None:
    """``export merge`` (``common``: parser options)."""
    merge = kinds.add_parser(
        "merge", help="combine the shard directories of `export sessions --shard` into one",
        description="Combine the shards of a split `export sessions` into one export.",
        epilog=MERGE_EPILOG, **common,
    )  # fmt: skip
    merge.add_argument(
        "dirs", nargs="+", type=Path, metavar="DIR",
        help="a shard's directory (DIR/shard-I-of-N), or a DIR holding them",
    )  # fmt: skip
    merge.add_argument(
        "--out", required=True, type=Path, metavar="MERGED", help="a new (or empty) directory"
    )
    merge.add_argument(
        "--allow-partial", action="store_true",
        help="merge shards whose last run did not finish, with a warning",
    )  # fmt: skip
    merge.set_defaults(run=run_merge)
