"""The install-level reports: ``client.install("AI…").reports``.

List reports return a :class:`~smarterproctoring_async.Paginator`; those answering
one object are awaited. Filters are keyword-only, typed by the ``TypedDict`` next to
each declaration, and checked before any request. The volume and distribution
reports are cached per client for ``cache_ttl`` seconds (15 minutes by default, the
guide's advice); ``cache=False`` asks afresh.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from .._endpoint import list_endpoint, one_endpoint
from .._filters import NO_PERCENT, SID, DateRange, Many, SortOrder, When, span
from .._typing import TypedDict
from ..models import (
    Appointment,
    Record,
    ServiceDistributionRow,
    SessionEventRow,
    UnscheduledLearner,
)

if TYPE_CHECKING:
    # Annotations only: the CLI reads these declarations and must not load aiohttp.
    from .._pagination import Paginator
    from .._typing import Unpack
    from ._context import Context

__all__ = [
    "AppointmentFilters",
    "AppointmentVolumeFilters",
    "AuditFilters",
    "ChurnFilters",
    "ExamOverviewFilters",
    "ExamVolumeFilters",
    "ExamsByWeekFilters",
    "ModalityDistributionFilters",
    "ProctorVolumeFilters",
    "Reports",
    "ServiceDistributionFilters",
    "SessionEventFilters",
    "SessionRequestFilters",
    "SessionStatus",
    "UnscheduledLearnerFilters",
]

Sid = Annotated[str, SID]
Text = Annotated[str, NO_PERCENT]
ExamDates = Annotated[DateRange, span("examOpenDate", "examCloseDate")]
AppointmentDates = Annotated[
    DateRange, span("appointmentDateRangeStart", "appointmentDateRangeEnd")
]
SessionStatus = Literal["Needs Proctor", "Scheduled", "Cancelled", "In Progress", "Closed"]
"""A session status as the appointments report filters it."""


class SessionEventFilters(TypedDict, total=False):
    """Filters of :meth:`Reports.session_events` (``sessionEventStatus`` is free text:
    the reference gives no enum for it)."""

    exam_sid: Sid
    course_sid: Sid
    course_offering_sid: Sid
    event_sid: Sid
    event_type_sid: Sid
    session_event_status: str
    course_title: str
    exam_title: str
    student_first_name: str
    student_last_name: str
    instructor_first_name: str
    instructor_last_name: str
    sort_keys: Many[Literal["createdDate"]]
    sort_order: SortOrder
    event_time_range: Annotated[DateRange, span("eventTimeRangeStart", "eventTimeRangeEnd")]


class AppointmentFilters(TypedDict, total=False):
    """Filters of :meth:`Reports.appointments`; text filters may not contain ``%``.

    ``learner_sid`` is a text filter in the API (no ``%``), not a checked SID.
    """

    exam_sid: Sid
    course_sid: Sid
    course_offering_sid: Sid
    status: SessionStatus
    type: Literal[
        "b-virtual", "examity", "proctoru", "register-blast", "instructor-as-proctor",
        "messaging", "ad-hoc", "vtc", "automated",
    ]  # fmt: skip
    review_status: Literal["pending", "complete", "not-required"]
    exam_status: Literal["active", "draft", "deleted"]
    appointment_after: When
    appointment_before: When
    learner_first_name: Text
    learner_last_name: Text
    learner_email: Text
    learner_sid: Text
    course_title: Text
    exam_title: Text


class UnscheduledLearnerFilters(TypedDict, total=False):
    """Filters of :meth:`Reports.unscheduled_learners`."""

    course_sid: Sid
    course_offering_sid: Sid
    course_title: str
    course_code: str
    exam_title: str
    learner_first_name: str
    learner_last_name: str
    learner_email: str


class ExamVolumeFilters(TypedDict, total=False):
    """Filters of :meth:`Reports.exam_volume`."""

    course_offering_sid: Sid
    sort_keys: Many[Literal["examOpenDate", "createdDate"]]
    sort_order: SortOrder
    exam_date_range: ExamDates


class ExamsByWeekFilters(TypedDict, total=False):
    """Filters of :meth:`Reports.exams_by_week`."""

    group_by: Literal["examOpenDate", "examCloseDate"]
    status: Literal["past", "active", "upcoming"]
    start_date: When
    end_date: When
    course_offering_sid: Sid


class ServiceDistributionFilters(TypedDict, total=False):
    """Filters of :meth:`Reports.service_distribution` (SPEC 4i: the names of its
    close-date bounds, user, billable and sort parameters are not in the reference,
    so they are not offered)."""

    service_types: Many[
        Literal[
            "automated", "automated-with-review", "live", "virtual-test-center", "proctoru",
            "register-blast", "ad-hoc", "messaging",
        ]
    ]  # fmt: skip
    statuses: Many[Literal["Scheduled", "Closed", "Cancelled"]]
    exam_sid: Sid
    course_sid: Sid
    course_offering_sid: Sid
    course_title: str
    course_code: str
    exam_title: str
    appointment_date_after: When
    appointment_date_before: When


class AppointmentVolumeFilters(TypedDict, total=False):
    """Filters of :meth:`Reports.appointment_volume`."""

    exam_sid: Sid
    course_sid: Sid
    course_offering_sid: Sid
    appointment_date_range: AppointmentDates


class ModalityDistributionFilters(TypedDict, total=False):
    """Filters of :meth:`Reports.modality_distribution`."""

    exam_sid: Sid
    course_sid: Sid
    course_offering_sid: Sid


class ProctorVolumeFilters(TypedDict, total=False):
    """Filters of :meth:`Reports.proctor_volume`."""

    exam_session_status: Literal["Pending Review", "Scheduled", "Needs Proctor", "Closed",
                                 "in-progress", "Checked In", "Cancelled"]  # fmt: skip
    course_offering_sid: Sid
    appointment_date_range: AppointmentDates


class _ExamOverviewSort(TypedDict):
    # The one filter the API requires: a required key, for mypy and for the table.
    sort_by: Literal[
        "status needs proctor", "status cancelled", "status scheduled", "status closed",
        "examOpenDate", "examCloseDate", "examScheduleOpenDate", "examScheduleCloseDate",
        "examTitle",
    ]  # fmt: skip


class ExamOverviewFilters(_ExamOverviewSort, total=False):
    """Filters of :meth:`Reports.exam_overview`; ``sort_by`` is required by the API."""

    course_offering_sid: Sid
    course_title: str
    course_code: str
    exam_title: str
    instructor_first_name: str
    instructor_last_name: str
    needs_proctor: bool
    exam_date_range: ExamDates
    exam_schedule_date_range: Annotated[
        DateRange, span("examScheduleOpenDate", "examScheduleCloseDate")
    ]


class AuditFilters(TypedDict, total=False):
    """Filters of :meth:`Reports.audit`."""

    course_offering_sid: Sid
    sort_keys: Many[Literal["createdDate"]]
    sort_order: SortOrder
    exam_date_range: ExamDates


class ChurnFilters(TypedDict, total=False):
    """Filters of :meth:`Reports.churn`."""

    course_title: str
    exam_title: str
    email: str
    first_name: str
    last_name: str
    course_offering_sid: Sid
    has_cancelled: bool
    has_closed: bool
    current_status: Many[Literal["Needs Proctor", "Closed", "Scheduled"]]
    sort_keys: Many[Literal["courseTitle", "examTitle", "createdDate"]]
    sort_order: SortOrder
    exam_date_range: ExamDates


class SessionRequestFilters(TypedDict, total=False):
    """Filters of :meth:`Reports.session_requests`."""

    exam_sid: Sid
    course_sid: Sid
    student_first_name: str
    student_last_name: str
    student_email: str
    proctor_first_name: str
    proctor_last_name: str
    sort_keys: Many[
        Literal["createdDate", "lastMessageDate", "confirmedDate", "confirmedDateExpiration"]
    ]
    sort_order: SortOrder


_INSTALL = "/v1/installs/{installSid}"
_REPORTS = _INSTALL + "/reports"

SESSION_EVENTS = list_endpoint(
    _REPORTS + "/examSessionEvents", SessionEventRow, SessionEventFilters, sid_prefix="ER"
)
APPOINTMENTS = list_endpoint(_REPORTS + "/appointments", Appointment, AppointmentFilters,
                             sid_prefix="ES")  # fmt: skip
# One row per learner and exam: no row has a documented own identifier.
UNSCHEDULED_LEARNERS = list_endpoint(
    _REPORTS + "/unscheduledLearners", UnscheduledLearner, UnscheduledLearnerFilters
)
EXAM_VOLUME = list_endpoint(_INSTALL + "/examVolume", Record, ExamVolumeFilters, cached=True)
EXAMS_BY_WEEK = list_endpoint(
    _INSTALL + "/examsByWeek", Record, ExamsByWeekFilters, cached=True, grouped=True
)
SERVICE_DISTRIBUTION = list_endpoint(
    _REPORTS + "/serviceDistribution",
    ServiceDistributionRow,
    ServiceDistributionFilters,
    cached=True,
)
APPOINTMENT_VOLUME = one_endpoint(
    _REPORTS + "/appointmentVolume", Record, AppointmentVolumeFilters, cached=True
)
EXAM_TYPE_STATS = one_endpoint(_REPORTS + "/aggregatedStats", Record, cached=True)
MODALITY_DISTRIBUTION = one_endpoint(
    _REPORTS + "/modalityDistribution", Record, ModalityDistributionFilters, cached=True
)
PROCTOR_VOLUME = one_endpoint(
    _REPORTS + "/proctorAccountVolume", Record, ProctorVolumeFilters, cached=True
)
EXAM_OVERVIEW = list_endpoint(_REPORTS + "/examOverview", Record, ExamOverviewFilters)
AUDIT = list_endpoint(_REPORTS + "/audit", Record, AuditFilters)
CHURN = list_endpoint(_REPORTS + "/churn", Record, ChurnFilters)
SESSION_REQUESTS = list_endpoint(_REPORTS + "/sessionRequests", Record, SessionRequestFilters)


class Reports:
    """The reports of one install; creating it does no I/O."""

    def __init__(self, context: Context, install_sid: str) -> None:
        self._context = context
        self.install_sid = install_sid
        self._sids = {"installSid": install_sid}

    def __repr__(self) -> str:
        return f"<Reports install={self.install_sid}>"

    def session_events(self, **filters: Unpack[SessionEventFilters]) -> Paginator[SessionEventRow]:
        """Every event report across the install (Session Events report).

        ``event_time_range=(start, end)`` takes aware datetimes; each row's
        :attr:`~SessionEventRow.session_ref` names the session it was reported in.
        """
        return self._context.list(SESSION_EVENTS, self._sids, filters)

    def appointments(self, **filters: Unpack[AppointmentFilters]) -> Paginator[Appointment]:
        """Every scheduled appointment (one per exam session) matching the filters.

        ``status`` is one of ``"Needs Proctor"``, ``"Scheduled"``, ``"Cancelled"``,
        ``"In Progress"``, ``"Closed"``; text filters may not contain ``%``. Each
        appointment's :attr:`~Appointment.session_ref` feeds the bulk fetch.
        """
        return self._context.list(APPOINTMENTS, self._sids, filters)

    def unscheduled_learners(
        self, **filters: Unpack[UnscheduledLearnerFilters]
    ) -> Paginator[UnscheduledLearner]:
        """Learners provisioned for an exam who have not scheduled a session."""
        return self._context.list(UNSCHEDULED_LEARNERS, self._sids, filters)

    def exam_volume(
        self, *, cache: bool = True, **filters: Unpack[ExamVolumeFilters]
    ) -> Paginator[Record]:
        """Exam volume of the install (path ``/examVolume``; cached).

        ``exam_date_range=(open, close)`` is sent as ``examOpenDate``/``examCloseDate``.
        """
        return self._context.list(EXAM_VOLUME, self._sids, filters, cache=cache)

    def exams_by_week(
        self, *, cache: bool = True, **filters: Unpack[ExamsByWeekFilters]
    ) -> Paginator[Record]:
        """Exams grouped by week (path ``/examsByWeek``; cached).

        ``group_by`` is ``"examOpenDate"`` or ``"examCloseDate"``; ``status`` is
        ``"past"``, ``"active"`` or ``"upcoming"``. Rows sent grouped by date (an
        object of lists) are records too, each with its date as ``group_key``.
        """
        return self._context.list(EXAMS_BY_WEEK, self._sids, filters, cache=cache)

    def service_distribution(
        self, *, cache: bool = True, **filters: Unpack[ServiceDistributionFilters]
    ) -> Paginator[ServiceDistributionRow]:
        """Sessions broken down by service type (cached).

        ``appointment_date_after`` is inclusive, ``appointment_date_before`` exclusive.
        """
        return self._context.list(SERVICE_DISTRIBUTION, self._sids, filters, cache=cache)

    async def appointment_volume(
        self, *, cache: bool = True, **filters: Unpack[AppointmentVolumeFilters]
    ) -> Record:
        """Peak appointment analysis (Appointment Volume; one object; cached)."""
        return await self._context.one(APPOINTMENT_VOLUME, self._sids, filters, cache=cache)

    async def exam_type_stats(self, *, cache: bool = True) -> Record:
        """Aggregated stats per exam type for the next 10 days (path ``aggregatedStats``;
        one object; cached)."""
        return await self._context.one(EXAM_TYPE_STATS, self._sids, cache=cache)

    async def modality_distribution(
        self, *, cache: bool = True, **filters: Unpack[ModalityDistributionFilters]
    ) -> Record:
        """Sessions broken down by proctoring modality (one object; cached)."""
        return await self._context.one(MODALITY_DISTRIBUTION, self._sids, filters, cache=cache)

    async def proctor_volume(
        self, *, cache: bool = True, **filters: Unpack[ProctorVolumeFilters]
    ) -> Record:
        """Volume per proctor account (path ``proctorAccountVolume``; one object; cached).

        The API counts ``"Closed"`` sessions unless ``exam_session_status`` says
        otherwise.
        """
        return await self._context.one(PROCTOR_VOLUME, self._sids, filters, cache=cache)

    def exam_overview(self, **filters: Unpack[ExamOverviewFilters]) -> Paginator[Record]:
        """One row per exam with its session counts (``examOverview``).

        The API requires ``sort_by``, e.g. ``"examTitle"`` or ``"status needs proctor"``.
        """
        return self._context.list(EXAM_OVERVIEW, self._sids, filters)

    def audit(self, **filters: Unpack[AuditFilters]) -> Paginator[Record]:
        """The audit report of the install's exams."""
        return self._context.list(AUDIT, self._sids, filters)

    def churn(self, **filters: Unpack[ChurnFilters]) -> Paginator[Record]:
        """Learners' session history per exam (the churn report)."""
        return self._context.list(CHURN, self._sids, filters)

    def session_requests(self, **filters: Unpack[SessionRequestFilters]) -> Paginator[Record]:
        """Message threads with an active session request."""
        return self._context.list(SESSION_REQUESTS, self._sids, filters)
