"""The install-level reports: ``client.install("AI…").reports``.

List reports return a :class:`~smarterproctoring_async.Paginator`; the reports that
answer one object are awaited. Filters are keyword-only and checked before any
request (see ``_endpoints.py`` for each one's wire name and allowed values). The
volume and distribution reports are cached per client for ``cache_ttl`` seconds (15
minutes by default, the reporting guide's advice); pass ``cache=False`` for a fresh
answer.
"""

from __future__ import annotations

from typing import TypeVar

from .. import _endpoints as E
from .._filters import DateRange, OneOrMany, When
from .._pagination import Paginator
from ..models import Model
from ..report_models import (
    Appointment,
    ReportRow,
    ServiceDistributionRow,
    SessionEventRow,
    UnscheduledLearner,
)
from ._context import Context

__all__ = ["Reports"]

M = TypeVar("M", bound=Model)


class Reports:
    """The reports of one install; creating it does no I/O."""

    def __init__(self, context: Context, install_sid: str) -> None:
        self._context = context
        self.install_sid = install_sid
        self._sids = {"installSid": install_sid}

    def __repr__(self) -> str:
        return f"<Reports install={self.install_sid}>"

    def session_events(
        self,
        *,
        exam_sid: str | None = None,
        course_sid: str | None = None,
        course_offering_sid: str | None = None,
        event_sid: str | None = None,
        event_type_sid: str | None = None,
        event_time_range: DateRange | None = None,
        session_event_status: str | None = None,
        course_title: str | None = None,
        exam_title: str | None = None,
        student_first_name: str | None = None,
        student_last_name: str | None = None,
        instructor_first_name: str | None = None,
        instructor_last_name: str | None = None,
        sort_keys: OneOrMany | None = None,
        sort_order: str | None = None,
    ) -> Paginator[SessionEventRow]:
        """Every event report across the install (Session Events report).

        ``event_time_range=(start, end)`` takes aware datetimes; each row's
        :attr:`~SessionEventRow.session_ref` names the session it was reported in.
        """
        return self._list(E.SESSION_EVENTS, SessionEventRow, locals())

    def appointments(
        self,
        *,
        exam_sid: str | None = None,
        course_sid: str | None = None,
        course_offering_sid: str | None = None,
        status: str | None = None,
        type: str | None = None,
        review_status: str | None = None,
        exam_status: str | None = None,
        appointment_after: When | None = None,
        appointment_before: When | None = None,
        learner_first_name: str | None = None,
        learner_last_name: str | None = None,
        learner_email: str | None = None,
        learner_sid: str | None = None,
        course_title: str | None = None,
        exam_title: str | None = None,
    ) -> Paginator[Appointment]:
        """Every scheduled appointment (one per exam session) matching the filters.

        ``status`` is one of ``"Needs Proctor"``, ``"Scheduled"``, ``"Cancelled"``,
        ``"In Progress"``, ``"Closed"``; text filters may not contain ``%``. Each
        appointment's :attr:`~Appointment.session_ref` feeds the bulk fetch.
        """
        return self._list(E.APPOINTMENTS, Appointment, locals())

    def unscheduled_learners(
        self,
        *,
        course_sid: str | None = None,
        course_offering_sid: str | None = None,
        course_title: str | None = None,
        course_code: str | None = None,
        exam_title: str | None = None,
        learner_first_name: str | None = None,
        learner_last_name: str | None = None,
        learner_email: str | None = None,
    ) -> Paginator[UnscheduledLearner]:
        """Learners provisioned for an exam who have not scheduled a session."""
        return self._list(E.UNSCHEDULED_LEARNERS, UnscheduledLearner, locals())

    def exam_volume(
        self,
        *,
        exam_date_range: DateRange | None = None,
        course_offering_sid: str | None = None,
        sort_keys: OneOrMany | None = None,
        sort_order: str | None = None,
        cache: bool = True,
    ) -> Paginator[ReportRow]:
        """Exam volume of the install (path ``/examVolume``; cached).

        ``exam_date_range=(open, close)`` is sent as ``examOpenDate``/``examCloseDate``.
        """
        return self._list(E.EXAM_VOLUME, ReportRow, locals(), cache=cache)

    def exams_by_week(
        self,
        *,
        group_by: str | None = None,
        status: str | None = None,
        start_date: When | None = None,
        end_date: When | None = None,
        course_offering_sid: str | None = None,
        cache: bool = True,
    ) -> Paginator[ReportRow]:
        """Exams grouped by week (path ``/examsByWeek``; cached).

        ``group_by`` is ``"examOpenDate"`` or ``"examCloseDate"``; ``status`` is
        ``"past"``, ``"active"`` or ``"upcoming"``.
        """
        return self._list(E.EXAMS_BY_WEEK, ReportRow, locals(), cache=cache)

    def service_distribution(
        self,
        *,
        service_types: OneOrMany | None = None,
        statuses: OneOrMany | None = None,
        exam_sid: str | None = None,
        course_sid: str | None = None,
        course_offering_sid: str | None = None,
        course_title: str | None = None,
        course_code: str | None = None,
        exam_title: str | None = None,
        appointment_date_after: When | None = None,
        appointment_date_before: When | None = None,
        cache: bool = True,
    ) -> Paginator[ServiceDistributionRow]:
        """Sessions broken down by service type (cached).

        ``appointment_date_after`` is inclusive, ``appointment_date_before`` exclusive.
        The reference hides the names of its close-date, user, billable and sort
        parameters, so they are not offered.
        """
        return self._list(E.SERVICE_DISTRIBUTION, ServiceDistributionRow, locals(), cache=cache)

    async def appointment_volume(
        self,
        *,
        exam_sid: str | None = None,
        course_sid: str | None = None,
        course_offering_sid: str | None = None,
        appointment_date_range: DateRange | None = None,
        cache: bool = True,
    ) -> ReportRow:
        """Peak appointment analysis (Appointment Volume; one object; cached)."""
        return await self._one(E.APPOINTMENT_VOLUME, locals(), cache=cache)

    async def exam_type_stats(self, *, cache: bool = True) -> ReportRow:
        """Aggregated stats per exam type for the next 10 days (path ``aggregatedStats``;
        one object; cached)."""
        return await self._one(E.EXAM_TYPE_STATS, locals(), cache=cache)

    async def modality_distribution(
        self,
        *,
        exam_sid: str | None = None,
        course_sid: str | None = None,
        course_offering_sid: str | None = None,
        cache: bool = True,
    ) -> ReportRow:
        """Sessions broken down by proctoring modality (one object; cached)."""
        return await self._one(E.MODALITY_DISTRIBUTION, locals(), cache=cache)

    async def proctor_volume(
        self,
        *,
        exam_session_status: str | None = None,
        appointment_date_range: DateRange | None = None,
        course_offering_sid: str | None = None,
        cache: bool = True,
    ) -> ReportRow:
        """Volume per proctor account (path ``proctorAccountVolume``; one object; cached).

        The API counts ``"Closed"`` sessions unless ``exam_session_status`` says
        otherwise.
        """
        return await self._one(E.PROCTOR_VOLUME, locals(), cache=cache)

    def exam_overview(
        self,
        *,
        sort_by: str,
        course_offering_sid: str | None = None,
        course_title: str | None = None,
        course_code: str | None = None,
        exam_title: str | None = None,
        instructor_first_name: str | None = None,
        instructor_last_name: str | None = None,
        exam_date_range: DateRange | None = None,
        exam_schedule_date_range: DateRange | None = None,
        needs_proctor: bool | None = None,
    ) -> Paginator[ReportRow]:
        """One row per exam with its session counts (``examOverview``).

        The API requires ``sort_by``, e.g. ``"examTitle"`` or ``"status needs proctor"``.
        """
        return self._list(E.EXAM_OVERVIEW, ReportRow, locals())

    def audit(
        self,
        *,
        exam_date_range: DateRange | None = None,
        course_offering_sid: str | None = None,
        sort_keys: OneOrMany | None = None,
        sort_order: str | None = None,
    ) -> Paginator[ReportRow]:
        """The audit report of the install's exams."""
        return self._list(E.AUDIT, ReportRow, locals())

    def churn(
        self,
        *,
        current_status: OneOrMany | None = None,
        has_cancelled: bool | None = None,
        has_closed: bool | None = None,
        exam_date_range: DateRange | None = None,
        course_offering_sid: str | None = None,
        course_title: str | None = None,
        exam_title: str | None = None,
        email: str | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        sort_keys: OneOrMany | None = None,
        sort_order: str | None = None,
    ) -> Paginator[ReportRow]:
        """Learners' session history per exam (the churn report)."""
        return self._list(E.CHURN, ReportRow, locals())

    def session_requests(
        self,
        *,
        exam_sid: str | None = None,
        course_sid: str | None = None,
        student_first_name: str | None = None,
        student_last_name: str | None = None,
        student_email: str | None = None,
        proctor_first_name: str | None = None,
        proctor_last_name: str | None = None,
        sort_keys: OneOrMany | None = None,
        sort_order: str | None = None,
    ) -> Paginator[ReportRow]:
        """Message threads with an active session request."""
        return self._list(E.SESSION_REQUESTS, ReportRow, locals())

    def _list(
        self,
        endpoint: E.Endpoint,
        model: type[M],
        arguments: dict[str, object],
        *,
        cache: bool = False,
    ) -> Paginator[M]:
        return self._context.listing(endpoint, model, arguments, self._sids, cache=cache)

    async def _one(
        self, endpoint: E.Endpoint, arguments: dict[str, object], *, cache: bool = False
    ) -> ReportRow:
        return await self._context.single(endpoint, ReportRow, arguments, self._sids, cache=cache)
