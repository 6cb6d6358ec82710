"""What a sync did: counted while it runs (:class:`Tally`), returned as :class:`SyncSummary`."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    from ..models import SessionResult

__all__ = ["MAX_ERROR_LINES", "SyncSummary", "Tally", "error_line"]

#: The most error lines one run keeps (a follow run retries a failing session each pass).
MAX_ERROR_LINES = 1000
_MESSAGE_CHARS = 200


@attrs.frozen(kw_only=True)
class SyncSummary:
    """What one ``client.sync(...)`` did, as its run in the store's log records it.

    - ``run_id``: the run's id in the store's ``runs`` table;
    - ``stored``: sessions saved (each with all its events and annotations);
    - ``unchanged``: sessions whose report row had not changed since they were stored
      (no request was sent for them);
    - ``skipped``: sessions not terminal yet (not reviewed yet with
      ``only_terminal="reviewed"``): not stored, looked at again next time;
    - ``failed``: sessions whose fetch failed (not stored, tried again next time), each
      with one line in ``errors``;
    - ``events``, ``annotations``: rows saved with the stored sessions;
    - ``requests``: requests the client sent during the sync (its ``stats``), and
      ``rate_limited``: how many of them the server answered with 429;
    - ``started``, ``finished``: timezone-aware (UTC);
    - ``passes``: how many times the install's report was read (1 without ``follow``).
    """

    run_id: int
    stored: int
    unchanged: int
    skipped: int
    failed: int
    events: int
    annotations: int
    requests: int
    rate_limited: int
    errors: tuple[str, ...]
    started: datetime
    finished: datetime
    passes: int


@attrs.define
class Tally:
    """The counts of a run in progress (every pass adds to them)."""

    stored: int = 0
    unchanged: int = 0
    skipped: int = 0
    failed: int = 0
    events: int = 0
    annotations: int = 0
    passes: int = 0
    errors: list[str] = attrs.field(factory=list)
    dropped_errors: int = 0
    # Stored sessions the report shows as not terminal again: warned about once a run.
    went_back: set[str] = attrs.field(factory=set)

    def note_failure(self, result: SessionResult) -> None:
        """Count a failed result and keep its line (up to :data:`MAX_ERROR_LINES`)."""
        self.failed += 1
        self._keep(error_line(result))

    def note_pass_failure(self, error: BaseException) -> None:
        """Keep the line of a pass that ``error`` ended (a follower goes on)."""
        self._keep(f"(a pass): {_said(error)}")

    def _keep(self, line: str) -> None:
        if len(self.errors) < MAX_ERROR_LINES:
            self.errors.append(line)
        else:
            self.dropped_errors += 1

    def error_lines(self) -> list[str]:
        """The kept lines, and one saying how many more there were."""
        if not self.dropped_errors:
            return list(self.errors)
        return [*self.errors, f"... and {self.dropped_errors} more failures"]

    def counts(self) -> dict[str, int]:
        """The counters ``Store.finish_run`` takes (without ``requests``)."""
        return {
            "stored": self.stored,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "failed": self.failed,
            "events": self.events,
            "annotations": self.annotations,
        }


def error_line(result: SessionResult) -> str:
    """One line for a failed result: its SIDs, the error's type, its message in short.

    The client's errors never hold the token, so neither does this line.
    """
    ref = result.ref
    sids = (
        "(no session named)"
        if ref is None
        else "/".join((ref.install_sid, ref.exam_sid, ref.session_sid))
    )
    return f"{sids}: {_said(result.error)}"


def _said(error: BaseException | None) -> str:
    """The error's type and its message in short, on one line."""
    message = " ".join(str(error).split())
    if len(message) > _MESSAGE_CHARS:
        message = message[: _MESSAGE_CHARS - 1] + "…"
    return f"{type(error).__name__}: {message}"
