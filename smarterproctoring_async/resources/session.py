"""The handle of one exam session: details, event reports, annotations, completion."""

from __future__ import annotations

import functools
import math
from typing import TYPE_CHECKING, Literal

import anyio

from .._endpoint import list_endpoint, one_endpoint
from .._filters import Many, SortOrder, When
from .._pagination import Paginator
from .._protocol import Request, build_path, is_terminal
from .._typing import TypedDict
from ..errors import DecodeError, InvalidFilterError, InvalidInputError, NotFoundError, TimeoutError
from ..models import Annotation, EventReport, ExamSession, Record, SessionRef
from ._context import Context

if TYPE_CHECKING:
    from .._typing import Unpack

__all__ = ["AnnotationV2Filters", "Session", "SessionListFilters"]


class SessionListFilters(TypedDict, total=False):
    """Filters of a session's event reports and annotations."""

    sort_keys: Many[Literal["createdDate"]]
    sort_order: SortOrder


class AnnotationV2Filters(TypedDict, total=False):
    """Filters of :meth:`Session.annotations_v2` (the v2 annotation model).

    ``after`` is the only "created since" filter the reference documents.
    """

    type_id: str
    category_id: str
    reviewed: bool
    after: When
    before: When
    sort_keys: Many[
        Literal[
            "sessionSid", "typeId", "details", "score", "duration", "reviewedDate",
            "reviewerComment", "reviewedBy", "createdDate", "createdById", "updatedDate",
            "updatedBy",
        ]
    ]  # fmt: skip
    sort_order: SortOrder


