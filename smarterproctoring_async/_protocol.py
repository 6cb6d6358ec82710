"""The wire protocol without I/O: paths, queries, statuses, headers and envelopes.

Everything here is a pure function, so it is tested without an event loop or a server.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from email.utils import parsedate_to_datetime
from typing import TypeAlias
from urllib.parse import quote, urljoin, urlsplit

from .errors import (
    APIError,
    AuthenticationError,
    DecodeError,
    InvalidFilterError,
    InvalidInputError,
    InvalidSidError,
    NotFoundError,
    RateLimitError,
    RedirectError,
    ServerError,
)

# The 2-letter prefix of each SID kind, keyed by the path parameter names the API uses.
SID_PREFIXES: Mapping[str, str] = {
    "installSid": "AI",
    "examSid": "EX",
    "sessionSid": "ES",
    "enrollmentSid": "EN",
    "courseSid": "CU",
    "courseOfferingSid": "CO",
    "eventReportSid": "ER",
    "eventSid": "ER",
    "eventTypeSid": "ET",
    "annotationSid": "AN",
    "userSid": "US",
    "instructorSid": "US",
    "learnerSid": "US",
    "examConfigurationSid": "EC",
    "reviewByUserSid": "PU",
}

_SID_BODY = re.compile(r"[a-f0-9]{32}")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")

RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
TERMINAL_STATUSES = frozenset({"closed", "cancelled"})

QueryScalar: TypeAlias = "str | int | float | bool | datetime | date"
QueryValue: TypeAlias = "QueryScalar | Sequence[QueryScalar] | None"
QueryPairs = tuple[tuple[str, str], ...]


def check_sid(name: str, value: object, *, validate: bool = True) -> str:
    """Return ``value`` if it is a well-formed SID for the path parameter ``name``.

    With ``validate`` the whole value must match ``^XX[a-f0-9]{32}$`` with the
    parameter's prefix. Without it any non-empty string passes, except ones that
    could change the path (``/``, ``..``) or carry control characters.
    """
    if not isinstance(value, str):
        raise InvalidSidError(f"{name} must be a str, got {type(value).__name__}")
    prefix = SID_PREFIXES.get(name)
    if validate and prefix is not None:
        if len(value) == 34 and value.startswith(prefix) and _SID_BODY.fullmatch(value, 2):
            return value
        raise InvalidSidError(
            f"{name} must be {prefix!r} followed by 32 lowercase hex digits, got {value!r}"
        )
    if not value or "/" in value or value in (".", "..") or not value.isprintable():
        raise InvalidSidError(f"{name} {value!r} cannot be placed in a URL path")
    return value


def build_path(template: str, sids: Mapping[str, str], *, validate: bool = True) -> str:
    """Fill a route template such as ``/v1/installs/{installSid}`` with checked SIDs."""

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        return quote(check_sid(name, sids[name], validate=validate), safe="")

    return _PLACEHOLDER.sub(fill, template)


def format_datetime(value: datetime | date, *, name: str = "value") -> str:
    """ISO-8601 in UTC with a ``Z``, as the API's date filters require.

    Naive datetimes are refused: guessing their zone would shift every filter.
    A plain date means midnight UTC of that day.
    """
    if not isinstance(value, datetime):
        return f"{value.isoformat()}T00:00:00.000Z"
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidFilterError(
            f"{name} is a naive datetime; give it a timezone (e.g. tzinfo=timezone.utc)"
        )
    utc = value.astimezone(timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def encode_query(params: Mapping[str, QueryValue]) -> QueryPairs:
    """Turn keyword values into query pairs: lists repeat the key, ``None`` is left out."""
    pairs: list[tuple[str, str]] = []
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, (list, tuple)):
            pairs.extend((key, _encode_scalar(key, item)) for item in value)
        else:
            pairs.append((key, _encode_scalar(key, value)))  # type: ignore[arg-type]
    return tuple(pairs)


def _encode_scalar(key: str, value: QueryScalar) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (datetime, date)):
        return format_datetime(value, name=key)
    if isinstance(value, (int, float, str)):
        return str(value)
    raise InvalidFilterError(f"{key}: cannot send a {type(value).__name__} as a query value")


def is_terminal(status: str | None) -> bool:
    """Whether a session status is final (Closed or Cancelled, in any letter case)."""
    return status is not None and status.strip().lower() in TERMINAL_STATUSES


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or HTTP-date), or ``None``."""
    if value is None:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = (when - now).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


_STATUS_ERRORS: Mapping[int, type[APIError]] = {
    400: InvalidInputError,
    401: AuthenticationError,
    403: AuthenticationError,
    404: NotFoundError,
    429: RateLimitError,
}


