"""The state file of an export directory: what is committed, written atomically.

``state.json`` is the commit point of an export. It is replaced atomically (written
to a temporary file, flushed, ``os.fsync``'d, renamed, and the directory fsync'd) and
only after the data it describes is on disk, so whatever a crash leaves behind, the
state describes complete records only; the sinks cut back whatever lies beyond it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from .errors import EXIT_FAILED, CliError
from .shard import Shard

__all__ = ["ExportState", "fsync_directory", "read_state"]

STATE_FILE = "state.json"
LAYOUT = 1


def fsync_directory(directory: Path) -> None:
    """Make renames and new files in ``directory`` durable (a no-op where unsupported)."""
    try:
        handle = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory handles
        return
    try:
        os.fsync(handle)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(handle)


def read_state(directory: Path) -> dict[str, Any] | None:
    """The saved state of ``directory`` (None if it has none); unreadable: exit 1."""
    path = directory / STATE_FILE
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise CliError(f"{path} is not a readable export state: {error}", EXIT_FAILED) from None
    if not isinstance(data, dict) or data.get("layout") != LAYOUT:
        raise CliError(f"{path} was written by another version of this tool")
    return data


def _layout_name(shard: Shard | None) -> str:
    return f"the export of --shard {shard}" if shard else "an export without --shard"


class ExportState:
    """The committed state of one export directory (``data`` is plain JSON).

    Keys: ``layout``, ``command``, ``format``; ``kinds`` (per record kind, what the
    sink committed: byte length or part files, record count, columns); ``sessions``
    (session SID -> the version committed); ``install``; ``shard`` (``index`` and
    ``count``, or null); ``selection`` (the report filters of the last run);
    ``complete`` (the last run fetched every session it listed); ``cursor``
    (exam-events: rows committed and the fingerprint of the last one); ``swap``
    (renames still to finish).
    """

    def __init__(self, directory: Path, data: dict[str, Any]) -> None:
        self.directory = directory
        self.data = data

    @classmethod
    def open(
        cls,
        directory: Path,
        command: str,
        fmt: str,
        *,
        install: str | None = None,
        shard: Shard | None = None,
    ) -> ExportState:
        """The state of ``directory`` (created if need be) for ``command`` in ``fmt``.

        A directory holding another command's, format's, install's or shard layout's
        export is refused (exit 2). A state from before installs and shards were
        recorded counts as unsharded and takes the install given.
        """
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise CliError(f"cannot create --out {directory}: {error.strerror}") from None
        found = read_state(directory)
        if found is None:
            data: dict[str, Any] = {
                "layout": LAYOUT, "command": command, "format": fmt,
                "kinds": {}, "sessions": {}, "cursor": None, "swap": [],
            }  # fmt: skip
        else:
            data = found
            if (data.get("command"), data.get("format")) != (command, fmt):
                raise CliError(
                    f"{directory} holds an `export {data.get('command')}` in "
                    f"{data.get('format')}; use another --out for `export {command}` in {fmt}"
                )
            if install is not None and data.get("install") not in (None, install):
                raise CliError(
                    f"{directory} holds an export of install {data.get('install')}, "
                    f"not {install}; use another --out"
                )
            held = Shard.from_json(data.get("shard"))
            if held != shard:
                raise CliError(
                    f"{directory} holds {_layout_name(held)}, not {_layout_name(shard)}: "
                    "a worker must keep the --out and --shard it started with"
                )
        if install is not None:
            data["install"] = install
        data["shard"] = shard.to_json() if shard else None
        return cls(directory, data)

    def kind(self, name: str) -> dict[str, Any]:
        """The committed entry of one record kind (created empty)."""
        kinds: dict[str, dict[str, Any]] = self.data["kinds"]
        return kinds.setdefault(name, {"records": 0})

    @property
    def sessions(self) -> dict[str, Any]:
        """Session SID -> ``{"exam_sid", "version"}`` of every committed session."""
        found: dict[str, Any] = self.data["sessions"]
        return found

    def save(self) -> None:
        """Replace the state file atomically and durably."""
        path = self.directory / STATE_FILE
        temporary = path.with_name(STATE_FILE + ".tmp")
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump(self.data, handle, separators=(",", ":"))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
        fsync_directory(self.directory)
