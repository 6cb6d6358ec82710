"""The one registry of install-level reports: ``sp.REPORTS``.

Each entry names a method of :class:`~smarterproctoring_async.Reports`, the
``TypedDict`` of its filters, whether it is a list (a ``Paginator``) or one awaited
object, the model of its rows and whether the client caches it. The command line's
``report`` command, the dashboard and ``tests/test_report_registry.py`` read it, so a
report added to ``Reports`` and forgotten here fails that test instead of silently
staying out of the command line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from . import reports as _r

if TYPE_CHECKING:
    from .._endpoint import Endpoint
    from ..models import Record
    from .reports import Reports

__all__ = ["REPORTS", "ReportSpec"]


@dataclass(frozen=True)
class ReportSpec:
    """One install-level report: how to call it and what it returns.

    ``name`` is its command-line name (``"exam-volume"``), ``method`` the
    ``Reports`` method (``"exam_volume"``), ``filters`` the ``TypedDict`` of its
    keyword filters (``None``: it takes none), ``paginated`` whether the method
    returns a ``Paginator`` (else it is awaited for one object), ``model`` the class
    of its rows, ``cached`` whether the client caches its answers (``cache=`` taken).
    """

    name: str
    method: str
    filters: type[Any] | None
    paginated: bool
    model: type[Any]
    cached: bool

    @property
    def summary(self) -> str:
        """The first paragraph of the method's docstring on one line, without
        reStructuredText markup."""
        doc = getattr(_r.Reports, self.method).__doc__ or ""
        first = " ".join(doc.strip().split("\n\n")[0].split())
        for role in (":meth:", ":attr:", ":class:", "``", "`~", "`"):
            first = first.replace(role, "")
        return first

    async def fetch(self, reports: Reports, **filters: Any) -> list[Record] | Record:
        """The whole report: every row of a list report, else its one object.

        ``cache=False`` is passed on only to a cached report (the others take none).
        """
        if not self.cached:
            filters.pop("cache", None)
        call = getattr(reports, self.method)
        if self.paginated:
            rows: list[Record] = await call(**filters).collect()
            return rows
        one: Record = await call(**filters)
        return one


def _spec(name: str, method: str, endpoint: Endpoint[Any]) -> tuple[str, ReportSpec]:
    spec = ReportSpec(
        name, method, endpoint.declared, endpoint.paginated, endpoint.model, endpoint.cached
    )
    return name, spec


REPORTS: Mapping[str, ReportSpec] = MappingProxyType(
    dict(
        [
            _spec("session-events", "session_events", _r.SESSION_EVENTS),
            _spec("appointments", "appointments", _r.APPOINTMENTS),
            _spec("unscheduled-learners", "unscheduled_learners", _r.UNSCHEDULED_LEARNERS),
            _spec("exam-volume", "exam_volume", _r.EXAM_VOLUME),
            _spec("exams-by-week", "exams_by_week", _r.EXAMS_BY_WEEK),
            _spec("service-distribution", "service_distribution", _r.SERVICE_DISTRIBUTION),
            _spec("appointment-volume", "appointment_volume", _r.APPOINTMENT_VOLUME),
            _spec("exam-type-stats", "exam_type_stats", _r.EXAM_TYPE_STATS),
            _spec("modality-distribution", "modality_distribution", _r.MODALITY_DISTRIBUTION),
            _spec("proctor-volume", "proctor_volume", _r.PROCTOR_VOLUME),
            _spec("exam-overview", "exam_overview", _r.EXAM_OVERVIEW),
            _spec("audit", "audit", _r.AUDIT),
            _spec("churn", "churn", _r.CHURN),
            _spec("session-requests", "session_requests", _r.SESSION_REQUESTS),
        ]
    )
)
"""Every install-level report by its command-line name, in the guide's order."""
