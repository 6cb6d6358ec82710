"""Models of the install reports, exam-level lists and discovery endpoints.

Where the reference documents a response (appointments, service distribution,
enrollment sessions) the attributes are its fields. Where it does not, a model names
only the SIDs that address a row's session, and every other field stays in ``extra``
under its wire name. Those SIDs are the row's when it carries them, else the ones of
the request path (the install of an install report, the exam of an exam-level list).

Rows that name a session have :attr:`session_ref`, a
:class:`~smarterproctoring_async.SessionRef` to pass to the session handles or to the
bulk fetch; it raises :class:`~smarterproctoring_async.errors.DecodeError` naming the
SID the row lacks.
"""

from __future__ import annotations

import attrs

from ._protocol import SID_PREFIXES, is_terminal
from .errors import DecodeError
from .models import (
    DateValue,
    EventReport,
    JSONValue,
    Model,
    SessionRef,
    _field,
    nested,
    wire_fields,
)

__all__ = [
    "Appointment",
    "AppointmentEnrollment",
    "AppointmentExam",
    "ReportRow",
    "ServiceDistributionRow",
    "SessionEventRow",
    "SessionSummary",
    "UnscheduledLearner",
]


def _wire_value(row: Model, wire: str) -> object:
    for attribute, name, _ in wire_fields(type(row)):
        if name == wire:
            value = getattr(row, attribute)
            if value is not None:
                return value
            break
    return row.extra.get(wire)


def _sid_text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _session_ref(row: Model, session_key: str | None) -> SessionRef:
    """The ref of the session a row names; ``session_key`` is the wire name of its SID.

    With no ``session_key`` the row's ``sessionSid`` is used, else its ``sid`` when that
    has the session prefix ``ES``.
    """
    install = _sid_text(_wire_value(row, "installSid"))
    exam = _sid_text(_wire_value(row, "examSid"))
    if exam is None:
        embedded = _wire_value(row, "exam")
        if isinstance(embedded, Model):
            exam = _sid_text(_wire_value(embedded, "sid"))
        elif isinstance(embedded, dict):
            exam = _sid_text(embedded.get("sid"))
    if session_key is not None:
        session = _sid_text(_wire_value(row, session_key))
    else:
        session = _sid_text(_wire_value(row, "sessionSid"))
        own = _sid_text(_wire_value(row, "sid"))
        if session is None and own is not None and own.startswith(SID_PREFIXES["sessionSid"]):
            session = own
    if install is None or exam is None or session is None:
        wanted = (
            ("installSid", install),
            ("examSid", exam),
            (session_key or "sessionSid", session),
        )
        missing = " and no ".join(name for name, value in wanted if value is None)
        own = _sid_text(_wire_value(row, "sid"))
        where = f" {own!r}" if own else ""
        raise DecodeError(
            f"{type(row).__name__}{where} has no {missing}, so it names no session to fetch"
        )
    return SessionRef(install, exam, session)


def _lenient_repr(row: Model, install_sid: str | None) -> str:
    # Everything is in ``extra``, which the default repr hides: name its fields instead.
    return f"{type(row).__name__}(install_sid={install_sid!r}, fields={sorted(row.extra)!r})"


@attrs.frozen(kw_only=True)
class AppointmentExam(Model):
    """The ``exam`` object inside an :class:`Appointment` (List Appointments, SPEC §4b)."""

    sid: str | None = _field()
    course_sid: str | None = _field()
    title: str | None = _field()
    type: str | None = _field()
    description: str | None = _field()
    use_proctor_manager: bool | None = _field()
    require_approval: bool | None = _field()
    enable_appointment_suggestions: bool | None = _field()
    url: str | None = _field()
    status: str | None = _field()
    instructor_name: str | None = _field()
    course_name: str | None = _field()
    total_sessions: int | None = _field()
    needs_proctor_sessions: int | None = _field()
    platform_version: str | None = _field()


@attrs.frozen(kw_only=True)
class AppointmentEnrollment(Model):
    """The ``enrollment`` object inside an :class:`Appointment`.

    The reference shows only its first fields; the rest are in ``extra``.
    """

    user_sid: str | None = _field()
    enrollment_sid: str | None = _field()
    course_sid: str | None = _field()
    role: str | None = _field()


