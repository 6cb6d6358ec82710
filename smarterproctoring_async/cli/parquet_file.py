"""Parquet export files with typed columns: the only module of the CLI that imports pyarrow.

Columns take the store's types: text as ``string``, booleans as ``bool``, integers as
``int64``, ``session_time`` as ``double``, timestamps as ``timestamp[us, tz=UTC]``. Each
ID is one column (``session_sid``...); the record as the API sent it is ``wire``.
Rows are written in row groups as they are read from the store, into a file that
``export_files.Staging`` renames into place once complete.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import IO, Any

from .errors import CliError
from .export_files import COLUMNS, text_value

try:
    import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]
    import pyarrow.parquet as pq  # type: ignore[import-untyped, unused-ignore]
except ImportError:
    raise CliError(
        "--format parquet needs pyarrow: pip install 'smarterproctoring-async[parquet]'"
    ) from None

__all__ = ["write_parquet"]

#: Rows per row group: bounded memory for tables of any size.
GROUP_ROWS = 10_000


def _arrow_type(kind: str) -> Any:
    return {
        "bool": pa.bool_(),
        "int": pa.int64(),
        "float": pa.float64(),
        "time": pa.timestamp("us", tz="UTC"),
    }.get(kind, pa.string())


def _schema(table: str, first: Mapping[str, Any] | None) -> Any:
    kinds = COLUMNS[table]
    names = list(first) if first is not None else list(kinds)
    return pa.schema([(name, _arrow_type(kinds.get(name, "text"))) for name in names])


def _cell(value: object, kind: str) -> object:
    if kind != "text" or value is None:
        return value
    return text_value(value if isinstance(value, str) else str(value))


async def write_parquet(file: IO[bytes], table: str, rows: AsyncIterator[dict[str, Any]]) -> int:
    """Write ``rows`` of the store's ``table`` to ``file``; how many."""
    batch: list[dict[str, Any]] = []
    writer: Any = None
    schema: Any = None
    count = 0
    try:
        async for row in rows:
            if writer is None:
                schema = _schema(table, row)
                writer = pq.ParquetWriter(file, schema)
            batch.append(row)
            count += 1
            if len(batch) >= GROUP_ROWS:
                writer.write_table(_table(batch, schema, table))
                batch.clear()
        if writer is None:  # an empty table: the file still says what its columns are
            schema = _schema(table, None)
            writer = pq.ParquetWriter(file, schema)
        if batch:
            writer.write_table(_table(batch, schema, table))
    finally:
        if writer is not None:
            writer.close()
    return count


def _table(batch: list[dict[str, Any]], schema: Any, table: str) -> Any:
    kinds = COLUMNS[table]
    columns = {
        name: [_cell(row.get(name), kinds.get(name, "text")) for row in batch]
        for name in schema.names
    }
    return pa.Table.from_pydict(columns, schema=schema)
