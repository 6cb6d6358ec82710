"""Parquet export files: one part file per committed batch, per record kind.

The only module of the command line that imports pyarrow (the ``parquet`` extra).
Rows wait in memory until a commit; then each kind's batch is written as a hidden
``.part-000007.parquet.tmp`` in ``DIR/<kind>/``, fsync'd, the state saved naming it,
and only then renamed to ``part-000007.parquet``. Readers (``pyarrow.dataset``,
pandas, DuckDB) skip names starting with a dot, so they never see a part that is not
committed; opening removes every part the state does not name and finishes a rename
a crash interrupted.

Every column is a string: text fields as sent, other values (numbers, booleans,
objects, lists) as JSON text, null as null. The API documents few types, so the
files do not guess them; cast in the reader. Columns are fixed by the first batch
(parents first); later fields go to ``_more`` (a JSON object).
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]
import pyarrow.compute as pc  # type: ignore[import-untyped, unused-ignore]
import pyarrow.parquet as pq  # type: ignore[import-untyped, unused-ignore]

from .rows import columns_for, split_row
from .state import ExportState, fsync_directory

__all__ = ["ParquetSink", "read_part"]


def _hidden(name: str) -> str:
    return f".{name}.tmp"


def read_part(folder: Path, name: str) -> list[dict[str, str | None]]:
    """The rows (column -> cell) of a committed part, published or not yet renamed."""
    path = folder / name
    if not path.exists():
        path = folder / _hidden(name)
    rows: list[dict[str, str | None]] = pq.read_table(path).to_pylist()
    return rows


class ParquetSink:
    """The sink of ``parquet`` exports (see the module documentation)."""

    def __init__(self, state: ExportState, kinds: Collection[str]) -> None:
        self.state = state
        self.kinds = tuple(kinds)
        self._rows: dict[str, list[Mapping[str, Any]]] = {kind: [] for kind in self.kinds}
        for kind in self.kinds:
            self._folder(kind).mkdir(exist_ok=True)
        self.publish()
        self._remove_unreferenced()

    def _folder(self, kind: str) -> Path:
        return self.state.directory / kind

    def _parts(self, kind: str) -> list[dict[str, Any]]:
        parts: list[dict[str, Any]] = self.state.kind(kind).setdefault("parts", [])
        return parts

    def _next_name(self) -> str:
        number = int(self.state.data.get("next_part", 1))
        self.state.data["next_part"] = number + 1
        return f"part-{number:06d}.parquet"

    def _remove_unreferenced(self) -> None:
        for kind in self.kinds:
            named = {part["name"] for part in self._parts(kind)}
            for path in self._folder(kind).iterdir():
                if path.name not in named:
                    path.unlink()

    def fix_columns(self, kind: str, columns: Sequence[str]) -> None:
        """Use ``columns`` for ``kind`` if it has none yet."""
        entry = self.state.kind(kind)
        if entry.get("columns") is None:
            entry["columns"] = list(columns)

    def write(self, kind: str, rows: Iterable[Mapping[str, Any]]) -> None:
        """Keep rows of ``kind`` for the next part file."""
        self._rows[kind].extend(rows)

    def _write_part(self, kind: str, table: pa.Table) -> dict[str, Any]:
        name = self._next_name()
        hidden = self._folder(kind) / _hidden(name)
        pq.write_table(table, hidden)
        with open(hidden, "rb") as handle:
            os.fsync(handle.fileno())
        return {"name": name, "records": table.num_rows}

    def _table(self, kind: str, rows: list[Mapping[str, Any]]) -> pa.Table:
        entry = self.state.kind(kind)
        if entry.get("columns") is None:
            entry["columns"] = columns_for(rows)
        columns: list[str] = entry["columns"]
        cells = [split_row(columns, row) for row in rows]
        arrays = [pa.array([row[at] for row in cells], pa.string()) for at in range(len(columns))]
        return pa.Table.from_arrays(arrays, names=columns)

    def flush(self) -> None:
        """Write each kind's waiting rows as a hidden part and name it in the state."""
        for kind in self.kinds:
            rows, self._rows[kind] = self._rows[kind], []
            if rows:
                self._parts(kind).append(self._write_part(kind, self._table(kind, rows)))
                entry = self.state.kind(kind)
                entry["records"] = int(entry["records"]) + len(rows)
        for kind in self.kinds:
            fsync_directory(self._folder(kind))

    def publish(self) -> None:
        """Give every part the saved state names its visible name."""
        for kind in self.kinds:
            folder = self._folder(kind)
            for part in self._parts(kind):
                hidden = folder / _hidden(part["name"])
                if hidden.exists():
                    os.replace(hidden, folder / part["name"])
            fsync_directory(folder)

    def drop_sessions(self, sids: Collection[str]) -> None:
        """Rewrite the parts holding rows of ``sids`` as new parts without them."""
        self.flush()
        drop = pa.array(sorted(sids), pa.string())
        for kind in self.kinds:
            kept_parts = []
            for part in self._parts(kind):
                table = pq.read_table(self._folder(kind) / part["name"])
                hit = pc.is_in(table.column("session_sid"), value_set=drop)
                if not pc.any(hit).as_py():
                    kept_parts.append(part)
                    continue
                rest = table.filter(pc.invert(hit))
                if rest.num_rows:
                    kept_parts.append(self._write_part(kind, rest))
            self.state.kind(kind)["parts"] = kept_parts
            self.state.kind(kind)["records"] = sum(int(p["records"]) for p in kept_parts)
        for sid in sids:
            self.state.sessions.pop(sid, None)
        self.state.save()  # the commit point: old parts are unreferenced from here on
        self.publish()
        self._remove_unreferenced()

    def reset(self) -> None:
        """Forget every part and save the state without rows."""
        for kind in self.kinds:
            self.state.data["kinds"][kind] = {"records": 0, "parts": []}
            self._rows[kind] = []
        self.state.save()
        self._remove_unreferenced()

    def close(self) -> None:
        """Drop the rows not flushed (they are not committed)."""
        for kind in self.kinds:
            self._rows[kind] = []
