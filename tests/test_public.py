"""The public surface: pinned, so that adding or dropping a name is a deliberate change."""

from __future__ import annotations

import inspect
import types

import smarterproctoring_async as sp

PUBLIC = [
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


def test_the_public_names_are_pinned_and_sorted() -> None:
    assert sp.__all__ == PUBLIC
    assert sp.__all__ == sorted(sp.__all__)


def test_every_public_name_is_documented() -> None:
    for name in sp.__all__:
        value = getattr(sp, name)
        if isinstance(value, types.GenericAlias):  # a type alias (sp.TokenProvider): no
            continue  # docstring of its own, though Python 3.10 calls it a class
        if inspect.isclass(value) or inspect.isfunction(value) or inspect.ismodule(value):
            assert inspect.getdoc(value), f"sp.{name} has no docstring"


def test_what_the_methods_return_is_public() -> None:
    # The types a user meets as results of public calls can be named as sp.<Type>.
    for name in ("SessionResult", "FanOut", "Paginator", "Page", "HasSessionRef", "Record"):
        assert name in sp.__all__