@attrs.frozen(kw_only=True)
class Appointment(Model):
    """One scheduled exam session, as listed by the appointments report (SPEC §4b).

    ``sid`` is the session SID (``ES…``), so :attr:`session_ref` feeds the session
    handles and the bulk fetch directly. ``exam`` and ``enrollment`` are typed nested
    objects when the server sends objects; any other shape is kept in ``extra``.
    ``install_sid`` is the row's, else the install of the request.
    """

    install_sid: str | None = _field()
    sid: str | None = _field()
    exam_sid: str | None = _field()
    enrollment_sid: str | None = _field()
    instructor_proctor_sid: str | None = _field()
    status: str | None = _field()
    session_type: str | None = _field()
    scheduling_module: str | None = _field()
    proctor_review_process_sid: str | None = _field()
    appointment_date: DateValue = _field()
    date_approved: DateValue = _field()
    date_scheduled: DateValue = _field()
    external_appointment_id: str | None = _field()
    external_reserved_appointment_id: str | None = _field()
    external_reserved_appointment_expires: DateValue = _field()
    recording_start_date: DateValue = _field()
    session_report_count: int | None = _field()
    series: JSONValue = _field()
    review_by_date: DateValue = _field()
    review_completed_date: DateValue = _field()
    review_required: bool | None = _field()
    platform_version: str | None = _field()
    system_check_start_date: DateValue = _field()
    system_check_end_date: DateValue = _field()
    mandatory_room_scan_video: bool | None = _field()
    muted_annotations: JSONValue = _field()
    exam: AppointmentExam | None = nested(AppointmentExam)
    enrollment: AppointmentEnrollment | None = nested(AppointmentEnrollment)

    @property
    def is_terminal(self) -> bool:
        """Closed or Cancelled (any letter case)."""
        return is_terminal(self.status)

    @property
    def session_ref(self) -> SessionRef:
        """The session this appointment is (raises DecodeError if a SID is missing)."""
        return _session_ref(self, "sid")


@attrs.frozen(kw_only=True)
class SessionEventRow(EventReport):
    """An event report listed across sessions: the Session Events report (SPEC §4a) and
    the exam-level event list (SPEC §5j).

    The reference publishes no schema for either; the attributes are those of
    :class:`EventReport` plus the SIDs of the session the event belongs to (the row's,
    else the install and exam of the request). Other fields are in ``extra``.
    """

    install_sid: str | None = _field()
    exam_sid: str | None = _field()
    session_sid: str | None = _field()

    @property
    def session_ref(self) -> SessionRef:
        """The session the event was reported in (DecodeError if the row names none)."""
        return _session_ref(self, "sessionSid")


@attrs.frozen(kw_only=True, repr=False)
class UnscheduledLearner(Model):
    """A provisioned learner without a scheduled session (SPEC §4c).

    The reference publishes no schema for these rows: every field is in ``extra``.
    ``install_sid`` is the row's, else the install of the request.
    """

    install_sid: str | None = _field()

    def __repr__(self) -> str:
        return _lenient_repr(self, self.install_sid)


@attrs.frozen(kw_only=True)
class ServiceDistributionRow(Model):
    """One session of the service distribution report (SPEC §4i).

    ``sid`` is the session SID; ``exam``, ``course``, ``user`` and ``course_offering``
    are objects whose contents the reference does not show (plain JSON here).
    """

    install_sid: str | None = _field()
    sid: str | None = _field()
    status: str | None = _field()
    status_reason: str | None = _field()
    billable: bool | None = _field()
    scheduling_module: str | None = _field()
    workflow_module: str | None = _field()
    appointment_date: DateValue = _field()
    date_closed: DateValue = _field()
    date_cancelled: DateValue = _field()
    exam: JSONValue = _field()
    course: JSONValue = _field()
    user: JSONValue = _field()
    course_offering: JSONValue = _field()
    service_type: str | None = _field()

    @property
    def session_ref(self) -> SessionRef:
        """The session of this row; its exam SID comes from the ``exam`` object."""
        return _session_ref(self, "sid")


@attrs.frozen(kw_only=True)
class SessionSummary(Model):
    """One session of an enrollment for an exam (List enrollment exam sessions, SPEC §5a).

    ``install_sid``, ``exam_sid`` and ``enrollment_sid`` are those of the request when
    the row does not carry them.
    """

    install_sid: str | None = _field()
    exam_sid: str | None = _field()
    enrollment_sid: str | None = _field()
    sid: str | None = _field()
    status: str | None = _field()
    session_type: str | None = _field()
    appointment_date: DateValue = _field()
    created_date: DateValue = _field()
    edit_date: DateValue = _field()

    @property
    def is_terminal(self) -> bool:
        """Closed or Cancelled (any letter case)."""
        return is_terminal(self.status)

    @property
    def session_ref(self) -> SessionRef:
        """The ref of this session."""
        return _session_ref(self, "sid")


@attrs.frozen(kw_only=True, repr=False)
class ReportRow(Model):
    """A record whose shape the API reference does not document.

    Used for the volume and overview reports, courses, enrollments, exams and the
    catalogues: every field is in ``extra`` under its wire name. ``install_sid`` is
    the row's, else the install of the request (``None`` outside an install).
    """

    install_sid: str | None = _field()

    def __repr__(self) -> str:
        return _lenient_repr(self, self.install_sid)

    @property
    def session_ref(self) -> SessionRef:
        """The session a row names by ``sessionSid`` (or an ``ES…`` ``sid``) and
        ``examSid`` (or ``exam.sid``); DecodeError when it names none."""
        return _session_ref(self, None)
