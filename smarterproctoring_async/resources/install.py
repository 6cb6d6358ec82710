"""The handle of one install, the root of every path."""

from __future__ import annotations

from ._context import Context
from .exam import Exam

__all__ = ["Install"]


class Install:
    """One SmarterProctoring install (``AI…``); creating it does no I/O."""

    def __init__(self, context: Context, sid: str) -> None:
        self._context = context
        self.sid = sid
        self._path = context.path("/v1/installs/{installSid}", installSid=sid)

    def __repr__(self) -> str:
        return f"<Install {self.sid}>"

    def exam(self, sid: str) -> Exam:
        """The handle of one exam of this install (``EX…``)."""
        return Exam(self._context, self.sid, sid)