_EXAM = "/v1/installs/{installSid}/exams/{examSid}"
_SESSION = _EXAM + "/sessions/{sessionSid}"
_SESSION_V2 = "/v2/installs/{installSid}/exams/{examSid}/sessions/{sessionSid}"
SESSION_DETAILS = one_endpoint(_SESSION, ExamSession)
SESSION_EVENT_REPORTS = list_endpoint(
    _SESSION + "/events", EventReport, SessionListFilters, sid_prefix="ER"
)
SESSION_EVENT_REPORT = one_endpoint(_SESSION + "/events/{eventReportSid}", EventReport)
SESSION_ANNOTATIONS = list_endpoint(
    _SESSION + "/annotations", Annotation, SessionListFilters, sid_prefix="AN"
)
SESSION_ANNOTATION = one_endpoint(_SESSION + "/annotations/{annotationSid}", Annotation)
# The v2 shapes are undocumented: generic records, repeats dropped by an AN sid only.
SESSION_ANNOTATIONS_V2 = list_endpoint(
    _SESSION_V2 + "/annotations", Record, AnnotationV2Filters, sid_prefix="AN"
)
SESSION_ANNOTATION_V2 = one_endpoint(_SESSION_V2 + "/annotations/{annotationSid}", Record)
SESSION_STATUS = one_endpoint("/v1/sessions/{sessionSid}/status", Record)


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
        # Built (and the SIDs checked) now: a bad SID fails where the handle is made,
        # before any request, and the details request is not built again per call.
        self._details = _details_request(self._sids, context.config.validate_sids)

    def __repr__(self) -> str:
        return f"<Session {self.ref.session_sid} exam={self.ref.exam_sid}>"

    async def get(self) -> ExamSession:
        """The session's details and current status (Exam Session Details)."""
        return await self._context.send_one(SESSION_DETAILS, self._details, self._sids)

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

    def annotations_v2(self, **filters: Unpack[AnnotationV2Filters]) -> Paginator[Record]:
        """Every annotation of the session in the v2 model (types, categories, review).

        The records' shape is undocumented, so they are generic records (every field
        in ``extra``). Annotations are added during or after the proctor's review:
        ``reviewed=True`` and ``after=`` narrow a sync to what is new.
        """
        return self._context.list(SESSION_ANNOTATIONS_V2, self._sids, filters)

    async def annotation_v2(self, sid: str) -> Record:
        """One annotation by its SID (``AN…``), in the v2 model."""
        sids = {**self._sids, "annotationSid": sid}
        return await self._context.one(SESSION_ANNOTATION_V2, sids)

    async def status(self) -> Record:
        """The session's status from the lightweight status endpoint (shape undocumented).

        ``record.extra.get("status")`` holds the status when the server names it so.
        """
        return await self._context.one(SESSION_STATUS, {"sessionSid": self.ref.session_sid})

    async def wait_until_terminal(
        self,
        *,
        poll_interval: float = 30.0,
        timeout: float | None = 3600.0,  # noqa: ASYNC109 - a deadline for the whole wait
        require_review: bool = False,
    ) -> ExamSession:
        """Poll until the session is Closed or Cancelled; return its details then.

        The details are read first (a session already over costs one request); later
        polls use the lightweight :meth:`status` endpoint while it answers a status,
        and :meth:`get` otherwise, and the details again once the status is final. With
        ``require_review`` the session must also be reviewed by its proctor
        (``reviewed``, a ``review_completed_date``, or ``review_required`` false in its
        details): the reporting guide says annotations are added during or after the
        review, so a sync that needs them all waits for it. Each poll goes through the
        client's rate limiter like any request. Raises
        :class:`~smarterproctoring_async.errors.TimeoutError` (also the builtin
        ``TimeoutError``) when ``timeout`` seconds pass first; ``None`` waits forever.
        """
        if not (math.isfinite(poll_interval) and poll_interval > 0):
            raise InvalidFilterError(f"poll_interval must be positive, got {poll_interval!r}")
        if timeout is not None and not (timeout > 0):
            raise InvalidFilterError(f"timeout must be a positive number or None, got {timeout!r}")
        lightweight = not require_review
        seen = "unknown"
        with anyio.move_on_after(math.inf if timeout is None else timeout):
            details = await self.get()
            seen = details.status or "unknown"
            while not (details.is_terminal and (not require_review or is_reviewed(details))):
                await anyio.sleep(poll_interval)
                status = await self._light_status() if lightweight else None
                lightweight = status is not None
                if status is not None:
                    seen = status
                    if not is_terminal(status):
                        continue
                details = await self.get()
                seen = details.status or "unknown"
            return details
        what = "reviewed" if require_review else "terminal"
        raise TimeoutError(
            f"session {self.ref.session_sid} still {seen!r}, not {what}, after {timeout} s"
        )

    async def _light_status(self) -> str | None:
        """The status from :meth:`status`, or ``None`` when that endpoint cannot say."""
        try:
            record = await self.status()
        except (NotFoundError, InvalidInputError, DecodeError):
            return None
        value = record.extra.get("status")
        return value if isinstance(value, str) else None


def is_reviewed(details: ExamSession) -> bool:
    """Whether the proctor's review of a session is over (or none is required)."""
    return (
        details.reviewed is True
        or details.review_completed_date is not None
        or details.review_required is False
    )


def _details_request(sids: dict[str, str], validate: bool) -> Request:
    """The details GET (no filters): a bulk run makes a handle per session, mostly of a
    few exams, so the exam's part of the path is checked once, not once per session."""
    install, exam = sids["installSid"], sids["examSid"]
    if type(install) is str and type(exam) is str:  # else build_path names the bad one
        head = _exam_path(install, exam, validate)
        path = head + build_path("/sessions/{sessionSid}", sids, validate=validate)
    else:
        path = build_path(_SESSION, sids, validate=validate)
    return Request("GET", path, (), SESSION_DETAILS.route, SESSION_DETAILS.grouped)


@functools.lru_cache(maxsize=1024)
def _exam_path(install: str, exam: str, validate: bool) -> str:
    return build_path(_EXAM, {"installSid": install, "examSid": exam}, validate=validate)
