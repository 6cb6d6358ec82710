"""Client configuration: validated once at construction, frozen afterwards."""

from __future__ import annotations

import ipaddress
import math
import os
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

from ._headers import merged
from ._page_size import PageSizeSetting
from ._token_source import TokenSource, checked_token
from ._walk import OnShortList
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
    than sleeping for it, and holds back every request of that limiter for as long
    as the server asked (they fail at once with the same error instead of being sent).
    ``deadline`` caps the time spent on one request, rate-limiter waits, pauses and
    retries included: no attempt or wait starts that could not end before it, and
    the call raises :class:`~smarterproctoring_async.errors.TimeoutError` when it is
    reached (``None``: no cap beyond the attempts).
    """

    max_attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0
    deadline: float | None = None

    def __post_init__(self) -> None:
        _require_count("max_attempts", self.max_attempts)
        for name in ("base_delay", "max_delay", "max_retry_after"):
            _require_non_negative(name, getattr(self, name))
        if self.deadline is not None:
            _require_positive("deadline", self.deadline)


@dataclass(frozen=True)
class ClientConfig:
    """Every client setting after defaults and environment fallbacks were applied."""

    #: The token, or its provider; shared by a client and its views (never shown).
    tokens: TokenSource = field(repr=False, compare=False)
    base_url: str
    rate_limit: float | None
    burst: int | None
    max_concurrency: int
    page_size: PageSizeSetting
    timeout: float
    retry: RetryPolicy
    validate_sids: bool
    cache_ttl: float | None = None
    max_response_bytes: int = 64 * 2**20
    proxy: str | None = field(default=None, repr=False)  # may hold the proxy's password
    trust_env: bool = False
    ssl: ssl.SSLContext | None = None
    on_short_list: OnShortList = "raise"
    #: Extra request headers of a view (``with_options(headers=...)``), checked.
    headers: Mapping[str, str] = field(default_factory=dict)


def make_config(
    token: object,
    *,
    base_url: str | None,
    rate_limit: float | None,
    burst: int | None,
    max_concurrency: int,
    page_size: PageSizeSetting,
    timeout: float,
    retry: RetryPolicy,
    validate_sids: bool,
    cache_ttl: float | None = None,
    max_response_bytes: int = 64 * 2**20,
    proxy: str | None = None,
    trust_env: bool = False,
    ssl_context: ssl.SSLContext | None = None,
    allow_insecure_http: bool = False,
    on_short_list: OnShortList = "raise",
    environ: Mapping[str, str] = os.environ,
) -> ClientConfig:
    """Apply environment fallbacks and check every value, raising before any I/O.

    No message repeats the token, and none repeats a base URL that may hold a secret.
    """
    # Before the URL check: allow_insecure_http="false" must not pass as truthy there.
    _require_bool("validate_sids", validate_sids)
    _require_bool("trust_env", trust_env)
    _require_bool("allow_insecure_http", allow_insecure_http)
    tokens = _token_source(token if token is not None else environ.get(TOKEN_ENV))
    url = _base_url(base_url or environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL, allow_insecure_http)
    if rate_limit is not None:
        _require_positive("rate_limit", rate_limit)
    if burst is not None:
        _require_count("burst", burst)
    _require_count("max_concurrency", max_concurrency)
    if page_size != "auto":
        try:
            _require_count("page_size", page_size)
        except ConfigurationError:
            raise ConfigurationError(
                f"page_size must be a positive int or 'auto', got {_kind(page_size)}"
            ) from None
    _require_count("max_response_bytes", max_response_bytes)
    _require_positive("timeout", timeout)
    if cache_ttl is not None:
        _require_non_negative("cache_ttl", cache_ttl)
    if not isinstance(retry, RetryPolicy):
        raise ConfigurationError(f"retry must be a RetryPolicy, got {type(retry).__name__}")
    if proxy is not None and not (
        isinstance(proxy, str) and urlsplit(proxy).scheme in ("http", "https")
    ):
        raise ConfigurationError("proxy must be an http:// or https:// URL")
    if ssl_context is not None and not isinstance(ssl_context, ssl.SSLContext):
        raise ConfigurationError(f"ssl must be an ssl.SSLContext, got {type(ssl_context).__name__}")
    _require_on_short_list(on_short_list)
    return ClientConfig(
        tokens=tokens,
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
        max_response_bytes=max_response_bytes,
        proxy=proxy,
        trust_env=trust_env,
        ssl=ssl_context,
        on_short_list=on_short_list,
    )


def override(
    config: ClientConfig,
    *,
    timeout: float | None = None,
    retry: RetryPolicy | None = None,
    on_short_list: OnShortList | None = None,
    headers: Mapping[str, str] | None = None,
) -> ClientConfig:
    """``config`` with another timeout, retry policy, ``on_short_list`` and/or extra
    headers (added to the config's own), checked as at construction."""
    if timeout is not None:
        _require_positive("timeout", timeout)
    if retry is not None and not isinstance(retry, RetryPolicy):
        raise ConfigurationError(f"retry must be a RetryPolicy, got {type(retry).__name__}")
    if on_short_list is not None:
        _require_on_short_list(on_short_list)
    return replace(
        config,
        timeout=config.timeout if timeout is None else timeout,
        retry=config.retry if retry is None else retry,
        on_short_list=config.on_short_list if on_short_list is None else on_short_list,
        headers=config.headers if headers is None else merged(config.headers, headers),
    )


def _base_url(url: str, allow_insecure_http: bool) -> str:
    """The checked base URL, without a trailing slash.

    Messages never repeat the URL: it may carry a password or a token.
    """
    if not isinstance(url, str):
        raise ConfigurationError(f"base_url must be a str, got {type(url).__name__}")
    url = url.rstrip("/")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise ConfigurationError("base_url is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError("base_url must be an http(s) URL with a host")
    if parts.username is not None or parts.password is not None:
        raise ConfigurationError(
            "base_url must not carry a user name or password; the API token is the credential"
        )
    if parts.query or parts.fragment:
        raise ConfigurationError("base_url must not have a query or fragment")
    if parts.scheme == "http" and not (allow_insecure_http or _is_loopback(parts.hostname)):
        raise ConfigurationError(
            "base_url uses plain http to a remote host, which would send the token in clear "
            "text; use https, or pass allow_insecure_http=True if you really mean it"
        )
    return url


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _token_source(token: object) -> TokenSource:
    """A fixed token, checked now, or a provider (asked at the first request)."""
    if token is None or (isinstance(token, str) and not token.strip()):
        raise ConfigurationError(
            f"no API token: pass Client(token=...) or set the {TOKEN_ENV} environment variable"
        )
    if callable(token):
        return TokenSource(None, token)
    return TokenSource(checked_token(token, ""))


def _require_on_short_list(value: object) -> None:
    if not (isinstance(value, str) and value in ("raise", "warn")):
        shown = repr(value)[:20] if isinstance(value, str) else _kind(value)
        raise ConfigurationError(f"on_short_list must be 'raise' or 'warn', got {shown}")


def _require_bool(name: str, value: object) -> None:
    # Only a real bool: the string "false" is truthy, and would turn a guard off.
    if not isinstance(value, bool):
        raise ConfigurationError(f"{name} must be True or False, got {type(value).__name__}")


def require_limiter(value: object) -> None:
    """Refuse a ``rate_limiter`` without the methods the transport calls on one.

    Those are the methods of :class:`~smarterproctoring_async._ratelimit.Limiter`
    (``acquire``, ``wait_if_paused``, ``pause``, ``slow_down``); checked here so a
    wrong object fails at construction rather than as an ``AttributeError`` at the
    first request.
    """
    missing = [n for n in _LIMITER_METHODS if not callable(getattr(value, n, None))]
    if missing:
        raise ConfigurationError(
            f"rate_limiter must be a RateLimiter, a RedisRateLimiter or an object with "
            f"their methods; {type(value).__name__} lacks {', '.join(missing)}"
        )


_LIMITER_METHODS = ("acquire", "wait_if_paused", "pause", "slow_down")


def _require_count(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigurationError(f"{name} must be a positive int, got {_kind(value)}")


def _require_positive(name: str, value: object) -> None:
    if not (_is_number(value) and value > 0):  # type: ignore[operator]
        raise ConfigurationError(f"{name} must be a positive number, got {_kind(value)}")


def _require_non_negative(name: str, value: object) -> None:
    if not (_is_number(value) and value >= 0):  # type: ignore[operator]
        raise ConfigurationError(f"{name} must be a number >= 0, got {_kind(value)}")


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _kind(value: object) -> str:
    """A short description of a refused value: numbers as they are, anything else by type."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return repr(value)[:20]
    return type(value).__name__
