"""What the bulk fetch gives back for one session."""

from __future__ import annotations

from typing import Literal

import attrs

from .events import Annotation, EventReport
from .session import ExamSession
from .values import SessionRef

__all__ = ["SessionResult"]


#: How much of an error's message, and of each SID or status, a result's repr shows.
_MESSAGE_CHARS = 80
_SID_CHARS = 40


# repr=False: the generated repr spelled out every event and annotation (178 KB for a
# session with 274 events); equality, hashing and the rest stay attrs'.
@attrs.frozen(kw_only=True, repr=False)
class SessionResult:
    """What the bulk fetch got for one session.

    ``session``, ``events`` and ``annotations`` are ``None`` when not asked for, when
    skipped, or when ``error`` is set. ``skipped`` is true when ``only_terminal`` was
    asked and the session was not Closed or Cancelled yet. ``ref`` is ``None`` only
    when the input item named no session, or when an exam's session list could not be
    read (exam-level bulk); ``error`` says why.

    ``plan`` says how the events were read: ``"session"`` (the session's own event
    list) or ``"exam"`` (the exam-level list, grouped by session).
    ``details_from_report`` is true when ``session`` was built from the session's
    appointments-report row rather than from Exam Session Details: fields the report
    does not show are ``None`` there (ask for ``full_details=True`` to get them).
    """

    ref: SessionRef | None
    session: ExamSession | None = None
    events: tuple[EventReport, ...] | None = None
    annotations: tuple[Annotation, ...] | None = None
    error: Exception | None = None
    skipped: bool = False
    plan: Literal["session", "exam"] = "session"
    details_from_report: bool = False

    def __repr__(self) -> str:
        """One line: the ref's SIDs, the status, counts, ``skipped``, the error in short."""
        ref = self.ref
        if ref is None:
            parts = ["ref=None"]
        else:
            sids = (ref.install_sid, ref.exam_sid, ref.session_sid)
            parts = ["/".join(_short(str(sid), _SID_CHARS) for sid in sids)]
        if self.session is not None:
            status = self.session.status
            shown = status if status is None else _short(status, _SID_CHARS)
            parts.append(f"status={shown!r}")
        if self.events is not None:
            parts.append(f"events={len(self.events)}")
        if self.annotations is not None:
            parts.append(f"annotations={len(self.annotations)}")
        if self.plan != "session":
            parts.append(f"plan={self.plan}")
        if self.skipped:
            parts.append("skipped")
        if self.error is not None:
            message = _short(str(self.error), _MESSAGE_CHARS)
            parts.append(f"error={type(self.error).__name__}({message!r})")
        return f"<SessionResult {' '.join(parts)}>"

    @property
    def ok(self) -> bool:
        """Fetched completely: no error and not skipped."""
        return self.error is None and not self.skipped


def _short(text: str, limit: int) -> str:
    """``text`` on one line, cut to ``limit`` characters (a server or input can make any
    of them long)."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"