def error_for_status(
    status: int, body: bytes, *, method: str, path: str, retry_after: float | None = None
) -> APIError:
    """Build the typed error for an error status from whatever body the server sent."""
    code, message = _read_error_body(body)
    if status in _STATUS_ERRORS:
        cls = _STATUS_ERRORS[status]
    elif 500 <= status < 600:
        cls = ServerError
    elif 300 <= status < 400:
        cls = RedirectError
    else:
        cls = APIError
    error = cls(status, code, message or f"HTTP {status}", method=method, path=path)
    if isinstance(error, RateLimitError):
        error.retry_after = retry_after
    return error


_CODE_KEYS = ("code", "errorCode", "error")


def _read_error_body(body: bytes) -> tuple[str | None, str]:
    # The reference documents the code names but not where they sit in the body,
    # so look in the usual places and fall back to the start of the text.
    text = body.decode("utf-8", "replace").strip()
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        code = next((data[k] for k in _CODE_KEYS if isinstance(data.get(k), str)), None)
        message = next(
            (data[k] for k in ("message", "detail", "description") if isinstance(data.get(k), str)),
            "",
        )
        return code, message
    title = re.search(r"<title>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
    if title:
        return None, title.group(1).strip()[:200]
    return None, " ".join(text.split())[:200]


def redirect_target(current_url: str, location: str | None) -> str:
    """The URL to follow a redirect to, if it is safe to send the token there.

    Only the same host and port are followed, and never from https down to http;
    anything else raises :class:`RedirectError`.
    """
    if not location:
        raise RedirectError(0, None, "redirect without a Location header", path="")
    target = urljoin(current_url, location)
    old, new = urlsplit(current_url), urlsplit(target)
    same_origin = (old.hostname, old.port or _default_port(old.scheme)) == (
        new.hostname,
        new.port or _default_port(new.scheme),
    ) or (old.hostname == new.hostname and old.scheme == "http" and new.scheme == "https")
    if (
        not same_origin
        or new.scheme not in ("http", "https")
        or (old.scheme == "https" and new.scheme != "https")
    ):
        raise RedirectError(
            0, None, f"refused to follow a redirect to {new.scheme}://{new.hostname}", path=""
        )
    return target


def _default_port(scheme: str) -> int | None:
    return {"http": 80, "https": 443}.get(scheme)


@dataclass(frozen=True)
class Envelope:
    """One page as the server sent it: the raw records and the total, if given."""

    items: Sequence[object]
    total: int | None


def read_envelope(data: object) -> Envelope:
    """Read a paginated response: the documented envelope, or a bare JSON list."""
    if isinstance(data, list):
        # An endpoint that answers with a plain list is not paginated: all of it, at once.
        return Envelope(items=data, total=len(data))
    if not isinstance(data, dict):
        raise DecodeError(f"expected a page object, got {type(data).__name__}")
    items = data.get("results")
    if items is None:
        items = []
    if not isinstance(items, list):
        raise DecodeError(f"page field 'results' must be a list, got {type(items).__name__}")
    total = data.get("total")
    if total is not None:
        if isinstance(total, str) and total.isdigit():
            total = int(total)
        if isinstance(total, float) and total.is_integer():
            total = int(total)
        if not isinstance(total, int) or isinstance(total, bool) or total < 0:
            raise DecodeError(f"page field 'total' must be a count, got {total!r}")
    return Envelope(items=items, total=total)


def paired(name_start: str, name_end: str, value: object) -> dict[str, QueryValue]:
    """Split a ``(start, end)`` range argument into the API's two required names."""
    if value is None:
        return {}
    if not (isinstance(value, (tuple, list)) and len(value) == 2):
        raise InvalidFilterError(
            f"give {name_start}/{name_end} as one (start, end) pair; the API needs both ends"
        )
    start, end = value
    if start is None or end is None:
        raise InvalidFilterError(f"{name_start} and {name_end} must both be given")
    return {name_start: start, name_end: end}


def join_url(base_url: str, path: str) -> str:
    """The absolute URL of an API path under the configured base URL."""
    return base_url + path


def ensure_items(values: Iterable[str] | str) -> list[str]:
    """One value or several, as a list (array filters accept either)."""
    return [values] if isinstance(values, str) else list(values)


def check_choice(name: str, value: str, allowed: Sequence[str]) -> str:
    """``value`` if it is one of the API's enum values for ``name`` (exact spelling)."""
    if value not in allowed:
        choices = ", ".join(repr(a) for a in allowed)
        raise InvalidFilterError(f"{name} must be one of {choices}; got {value!r}")
    return value
