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
from ._client import Client
from ._config import RetryPolicy
from ._pagination import Paginator
from ._ratelimit import RateLimiter
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
    RateLimitError,
    RedirectError,
    ResponseTooLargeError,
    ServerError,
    SmarterProctoringError,
    TimeoutError,
    TransportError,
)
from .models import Annotation, EventReport, ExamSession, JSONValue, Page, SessionRef
from .report_models import (
    Appointment,
    AppointmentEnrollment,
    AppointmentExam,
    ReportRow,
    ServiceDistributionRow,
    SessionEventRow,
    SessionSummary,
    UnscheduledLearner,
)
from .resources import Course, Enrollment, EnrollmentExam, Exam, Install, Reports, Session

__version__ = "0.1.0"

__all__ = [
    "APIError",
    "Annotation",
    "Appointment",
    "AppointmentEnrollment",
    "AppointmentExam",
    "AuthenticationError",
    "Client",
    "ClientStateError",
    "ConfigurationError",
    "Course",
    "DecodeError",
    "Enrollment",
    "EnrollmentExam",
    "EventReport",
    "Exam",
    "ExamSession",
    "IncompleteListError",
    "Install",
    "InvalidFilterError",
    "InvalidInputError",
    "InvalidSidError",
    "JSONValue",
    "NotFoundError",
    "Page",
    "Paginator",
    "RateLimitError",
    "RateLimiter",
    "RedirectError",
    "ReportRow",
    "Reports",
    "ResponseTooLargeError",
    "RetryPolicy",
    "ServerError",
    "ServiceDistributionRow",
    "Session",
    "SessionEventRow",
    "SessionRef",
    "SessionSummary",
    "SmarterProctoringError",
    "TimeoutError",
    "TransportError",
    "UnscheduledLearner",
    "__version__",
    "errors",
]
