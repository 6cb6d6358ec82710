"""asyncio client for the SmarterProctoring reporting API.

::

    import smarterproctoring_async as sp

    async with sp.Client(token) as client:
        session = client.install("AI…").exam("EX…").session("ES…")
        details = await session.get()
        async for event in session.events():
            ...

See the README for configuration, errors and the integration patterns.
"""

from . import errors
from ._client import Client, HasSessionRef
from ._config import RetryPolicy
from ._pagination import Paginator
from ._ratelimit import Limiter, RateLimiter
from ._walk import OnShortList
from .bulk import FanOut
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

__version__ = "0.1.0"

__all__ = [
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
    "RateLimitError",
    "RateLimiter",
    "RateLimiterUnavailableError",
    "Record",
    "RedirectError",
    "RedisRateLimiter",
    "ReportRow",
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
    "StudentAnnotationFilters",
    "TimeoutError",
    "TransportError",
    "UnscheduledLearner",
    "UnscheduledLearnerFilters",
    "__version__",
    "errors",
]
