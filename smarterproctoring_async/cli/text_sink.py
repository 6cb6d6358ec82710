"""JSON Lines and CSV export files: one append-only file per record kind.

``events.jsonl`` (or ``events.csv``) only grows during a run; the state records its
committed length in bytes. Opening cuts each file back to that length, so a torn last
line (a crash mid-write) and rows written after the last commit disappear. Dropping
the rows of changed sessions writes filtered copies (``*.compact``), saves a state
that names both the copies' lengths and the renames still to do, then renames: a
crash at any point leaves either the old files and state, or a state whose renames
the next run finishes.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from .errors import EXIT_FAILED, CliError
from .rows import columns_for, csv_writer, split_row
from .state import ExportState, fsync_directory

__all__ = ["TextSink", "finish_swaps"]

COMPACT = ".compact"


def finish_swaps(state: ExportState) -> None:
    """Do the renames a saved state still lists (idempotent), then forget them."""
    done = False
    for source, target in state.data.get("swap") or ():
        path = state.directory / source
        if path.exists():
            os.replace(path, state.directory / target)
            done = True
    if done:
        fsync_directory(state.directory)
    state.data["swap"] = []


class TextSink:
    """The sink of ``jsonl`` and ``csv`` exports (see the module documentation)."""

    def __init__(self, state: ExportState, kinds: Collection[str], fmt: str) -> None:
        self.state = state
        self.fmt = fmt
        self.kinds = tuple(kinds)
        self._pending = dict.fromkeys(self.kinds, 0)
        self._files: dict[str, IO[bytes]] = {}
        finish_swaps(state)
        for stray in state.directory.glob(f"*{COMPACT}"):
            stray.unlink()
        self._open()

    def path(self, kind: str) -> Path:
        """The data file of one record kind."""
        return self.state.directory / f"{kind}.{self.fmt}"

    def _open(self) -> None:
        for kind in self.kinds:
            path = self.path(kind)
            committed = int(self.state.kind(kind).get("bytes", 0))
            size = path.stat().st_size if path.exists() else 0
            if size < committed:
                raise CliError(
                    f"{path} holds {size} bytes but {committed} were committed: the "
                    "export directory was changed by something else",
                    EXIT_FAILED,
                )
            handle = open(path, "r+b" if path.exists() else "w+b")  # noqa: SIM115 - kept open
            handle.truncate(committed)  # a torn or uncommitted tail goes
            handle.seek(committed)
            self._files[kind] = handle

    def write(self, kind: str, rows: Iterable[Mapping[str, Any]]) -> None:
        """Append rows of ``kind`` (not durable until ``flush``)."""
        rows = list(rows)
        if not rows:
            return
        if self.fmt == "jsonl":
            body = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
        else:
            body = self._csv(kind, rows)
        self._files[kind].write(body.encode("utf-8"))
        self._pending[kind] += len(rows)

    def fix_columns(self, kind: str, columns: Sequence[str]) -> None:
        """CSV: use ``columns`` (and write them as the header) if ``kind`` has none yet."""
        entry = self.state.kind(kind)
        if self.fmt != "csv" or entry.get("columns") is not None:
            return
        entry["columns"] = list(columns)
        buffer = io.StringIO()
        csv_writer(buffer).writerow(entry["columns"])
        self._files[kind].write(buffer.getvalue().encode("utf-8"))

    def _csv(self, kind: str, rows: list[Mapping[str, Any]]) -> str:
        entry = self.state.kind(kind)
        buffer = io.StringIO()
        writer = csv_writer(buffer)
        if entry.get("columns") is None:
            entry["columns"] = columns_for(rows)
            writer.writerow(entry["columns"])
        for row in rows:
            writer.writerow(split_row(entry["columns"], row))
        return buffer.getvalue()

    def flush(self) -> None:
        """fsync every file and record its length and record count in the state."""
        for kind, handle in self._files.items():
            handle.flush()
            os.fsync(handle.fileno())
            entry = self.state.kind(kind)
            entry["bytes"] = handle.tell()
            entry["records"] = int(entry["records"]) + self._pending[kind]
            self._pending[kind] = 0

    def publish(self) -> None:
        """Nothing to rename after an ordinary commit."""

    def drop_sessions(self, sids: Collection[str]) -> None:
        """Rewrite each file without the rows of ``sids`` (see the module documentation)."""
        self.flush()
        wanted = set(sids)
        swaps = []
        for kind in self.kinds:
            source = self.path(kind)
            if not source.exists() or not self.state.kind(kind).get("bytes"):
                continue
            compact = source.with_name(source.name + COMPACT)
            kept = self._filter(source, compact, wanted)
            entry = self.state.kind(kind)
            entry["bytes"], entry["records"] = compact.stat().st_size, kept
            swaps.append([compact.name, source.name])
        for sid in wanted:
            self.state.sessions.pop(sid, None)
        self.state.data["swap"] = swaps
        self.close()
        self.state.save()  # the commit point: the copies are now what is committed
        finish_swaps(self.state)
        self._open()

    def _filter(self, source: Path, target: Path, drop: set[str]) -> int:
        kept = 0
        with (
            open(source, encoding="utf-8", newline="") as old,
            open(target, "w", encoding="utf-8", newline="") as new,
        ):
            if self.fmt == "jsonl":
                for line in old:
                    if json.loads(line).get("session_sid") not in drop:
                        new.write(line)
                        kept += 1
            else:
                reader: Iterator[list[str]] = csv.reader(old)
                writer = csv_writer(new)
                header = next(reader)
                at = header.index("session_sid")
                writer.writerow(header)
                for record in reader:
                    if record[at] not in drop:
                        writer.writerow(record)
                        kept += 1
            new.flush()
            os.fsync(new.fileno())
        return kept

    def reset(self) -> None:
        """Empty every file and save the state without rows."""
        for kind, handle in self._files.items():
            handle.truncate(0)
            handle.seek(0)
            self.state.data["kinds"][kind] = {"records": 0, "bytes": 0}
            self._pending[kind] = 0
        self.flush()
        self.state.save()

    def close(self) -> None:
        """Close the files (rows not flushed are not committed)."""
        for handle in self._files.values():
            handle.close()
        self._files.clear()
