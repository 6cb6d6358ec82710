"""Client configuration: validated once at construction, frozen afterwards."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from .errors import ConfigurationError

DEFAULT_BASE_URL = "https://api.smarterproctoring.com"
TOKEN_ENV = "SMARTERPROCTORING_TOKEN"
BASE_URL_ENV = "SMARTERPROCTORING_BASE_URL"


@dataclass(frozen=True)
class RetryPolicy:
    """How transient failures are retried.

    Connection errors, timeouts and the statuses 408, 429, 500, 502, 503 and 504 are
    retried up to ``max_attempts`` attempts in all, waiting a random time between 0
    and ``min(max_delay, base_delay * 2**n)`` ("full jitter") before attempt n+1.
    A ``Retry-After`` header is honoured, for every request sharing the rate
    limiter, when it asks for at most ``max_retry_after`` seconds; a longer one
    raises :class:`~smarterproctoring_async.errors.RateLimitError` at once rather
    than sleeping for it. ``deadline`` caps the time spent on one request, retries
    included (``None``: no cap beyond the attempts).
    """

    max_attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0
    deadline: float | None = None

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ConfigurationError(f"max_attempts must be at least 1, got {self.max_attempts}")
        for name in ("base_delay", "max_delay", "max_retry_after"):
            _require_non_negative(name, getattr(self, name))
        if self.deadline is not None:
            _require_positive("deadline", self.deadline)


@dataclass(frozen=True)
class ClientConfig:
    """Every client setting after defaults and environment fallbacks were applied."""

    token: str = field(repr=False)
    base_url: str
    rate_limit: float | None
    burst: int | None
    max_concurrency: int
    page_size: int
    timeout: float
    retry: RetryPolicy
    validate_sids: bool
    cache_ttl: float | None = None


def make_config(
    token: str | None,
    *,
    base_url: str | None,
    rate_limit: float | None,
    burst: int | None,
    max_concurrency: int,
    page_size: int,
    timeout: float,
    retry: RetryPolicy,
    validate_sids: bool,
    cache_ttl: float | None = None,
    environ: Mapping[str, str] = os.environ,
) -> ClientConfig:
    """Apply environment fallbacks and check every value, raising before any I/O."""
    token = token if token is not None else environ.get(TOKEN_ENV)
    if not token or not token.strip():
        raise ConfigurationError(
            f"no API token: pass Client(token=...) or set the {TOKEN_ENV} environment variable"
        )
    if any(ch in token for ch in "\r\n"):
        raise ConfigurationError("the API token contains a line break")
    url = (base_url or environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL).rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(f"base_url must be an http(s) URL with a host, got {url!r}")
    if parts.query or parts.fragment:
        raise ConfigurationError(f"base_url must not have a query or fragment, got {url!r}")
    if rate_limit is not None:
        _require_positive("rate_limit", rate_limit)
    if burst is not None and burst < 1:
        raise ConfigurationError(f"burst must be at least 1, got {burst}")
    if max_concurrency < 1:
        raise ConfigurationError(f"max_concurrency must be at least 1, got {max_concurrency}")
    if page_size < 1:
        raise ConfigurationError(f"page_size must be at least 1, got {page_size}")
    _require_positive("timeout", timeout)
    if cache_ttl is not None:
        _require_non_negative("cache_ttl", cache_ttl)
    if not isinstance(retry, RetryPolicy):
        raise ConfigurationError(f"retry must be a RetryPolicy, got {type(retry).__name__}")
    return ClientConfig(
        token=token,
        base_url=url,
        rate_limit=rate_limit,
        burst=burst,
        max_concurrency=max_concurrency,
        page_size=page_size,
        timeout=timeout,
        retry=retry,
        validate_sids=validate_sids,
        # 0 and None both mean "no cache"; keep one spelling downstream.
        cache_ttl=cache_ttl or None,
    )


def _require_positive(name: str, value: float) -> None:
    if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
        raise ConfigurationError(f"{name} must be a positive number, got {value!r}")


def _require_non_negative(name: str, value: float) -> None:
    if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
        raise ConfigurationError(f"{name} must be a number >= 0, got {value!r}")
