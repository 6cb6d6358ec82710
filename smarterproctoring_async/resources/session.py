"""The handle of one exam session: details, event reports, annotations, completion."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Literal, TypedDict

import anyio

from .._endpoint import list_endpoint, one_endpoint
from .._filters import Many, SortOrder
from .._pagination import Paginator
from ..errors import InvalidFilterError, TimeoutError
from ..models import Annotation, EventReport, ExamSession, SessionRef
from ._context import Context

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["Session", "SessionListFilters"]


class SessionListFilters(TypedDict, total=False):
    """Filters of a session's event reports and annotations."""

    sort_keys: Many[Literal["createdDate"]]
    sort_order: SortOrder


_SESSION = "/v1/installs/{installSid}/exams/{examSid}/sessions/{sessionSid}"
SESSION_DETAILS = one_endpoint(_SESSION, ExamSession)
SESSION_EVENT_REPORTS = list_endpoint(
    _SESSION + "/events", EventReport, SessionListFilters, sid_prefix="ER"
)
SESSION_EVENT_REPORT = one_endpoint(_SESSION + "/events/{eventReportSid}", EventReport)
SESSION_ANNOTATIONS = list_endpoint(
    _SESSION + "/annotations", Annotation, SessionListFilters, sid_prefix="AN"
)
SESSION_ANNOTATION = one_endpoint(_SESSION + "/annotations/{annotationSid}", Annotation)


class Session:
    """One exam session, addressed by its :class:`SessionRef`; creating it does no I/O."""

    def __init__(self, context: Context, ref: SessionRef) -> None:
        self._context = context
        self.ref = ref
        self._sids = {
            "installSid": ref.install_sid,
            "examSid": ref.exam_sid,
            "sessionSid": ref.session_sid,
        }
        # Checked now, so a bad SID fails where the handle is made, before any request.
        context.path(_SESSION, self._sids)

    def __repr__(self) -> str:
        return f"<Session {self.ref.session_sid} exam={self.ref.exam_sid}>"

    async def get(self) -> ExamSession:
        """The session's details and current status (Exam Session Details)."""
        return await self._context.one(SESSION_DETAILS, self._sids)

    def events(self, **filters: Unpack[SessionListFilters]) -> Paginator[EventReport]:
        """Every integrity event report of the session, across all pages.

        ``sort_keys`` is ``"createdDate"``; ``sort_order`` is ``"ASC"`` or ``"DESC"``.
        """
        return self._context.list(SESSION_EVENT_REPORTS, self._sids, filters)

    async def event(self, sid: str) -> EventReport:
        """One event report by its SID (``ER…``)."""
        return await self._context.one(SESSION_EVENT_REPORT, {**self._sids, "eventReportSid": sid})

    def annotations(self, **filters: Unpack[SessionListFilters]) -> Paginator[Annotation]:
        """Every proctor annotation of the session (v1), across all pages.

        ``sort_keys`` is ``"createdDate"``; ``sort_order`` is ``"ASC"`` or ``"DESC"``.
        """
        return self._context.list(SESSION_ANNOTATIONS, self._sids, filters)

    async def annotation(self, sid: str) -> Annotation:
        """One annotation by its SID (``AN…``)."""
        return await self._context.one(SESSION_ANNOTATION, {**self._sids, "annotationSid": sid})

    async def wait_until_terminal(
        self,
        *,
        poll_interval: float = 30.0,
        timeout: float | None = 3600.0,  # noqa: ASYNC109 - a deadline for the whole wait
    ) -> ExamSession:
        """Poll :meth:`get` until the status is Closed or Cancelled; return that session.

        Each poll goes through the client's rate limiter like any request. Raises
        :class:`~smarterproctoring_async.errors.TimeoutError` (also the builtin
        ``TimeoutError``) when ``timeout`` seconds pass first; ``None`` waits forever.
        """
        if not (math.isfinite(poll_interval) and poll_interval > 0):
            raise InvalidFilterError(f"poll_interval must be positive, got {poll_interval!r}")
        if timeout is not None and not (timeout > 0):
            raise InvalidFilterError(f"timeout must be a positive number or None, got {timeout!r}")
        last: ExamSession | None = None
        with anyio.move_on_after(math.inf if timeout is None else timeout):
            while True:
                last = await self.get()
                if last.is_terminal:
                    return last
                await anyio.sleep(poll_interval)
        status = last.status if last is not None else "unknown"
        raise TimeoutError(f"session {self.ref.session_sid} still {status!r} after {timeout} s")
