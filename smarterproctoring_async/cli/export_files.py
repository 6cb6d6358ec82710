"""Writing export files atomically, and the JSON Lines and CSV forms of the store's rows.

Every file is written as a hidden temporary file in the target folder, flushed and
fsync'd, then renamed over the target with the others of its export (and the folder
fsync'd): a reader sees the old files or the new ones, never a part, and a crash, a
full disk or a stop leaves the old ones and no temporary file. A
symbolic link at the target is refused rather than followed or replaced, and the
temporary file is created exclusively (``O_EXCL``), so nothing outside the folder is
ever written through a link planted in it.

Values: the store's typed columns as they are (text, booleans, integers, floats,
timezone-aware timestamps) and ``wire``, the record exactly as the API sent it (ASCII
JSON text). A lone surrogate, which no UTF-8 file can hold, becomes U+FFFD (the store
has done so already in its typed columns; ``wire`` keeps the exact text); NUL and other
control characters are written as they are (escaped in JSON).
"""

from __future__ import annotations

import csv
import json
import math
import os
import re
import stat
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Literal

from .errors import CliError

__all__ = [
    "COLUMNS",
    "FORMULA_STARTS",
    "Staging",
    "csv_cell",
    "jsonl_line",
    "refuse_links",
    "staging",
    "text_value",
]

#: The store's exported tables and their columns (schema version 1), with each
#: column's kind: what an empty table's CSV header and Parquet schema are made of, and
#: the Parquet type of each column. A column not listed here is exported as text.
COLUMNS: Mapping[str, Mapping[str, str]] = {
    "sessions": {
        "session_sid": "text", "install_sid": "text", "exam_sid": "text",
        "enrollment_sid": "text", "status": "text", "session_type": "text",
        "appointment_date": "time", "review_completed_date": "time",
        "review_required": "bool", "reviewed": "bool", "session_report_count": "int",
        "details_from_report": "bool", "plan": "text", "wire": "text", "stored_at": "time",
        "run_id": "int",
    },
    "events": {
        "session_sid": "text", "position": "int", "install_sid": "text", "exam_sid": "text",
        "sid": "text", "subject": "text", "status": "text", "event_time": "time",
        "event_type_sid": "text", "draft": "bool", "created_date": "time", "wire": "text",
    },
    "annotations": {
        "session_sid": "text", "position": "int", "install_sid": "text", "exam_sid": "text",
        "sid": "text", "severity": "text", "type": "text", "title": "text",
        "session_time": "float", "status": "text", "created_date": "time", "wire": "text",
    },
}  # fmt: skip

#: What a spreadsheet takes for the start of a formula (OWASP's list): such a CSV cell
#: gets a leading ``'``, which spreadsheets show as text and do not evaluate.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_INSTEAD = "remove it or choose another --out"
_SURROGATE = re.compile("[\ud800-\udfff]")


def text_value(text: str) -> str:
    """``text`` writable as UTF-8: a lone surrogate becomes U+FFFD."""
    return text if text.isascii() else _SURROGATE.sub("\ufffd", text)


def _plain(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str):
        return text_value(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None  # JSON has no word for it; the row's wire holds what was sent
    return value


def jsonl_line(row: Mapping[str, Any]) -> str:
    """One JSON Lines line: timestamps as ISO 8601 text, a typed number JSON cannot
    hold (NaN, an infinity) as null, other values as they are."""
    return json.dumps({k: _plain(v) for k, v in row.items()}, ensure_ascii=False) + "\n"


def csv_cell(value: object, *, raw: bool) -> str:
    """A CSV cell: empty for null, ``true``/``false``, ISO 8601 timestamps; text that a
    spreadsheet would take for a formula gets a leading ``'`` unless ``raw``; NUL
    becomes U+FFFD."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    if not isinstance(value, str):
        return str(value)
    # NUL: Python 3.10's csv module cannot write it at all, and spreadsheets cut text
    # at it; the row's wire column (ASCII-escaped JSON) keeps the exact value.
    text = text_value(value).replace("\x00", "\ufffd")
    if not raw and text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def csv_writer(file: IO[str]) -> Any:
    """The CSV dialect of the exports: RFC 4180 (CRLF rows, quotes doubled)."""
    return csv.writer(file, lineterminator="\r\n")


def refuse_links(paths: list[Path]) -> None:
    """CliError (exit 2) naming the first target that is a symbolic link (or a folder)."""
    for path in paths:
        if path.is_symlink():
            raise CliError(f"{path} is a symbolic link: refused ({_INSTEAD})")
        if path.is_dir():
            raise CliError(f"{path} is a directory: refused ({_INSTEAD})")


def _umask() -> int:
    # The only way to read it is to set it; this runs before any thread of ours writes.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


class Staging:
    """Files written beside their targets, renamed over them together once all are
    written: the set is one snapshot, never new files beside old ones."""

    def __init__(self) -> None:
        self._staged: list[tuple[str, Path]] = []  # (temporary, target), written

    @contextmanager
    def file(self, path: Path, mode: Literal["w", "wb"]) -> Iterator[IO[Any]]:
        """A temporary file for ``path``, written, flushed and synced on leaving."""
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            # mkstemp makes it private (0600); the export gets what any new file would,
            # or the permissions of the file it replaces (one kept private stays so).
            try:
                old = os.stat(path, follow_symlinks=False)
            except FileNotFoundError:
                old = None
            regular = old is not None and stat.S_ISREG(old.st_mode)
            os.fchmod(fd, stat.S_IMODE(old.st_mode) if old and regular else 0o666 & ~_umask())
            opened: IO[Any] = (
                os.fdopen(fd, "w", encoding="utf-8", newline="")
                if mode == "w"
                else os.fdopen(fd, "wb")
            )
            with opened:
                yield opened
                opened.flush()
                os.fsync(opened.fileno())
        except BaseException:
            with suppress(OSError):
                os.unlink(temporary)
            raise
        self._staged.append((temporary, path))

    def commit(self) -> None:
        """Rename every staged file over its target (each link refused first), durably."""
        refuse_links([path for _, path in self._staged])  # planted while they were written
        while self._staged:
            temporary, path = self._staged[0]
            os.replace(temporary, path)
            self._staged.pop(0)
            _fsync_folder(path.parent)

    def discard(self) -> None:
        """Remove what was staged and not renamed (the command failed or was stopped)."""
        for temporary, _ in self._staged:
            with suppress(OSError):
                os.unlink(temporary)
        self._staged.clear()


@contextmanager
def staging() -> Iterator[Staging]:
    """``with staging() as files``: write each through ``files.file(path, mode)``; all
    are renamed into place when the block ends, none if it raises (or is cancelled)."""
    staged = Staging()
    try:
        yield staged
        staged.commit()
    finally:
        staged.discard()


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (a crash after it keeps the new file)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
