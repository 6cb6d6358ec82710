"""Where export rows go: the interface every format's sink has, and the factory.

A sink appends rows per record kind and makes them durable on ``flush``, recording
in the state what is now committed (the caller then saves the state: the commit).
On opening, it repairs the directory back to what the state says: a torn tail of a
file is cut off, a part file the state does not reference is removed. ``publish``
runs after each state save; ``fix_columns`` sets a tabular kind's columns before its
first rows (``export merge`` sets the union of the shards'); ``drop_sessions``
removes every row of some sessions (a session fetched again because it changed) as
one crash-safe step.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any, Protocol

from .errors import CliError
from .state import ExportState

__all__ = ["FORMATS", "Sink", "open_sink"]

FORMATS = ("jsonl", "csv", "parquet")


class Sink(Protocol):
    """Appends rows per record kind; durable on ``flush``."""

    def write(self, kind: str, rows: Iterable[Mapping[str, Any]]) -> None:
        """Append rows of ``kind`` (not durable until ``flush``)."""

    def flush(self) -> None:
        """Make every row written durable and record it in the state (not saved)."""

    def publish(self) -> None:
        """Finish what the state just saved refers to (renames); idempotent."""

    def fix_columns(self, kind: str, columns: Sequence[str]) -> None:
        """Use ``columns`` for ``kind`` unless it has columns already (tabular formats)."""

    def drop_sessions(self, sids: Collection[str]) -> None:
        """Remove the committed rows of these sessions, saving the state as it goes."""

    def reset(self) -> None:
        """Remove every committed row (the state is saved empty of rows)."""

    def close(self) -> None:
        """Release open files (what is not flushed is not committed)."""


def open_sink(fmt: str, state: ExportState, kinds: Collection[str]) -> Sink:
    """The sink of ``fmt`` over ``state``'s directory, repaired to the committed state."""
    if fmt == "parquet":
        try:
            from .parquet_sink import ParquetSink
        except ImportError:
            raise CliError(
                "--format parquet needs pyarrow: pip install 'smarterproctoring-async[parquet]'"
            ) from None
        return ParquetSink(state, kinds)
    from .text_sink import TextSink

    return TextSink(state, kinds, fmt)
