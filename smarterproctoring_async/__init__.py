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
    InvalidFilterError,
    InvalidInputError,
    InvalidSidError,
    NotFoundError,
    RateLimitError,
    RedirectError,
    ServerError,
    SmarterProctoringError,
    TimeoutError,
    TransportError,
)
from .models import Annotation, EventReport, ExamSession, JSONValue, Page, SessionRef
from .resources import Exam, Install, Session

__version__ = "0.1.0"

__all__ = [
    "APIError",
    "Annotation",
    "AuthenticationError",
    "Client",
    "ClientStateError",
    "ConfigurationError",
    "DecodeError",
    "EventReport",
    "Exam",
    "ExamSession",
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
    "RetryPolicy",
    "ServerError",
    "Session",
    "SessionRef",
    "SmarterProctoringError",
    "TimeoutError",
    "TransportError",
    "__version__",
    "errors",
]
