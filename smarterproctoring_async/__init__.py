"""asyncio client for the SmarterProctoring reporting API.

::

    import smarterproctoring_async as sp

    async with sp.Client(token) as client:
        session = client.install("AI…").exam("EX…").session("ES…")
        details = await session.get()
        async for event in session.events():
            ...

See the README for configuration, errors and the integration patterns.

Importing the package is cheap: the names below load on first use (PEP 562), so a
program or a command line that touches only ``errors`` never pays for aiohttp, the
models or the optional extras.
"""

from __future__ import annotations

from importlib import import_module

# Not typing.TYPE_CHECKING: importing typing would be most of this module's cost. Type
# checkers give any name TYPE_CHECKING this meaning.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from . import errors
    from ._client import Client, HasSessionRef
    from ._config import RetryPolicy
    from ._json import HugeNumber, record_json
    from ._pagination import Paginator
    from ._ratelimit import Limiter, RateLimiter
    from ._raw_response import RawResponse
    from ._token_source import TokenProvider
    from ._walk import OnShortList
    from .bulk import FanOut
    from .dashboard import Dashboard, serve_dashboard
    from .errors import (
        APIError,
        AuthenticationError,
        ClientStateError,
        ConfigurationError,
        DecodeError,
        IncompleteListError,
        InvalidFilterError,
        InvalidInputError,
        InvalidSidError,
        NotFoundError,
        PermissionDeniedError,
        RateLimitError,
        RateLimiterUnavailableError,
        RedirectError,
        ResponseTooLargeError,
        ServerError,
        ServerFailureError,
        SmarterProctoringError,
        StoreBusyError,
        StoreError,
        TimeoutError,
        TransportError,
    )
    from .models import (
        Annotation,
        Appointment,
        AppointmentEnrollment,
        AppointmentExam,
        EventReport,
        ExamSession,
        JSONValue,
        Page,
        Record,
        ReportRow,
        ServiceDistributionRow,
        SessionEventRow,
        SessionRef,
        SessionResult,
        SessionSummary,
        UnscheduledLearner,
    )
    from .redis_limiter import RedisRateLimiter
    from .resources import (
        Course,
        CourseExam,
        CourseOffering,
        Enrollment,
        EnrollmentExam,
        Exam,
        Install,
        Reports,
        Session,
    )
    from .resources.discovery import (
        CourseEnrollmentFilters,
        CourseExamFilters,
        EnrollmentSessionFilters,
    )
    from .resources.exam import ExamEventFilters, StudentAnnotationFilters
    from .resources.install import AnnotationTypeFilters, CourseFilters, EnrollmentFilters
    from .resources.report_registry import REPORTS, ReportSpec
    from .resources.reports import (
        AppointmentFilters,
        AppointmentVolumeFilters,
        AuditFilters,
        ChurnFilters,
        ExamOverviewFilters,
        ExamsByWeekFilters,
        ExamVolumeFilters,
        ModalityDistributionFilters,
        ProctorVolumeFilters,
        ServiceDistributionFilters,
        SessionEventFilters,
        SessionRequestFilters,
        SessionStatus,
        UnscheduledLearnerFilters,
    )
    from .resources.session import AnnotationV2Filters, SessionListFilters
    from .stats import ClientStats, EndpointStats
    from .store import Store
    from .sync import SyncSummary, shard_of

__version__ = "0.1.0"

# Plainly sorted (tests/test_public.py), not isort-style: REPORTS sits among the R names.
__all__ = [  # noqa: RUF022
    "APIError",
    "Annotation",
    "AnnotationTypeFilters",
    "AnnotationV2Filters",
    "Appointment",
    "AppointmentEnrollment",
    "AppointmentExam",
    "AppointmentFilters",
    "AppointmentVolumeFilters",
    "AuditFilters",
    "AuthenticationError",
    "ChurnFilters",
    "Client",
    "ClientStateError",
    "ClientStats",
    "ConfigurationError",
    "Course",
    "CourseEnrollmentFilters",
    "CourseExam",
    "CourseExamFilters",
    "CourseFilters",
    "CourseOffering",
    "Dashboard",
    "DecodeError",
    "EndpointStats",
    "Enrollment",
    "EnrollmentExam",
    "EnrollmentFilters",
    "EnrollmentSessionFilters",
    "EventReport",
    "Exam",
    "ExamEventFilters",
    "ExamOverviewFilters",
    "ExamSession",
    "ExamVolumeFilters",
    "ExamsByWeekFilters",
    "FanOut",
    "HasSessionRef",
    "HugeNumber",
    "IncompleteListError",
    "Install",
    "InvalidFilterError",
    "InvalidInputError",
    "InvalidSidError",
    "JSONValue",
    "Limiter",
    "ModalityDistributionFilters",
    "NotFoundError",
    "OnShortList",
    "Page",
    "Paginator",
    "PermissionDeniedError",
    "ProctorVolumeFilters",
    "REPORTS",
    "RateLimitError",
    "RateLimiter",
    "RateLimiterUnavailableError",
    "RawResponse",
    "Record",
    "RedirectError",
    "RedisRateLimiter",
    "ReportRow",
    "ReportSpec",
    "Reports",
    "ResponseTooLargeError",
    "RetryPolicy",
    "ServerError",
    "ServerFailureError",
    "ServiceDistributionFilters",
    "ServiceDistributionRow",
    "Session",
    "SessionEventFilters",
    "SessionEventRow",
    "SessionListFilters",
    "SessionRef",
    "SessionRequestFilters",
    "SessionResult",
    "SessionStatus",
    "SessionSummary",
    "SmarterProctoringError",
    "Store",
    "StoreBusyError",
    "StoreError",
    "StudentAnnotationFilters",
    "SyncSummary",
    "TimeoutError",
    "TokenProvider",
    "TransportError",
    "UnscheduledLearner",
    "UnscheduledLearnerFilters",
    "__version__",
    "errors",
    "record_json",
    "serve_dashboard",
    "shard_of",
]

