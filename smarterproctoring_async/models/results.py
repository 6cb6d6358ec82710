"""What the bulk fetch gives back for one session."""

from __future__ import annotations

import attrs

from .events import Annotation, EventReport
from .session import ExamSession
from .values import SessionRef

__all__ = ["SessionResult"]


@attrs.frozen(kw_only=True)
class SessionResult:
    """What the bulk fetch got for one session.

    ``session``, ``events`` and ``annotations`` are ``None`` when not asked for, when
    skipped, or when ``error`` is set. ``skipped`` is true when ``only_terminal`` was
    asked and the session was not Closed or Cancelled yet. ``ref`` is ``None`` only
    when the input item named no session (``error`` says why).
    """

    ref: SessionRef | None
    session: ExamSession | None = None
    events: tuple[EventReport, ...] | None = None
    annotations: tuple[Annotation, ...] | None = None
    error: Exception | None = None
    skipped: bool = False

    @property
    def ok(self) -> bool:
        """Fetched completely: no error and not skipped."""
        return self.error is None and not self.skipped
