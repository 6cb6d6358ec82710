"""The handle of one exam session: details, event reports, annotations, completion."""

from __future__ import annotations

import math

import anyio

from .._pagination import Paginator
from .._protocol import sort_params
from ..errors import InvalidFilterError, TimeoutError
from ..models import Annotation, EventReport, ExamSession, SessionRef
from ._context import Context

__all__ = ["Session"]

_SESSION = "/v1/installs/{installSid}/exams/{examSid}/sessions/{sessionSid}"


class Session:
    """One exam session, addressed by its :class:`SessionRef`; creating it does no I/O."""

    def __init__(self, context: Context, ref: SessionRef) -> None:
        self._context = context
        self.ref = ref
        # Checked now, so a bad SID fails where the handle is made, before any request.
        self._path = context.path(
            _SESSION, installSid=ref.install_sid, examSid=ref.exam_sid, sessionSid=ref.session_sid
        )

    def __repr__(self) -> str:
        return f"<Session {self.ref.session_sid} exam={self.ref.exam_sid}>"

    async def get(self) -> ExamSession:
        """The session's details and current status (Exam Session Details)."""
        return await self._context.get(self._path, ExamSession)

    def events(
        self, *, sort_keys: str | list[str] | None = None, sort_order: str | None = None
    ) -> Paginator[EventReport]:
        """Every integrity event report of the session, across all pages."""
        params = sort_params(sort_keys, sort_order)
        return self._context.paginate(self._path + "/events", EventReport, params)

    async def event(self, sid: str) -> EventReport:
        """One event report by its SID (``ER…``)."""
        path = self._context.path("/events/{eventReportSid}", eventReportSid=sid)
        return await self._context.get(self._path + path, EventReport)

    def annotations(
        self, *, sort_keys: str | list[str] | None = None, sort_order: str | None = None
    ) -> Paginator[Annotation]:
        """Every proctor annotation of the session (v1), across all pages."""
        params = sort_params(sort_keys, sort_order)
        return self._context.paginate(self._path + "/annotations", Annotation, params)

    async def annotation(self, sid: str) -> Annotation:
        """One annotation by its SID (``AN…``)."""
        path = self._context.path("/annotations/{annotationSid}", annotationSid=sid)
        return await self._context.get(self._path + path, Annotation)

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
