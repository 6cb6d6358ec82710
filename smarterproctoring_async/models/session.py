"""Exam sessions, as the session details, the appointments report and the enrollment
session list show them.

:class:`ExamSession` and :class:`Appointment` describe the same object from two
endpoints: the fields both show are declared once, in their shared base. Every record
with a session status gets ``is_terminal`` from one place (``_rows.StatusRecord``).
"""

from __future__ import annotations

from datetime import datetime

import attrs

from ._converter import Model
from ._rows import StatusRecord, session_ref_of
from .values import JSONValue, SessionRef

__all__ = [
    "Appointment",
    "AppointmentEnrollment",
    "AppointmentExam",
    "ExamSession",
    "SessionSummary",
]


@attrs.frozen(kw_only=True, slots=False)
class _ScheduledSession(StatusRecord):
    """The fields that Exam Session Details and List Appointments both document."""

    install_sid: str | None = None
    sid: str | None = None
    exam_sid: str | None = None
    enrollment_sid: str | None = None
    instructor_proctor_sid: str | None = None
    session_type: str | None = None
    scheduling_module: str | None = None
    proctor_review_process_sid: str | None = None
    appointment_date: datetime | None = None
    date_approved: datetime | None = None
    date_scheduled: datetime | None = None
    external_appointment_id: str | None = None
    external_reserved_appointment_id: str | None = None
    external_reserved_appointment_expires: datetime | None = None
    recording_start_date: datetime | None = None
    session_report_count: int | None = None
    series: JSONValue = None
    review_by_date: datetime | None = None
    review_completed_date: datetime | None = None
    review_required: bool | None = None
    platform_version: str | None = None
    system_check_start_date: datetime | None = None
    system_check_end_date: datetime | None = None


@attrs.frozen(kw_only=True, slots=False)
class ExamSession(_ScheduledSession):
    """A proctored exam session (Exam Session Details, SPEC §1).

    ``status`` is the API's text (``"Closed"``, ``"In Progress"``, ...); use
    :attr:`is_terminal` rather than comparing it yourself. Fields the reference shows
    both as strings and as objects (``exam``, ``enrollment``, ``course``, ``series``,
    ...) are plain JSON values.
    """

    user_sid: str | None = None
    course_sid: str | None = None
    proctor_type_sid: str | None = None
    cancellation_policy_sid: str | None = None
    cancellation_policy_version_sid: str | None = None
    status_reason: str | None = None
    access_key: str | None = attrs.field(default=None, repr=False)  # a secret of the session
    duration: float | None = None
    workflow_module: str | None = None
    appointment_end_date: datetime | None = None
    created_date: datetime | None = None
    in_progress_date: datetime | None = None
    external_appointment_sync_date: datetime | None = None
    edit_date: datetime | None = None
    notes: str | None = None
    account: JSONValue = None
    install: JSONValue = None
    deployment: JSONValue = None
    review_by_user_sid: str | None = None
    review_complete_notification_url: str | None = None
    reviewed: bool | None = None
    proctor_groups: JSONValue = None
    url: str | None = attrs.field(default=None, metadata={"wire": "URL"})
    exam_locale: str | None = None
    modality_options: JSONValue = None
    exam: JSONValue = None
    enrollment: JSONValue = None
    course: JSONValue = None
    exam_file: JSONValue = None
    returned_file: JSONValue = None
    photos: JSONValue = None


@attrs.frozen(kw_only=True, slots=False)
class AppointmentExam(Model):
    """The ``exam`` object inside an :class:`Appointment` (List Appointments, SPEC §4b)."""

    sid: str | None = None
    course_sid: str | None = None
    title: str | None = None
    type: str | None = None
    description: str | None = None
    use_proctor_manager: bool | None = None
    require_approval: bool | None = None
    enable_appointment_suggestions: bool | None = None
    url: str | None = None
    status: str | None = None
    instructor_name: str | None = None
    course_name: str | None = None
    total_sessions: int | None = None
    needs_proctor_sessions: int | None = None
    platform_version: str | None = None


@attrs.frozen(kw_only=True, slots=False)
class AppointmentEnrollment(Model):
    """The ``enrollment`` object inside an :class:`Appointment`.

    The reference shows only its first fields; the rest are in ``extra``.
    """

    user_sid: str | None = None
    enrollment_sid: str | None = None
    course_sid: str | None = None
    role: str | None = None


@attrs.frozen(kw_only=True, slots=False)
class Appointment(_ScheduledSession):
    """One scheduled exam session, as listed by the appointments report (SPEC §4b).

    ``sid`` is the session SID (``ES…``), so :attr:`session_ref` feeds the session
    handles and the bulk fetch directly. ``exam`` and ``enrollment`` are typed nested
    objects when the server sends objects; any other shape is kept in ``extra``.
    ``install_sid`` is the row's, else the install of the request.
    """

    mandatory_room_scan_video: bool | None = None
    muted_annotations: JSONValue = None
    exam: AppointmentExam | None = None
    enrollment: AppointmentEnrollment | None = None

    @property
    def session_ref(self) -> SessionRef:
        """The session this appointment is (raises DecodeError if a SID is missing)."""
        return session_ref_of(self, "sid")


@attrs.frozen(kw_only=True, slots=False)
class SessionSummary(StatusRecord):
    """One session of an enrollment for an exam (List enrollment exam sessions, SPEC §5a).

    ``install_sid``, ``exam_sid`` and ``enrollment_sid`` are those of the request when
    the row does not carry them.
    """

    install_sid: str | None = None
    exam_sid: str | None = None
    enrollment_sid: str | None = None
    sid: str | None = None
    session_type: str | None = None
    appointment_date: datetime | None = None
    created_date: datetime | None = None
    edit_date: datetime | None = None

    @property
    def session_ref(self) -> SessionRef:
        """The ref of this session (raises DecodeError if a SID is missing)."""
        return session_ref_of(self, "sid")