# Submodule (relative) -> the public names it provides; "errors" is that module itself.
_LAZY: dict[str, tuple[str, ...]] = {
    "._client": ("Client", "HasSessionRef"),
    "._config": ("RetryPolicy",),
    "._json": ("HugeNumber", "record_json"),
    "._pagination": ("Paginator",),
    "._ratelimit": ("Limiter", "RateLimiter"),
    "._walk": ("OnShortList",),
    ".bulk": ("FanOut",),
    ".errors": (
        "errors",
        "APIError",
        "AuthenticationError",
        "ClientStateError",
        "ConfigurationError",
        "DecodeError",
        "IncompleteListError",
        "InvalidFilterError",
        "InvalidInputError",
        "InvalidSidError",
        "NotFoundError",
        "PermissionDeniedError",
        "RateLimitError",
        "RateLimiterUnavailableError",
        "RedirectError",
        "ResponseTooLargeError",
        "ServerError",
        "ServerFailureError",
        "SmarterProctoringError",
        "StoreBusyError",
        "StoreError",
        "TimeoutError",
        "TransportError",
    ),
    ".models": (
        "Annotation",
        "Appointment",
        "AppointmentEnrollment",
        "AppointmentExam",
        "EventReport",
        "ExamSession",
        "JSONValue",
        "Page",
        "Record",
        "ReportRow",
        "ServiceDistributionRow",
        "SessionEventRow",
        "SessionRef",
        "SessionResult",
        "SessionSummary",
        "UnscheduledLearner",
    ),
    ".dashboard": ("Dashboard", "serve_dashboard"),
    "._raw_response": ("RawResponse",),
    "._token_source": ("TokenProvider",),
    ".redis_limiter": ("RedisRateLimiter",),
    ".resources.report_registry": ("REPORTS", "ReportSpec"),
    ".resources.discovery": (
        "Course",
        "CourseExam",
        "Enrollment",
        "EnrollmentExam",
        "CourseEnrollmentFilters",
        "CourseExamFilters",
        "EnrollmentSessionFilters",
    ),
    ".resources.exam": ("Exam", "ExamEventFilters", "StudentAnnotationFilters"),
    ".resources.install": (
        "CourseOffering",
        "Install",
        "AnnotationTypeFilters",
        "CourseFilters",
        "EnrollmentFilters",
    ),
    ".resources.reports": (
        "Reports",
        "AppointmentFilters",
        "AppointmentVolumeFilters",
        "AuditFilters",
        "ChurnFilters",
        "ExamOverviewFilters",
        "ExamsByWeekFilters",
        "ExamVolumeFilters",
        "ModalityDistributionFilters",
        "ProctorVolumeFilters",
        "ServiceDistributionFilters",
        "SessionEventFilters",
        "SessionRequestFilters",
        "SessionStatus",
        "UnscheduledLearnerFilters",
    ),
    ".resources.session": ("Session", "AnnotationV2Filters", "SessionListFilters"),
    ".stats": ("ClientStats", "EndpointStats"),
    ".store": ("Store",),
    ".sync": ("SyncSummary", "shard_of"),
}
_WHERE = {name: module for module, names in _LAZY.items() for name in names}


# Hidden from type checkers, so that a misspelt sp.<name> stays an error for them.
if not TYPE_CHECKING:

    def __getattr__(name: str) -> object:
        """Load a public name on first use (PEP 562); cached in the package afterwards."""
        module = _WHERE.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = import_module(module, __name__)
        if name != "errors":
            value = getattr(value, name)
        globals()[name] = value  # later lookups skip this function
        return value


def __dir__() -> list[str]:
    """The public names too, loaded or not (for completion and ``dir()``)."""
    return sorted(set(globals()) | set(__all__))
