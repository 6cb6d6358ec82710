"""The handle of one exam of an install."""

from __future__ import annotations

from ..models import SessionRef
from ._context import Context
from .session import Session

__all__ = ["Exam"]


class Exam:
    """One exam of an install; creating it does no I/O."""

    def __init__(self, context: Context, install_sid: str, sid: str) -> None:
        self._context = context
        self.install_sid = install_sid
        self.sid = sid
        self._path = context.path(
            "/v1/installs/{installSid}/exams/{examSid}", installSid=install_sid, examSid=sid
        )

    def __repr__(self) -> str:
        return f"<Exam {self.sid} install={self.install_sid}>"

    def session(self, sid: str) -> Session:
        """The handle of one session of this exam (``ES…``)."""
        return Session(self._context, SessionRef(self.install_sid, self.sid, sid))
