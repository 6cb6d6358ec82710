"""The wire protocol without I/O: paths, queries, statuses, headers and envelopes.

Everything here is a pure function, so it is tested without an event loop or a server.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from email.utils import parsedate_to_datetime
from typing import TypeAlias
from urllib.parse import quote, urljoin, urlsplit

from .errors import (
    InvalidFilterError,
    InvalidSidError,
    RedirectError,
)

# The 2-letter prefix of each SID kind, keyed by the path parameter names the API uses.
SID_PREFIXES: Mapping[str, str] = {
    "installSid": "AI",
    "examSid": "EX",
    "sessionSid": "ES",
    "enrollmentSid": "EN",
    "courseSid": "CU",
    "courseOfferingSid": "CO",
    "offeringSid": "CO",
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
    parts = _route_parts(template)
    filled = [parts[0]]
    for index in range(1, len(parts), 2):
        name = parts[index]
        sid = check_sid(name, sids[name], validate=validate)
        # A validated SID is hex after its prefix: nothing in it needs quoting.
        if not (validate and name in SID_PREFIXES):
            sid = quote(sid, safe="")
        filled += (sid, parts[index + 1])
    return "".join(filled)


def path_sids(template: str, path: str) -> dict[str, str]:
    """The SIDs ``path`` fills ``template``'s placeholders with (``{}`` if it does not
    match: a redirect or a hand-made path)."""
    found = _route_pattern(template).fullmatch(path)
    return {} if found is None else found.groupdict()


@functools.lru_cache(maxsize=256)
def _route_pattern(template: str) -> re.Pattern[str]:
    parts = _route_parts(template)
    pattern = "".join(
        re.escape(part) if index % 2 == 0 else f"(?P<{part}>[^/]+)"
        for index, part in enumerate(parts)
    )
    return re.compile(pattern)


@functools.lru_cache(maxsize=256)
def _route_parts(template: str) -> list[str]:
    """``template`` split at its placeholders: literal, name, literal, name, ..., literal."""
    return _PLACEHOLDER.split(template)


def format_datetime(value: datetime | date, *, name: str = "value") -> str:
    """ISO-8601 in UTC with a ``Z``, as the API's date filters require.

    Naive datetimes are refused: guessing their zone would shift every filter.
    A plain date means midnight UTC of that day. The year always has four digits.
    """
    utc = utc_instant(value, name=name)
    # Not strftime("%Y"): glibc does not pad years below 1000 ("5-01-01...").
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T"
        f"{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}.{utc.microsecond // 1000:03d}Z"
    )


def utc_instant(value: datetime | date, *, name: str = "value") -> datetime:
    """The aware UTC datetime ``value`` names (a plain date: midnight UTC of that day).

    Raises :class:`InvalidFilterError` naming ``name`` for a naive datetime or one
    that falls outside the years 1 to 9999 once moved to UTC.
    """
    if not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidFilterError(
            f"{name} is a naive datetime; give it a timezone (e.g. tzinfo=timezone.utc)"
        )
    try:
        return value.astimezone(timezone.utc)
    except OverflowError:
        # datetime.max west of UTC (or datetime.min east of it) has no UTC equivalent.
        raise InvalidFilterError(
            f"{name} is out of range once converted to UTC (years 1 to 9999): {value.isoformat()}"
        ) from None


def encode_query(params: Mapping[str, QueryValue]) -> QueryPairs:
    """Turn keyword values into query pairs: lists repeat the key, ``None`` is left out;
    an empty list is refused (sent as no pair at all, it would ask for everything)."""
    pairs: list[tuple[str, str]] = []
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, (list, tuple)):
            if not value:
                raise InvalidFilterError(f"{key} is an empty list; leave it out instead")
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


def redirect_target(current_url: str, location: str | None) -> str:
    """The URL to follow a redirect to, if it is safe to send the token there.

    Only the same origin (scheme, host and port) is followed, plus the upgrade from
    http to https on the same host between the default ports (80 to 443); anything
    else, including a Location that is not a valid URL, raises :class:`RedirectError`.
    """
    if not location:
        raise RedirectError(0, None, "redirect without a Location header", path="")
    try:
        target = urljoin(current_url, location)
        old, new = urlsplit(current_url), urlsplit(target)
        before = (old.scheme, old.hostname, old.port or _default_port(old.scheme))
        after = (new.scheme, new.hostname, new.port or _default_port(new.scheme))
    except ValueError:
        raise RedirectError(0, None, "refused a redirect to an invalid URL", path="") from None
    upgrade = before == ("http", after[1], 80) and after[0::2] == ("https", 443)
    if before != after and not upgrade:
        where = f"{after[0]}://{after[1]}" + (f":{after[2]}" if after[2] else "")
        raise RedirectError(0, None, f"refused to follow a redirect to {where}", path="")
    return target


def _default_port(scheme: str) -> int | None:
    return {"http": 80, "https": 443}.get(scheme)


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


def ensure_items(values: Iterable[str] | str) -> list[str]:
    """One value or several, as a list (array filters accept either)."""
    return [values] if isinstance(values, str) else list(values)


def check_choice(name: str, value: str, allowed: Sequence[str]) -> str:
    """``value`` if it is one of the API's enum values for ``name`` (exact spelling)."""
    if value not in allowed:
        choices = ", ".join(repr(a) for a in allowed)
        raise InvalidFilterError(f"{name} must be one of {choices}; got {value!r}")
    return value


#: Query parameters whose values are about paging, sorting or time, never a person.
_PLAIN_PARAMS = frozenset(
    {"offset", "limit", "sortOrder", "sortKeys", "sortBy", "type", "after", "before", "version"}
)
_PLAIN_SUFFIXES = ("Sid", "Sids", "Status", "Date", "Start", "End", "After", "Before")


def loggable_query(query: QueryPairs) -> str:
    """The query string for a log line: every name, but values only where no person shows.

    Offsets, limits, SIDs, statuses, dates and sort options keep their values; names,
    e-mail addresses, titles and any other text become ``***``.
    """
    shown = []
    for name, value in query:
        plain = (
            name in _PLAIN_PARAMS
            or name.endswith(_PLAIN_SUFFIXES)
            or name.startswith("include")
            or name == "status"
        )
        shown.append(f"{name}={quote(value, safe=':') if plain else '***'}")
    return "&".join(shown)


@dataclass(frozen=True)
class Request:
    """One API request, described once and passed down: method, path and encoded query.

    Built by the handle that knows the endpoint (path filled with checked SIDs, query
    encoded by the filter table), and read, never rebuilt, by the paginator, the
    cache (it is the key) and the transport.
    """

    method: str
    path: str
    query: QueryPairs = ()
    #: The route template the path was filled from (what logs, stats and spans name,
    #: never the SIDs); not part of the request's identity.
    route: str = field(default="", compare=False)
    #: The route takes ``groupBy``, so a page's ``results`` may be an object of groups
    #: (see ``_envelope``); a fact of the route, like ``route``, not of the identity.
    grouped: bool = field(default=False, compare=False)

    def page(self, offset: int, limit: int) -> Request:
        """The same request for one page: ``offset`` and ``limit`` appended."""
        return Request(
            self.method,
            self.path,
            (*self.query, ("offset", str(offset)), ("limit", str(limit))),
            self.route,
            self.grouped,
        )
