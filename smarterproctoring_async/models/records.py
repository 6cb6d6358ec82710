"""Report and list rows: the generic :class:`Record` for rows of undocumented shape, and
the rows of the reports whose fields the reference documents or that name a session."""

from __future__ import annotations

from datetime import datetime

import attrs

from ._converter import Model
from ._rows import StatusRecord, extra_fields_repr, session_ref_of
from .values import JSONValue, SessionRef

__all__ = ["Record", "ReportRow", "ServiceDistributionRow", "UnscheduledLearner"]


@attrs.frozen(kw_only=True, slots=False, repr=False)
class Record(Model):
    """A record whose shape the API reference does not document.

    Used for courses, course exams, enrollments, rosters, event types and the volume,
    overview and per-student reports: every field is in ``extra`` under its wire name.
    ``install_sid`` is the row's, else the install of the request (``None`` outside an
    install).
    """

    install_sid: str | None = None

    def __repr__(self) -> str:
        return extra_fields_repr(self, self.install_sid)

    @property
    def session_ref(self) -> SessionRef:
        """The session a row names by ``sessionSid`` (or an ``ES…`` ``sid``) and
        ``examSid`` (or ``exam.sid``); DecodeError when it names none."""
        return session_ref_of(self, None)


ReportRow = Record
"""Deprecated alias of :class:`Record`, its former name, kept so existing code runs."""


@attrs.frozen(kw_only=True, slots=False, repr=False)
class UnscheduledLearner(Model):
    """A provisioned learner without a scheduled session (SPEC §4c).

    The reference publishes no schema for these rows: every field is in ``extra``.
    ``install_sid`` is the row's, else the install of the request.
    """

    install_sid: str | None = None

    def __repr__(self) -> str:
        return extra_fields_repr(self, self.install_sid)


@attrs.frozen(kw_only=True, slots=False)
class ServiceDistributionRow(StatusRecord):
    """One session of the service distribution report (SPEC §4i).

    ``sid`` is the session SID; ``exam``, ``course``, ``user`` and ``course_offering``
    are objects whose contents the reference does not show (plain JSON here).
    """

    install_sid: str | None = None
    sid: str | None = None
    status_reason: str | None = None
    billable: bool | None = None
    scheduling_module: str | None = None
    workflow_module: str | None = None
    appointment_date: datetime | None = None
    date_closed: datetime | None = None
    date_cancelled: datetime | None = None
    exam: JSONValue = None
    course: JSONValue = None
    user: JSONValue = None
    course_offering: JSONValue = None
    service_type: str | None = None

    @property
    def session_ref(self) -> SessionRef:
        """The session of this row; its exam SID comes from the ``exam`` object."""
        return session_ref_of(self, "sid")
