"""The handle of one install, the root of every path."""

from __future__ import annotations

from .. import _endpoints as E
from .._filters import OneOrMany
from .._pagination import Paginator
from ..report_models import ReportRow
from ._context import Context
from .discovery import Course, Enrollment
from .exam import Exam
from .reports import Reports

__all__ = ["Install"]


class Install:
    """One SmarterProctoring install (``AI…``); creating it does no I/O.

    ``reports`` holds the install-level reports; :meth:`courses`,
    :meth:`enrollments`, :meth:`course` and :meth:`enrollment` walk its hierarchy.
    """

    def __init__(self, context: Context, sid: str) -> None:
        self._context = context
        self.sid = sid
        self._sids = {"installSid": sid}
        self._path = context.path("/v1/installs/{installSid}", installSid=sid)
        self.reports = Reports(context, sid)

    def __repr__(self) -> str:
        return f"<Install {self.sid}>"

    def exam(self, sid: str) -> Exam:
        """The handle of one exam of this install (``EX…``)."""
        return Exam(self._context, self.sid, sid)

    def course(self, sid: str) -> Course:
        """The handle of one course of this install (``CU…``)."""
        return Course(self._context, self.sid, sid)

    def enrollment(self, sid: str) -> Enrollment:
        """The handle of one enrollment of this install (``EN…``)."""
        return Enrollment(self._context, self.sid, sid)

    def courses(
        self,
        *,
        instructor_sid: str | None = None,
        course_offering_sid: str | None = None,
        has_active_exam: bool | None = None,
        title_search_text: str | None = None,
        code_search_text: str | None = None,
        sort_keys: OneOrMany | None = None,
        sort_order: str | None = None,
    ) -> Paginator[ReportRow]:
        """The courses of the install; the search texts may not contain ``%``."""
        return self._context.listing(E.COURSES, ReportRow, locals(), self._sids)

    def enrollments(
        self,
        *,
        user_sid: str | None = None,
        state: str | None = None,
        role: str | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        email: str | None = None,
        course: str | None = None,
        course_offering: str | None = None,
        sort_keys: OneOrMany | None = None,
        sort_order: str | None = None,
    ) -> Paginator[ReportRow]:
        """The enrollments of the install.

        ``course`` and ``course_offering`` match titles; text filters may not contain
        ``%``; the API takes at most one sort key.
        """
        return self._context.listing(E.ENROLLMENTS, ReportRow, locals(), self._sids)
