"""Token utilities, and the escape hatch for GET routes the SDK does not wrap.

``client.get_json(path, **params)`` and ``client.paginate(path, **params)`` take a
route template such as ``"/v1/installs/{installSid}/reports/audit"``: placeholders
are filled from ``params`` and checked like every SID the SDK sends, the other
``params`` become the query (the API's own names, camelCase; lists repeat the key,
aware datetimes become ``...Z``). They go through the same rate limiter, retries,
bounds and pagination as the wrapped endpoints. They refuse the GET routes that
change state (``/v1/logout`` revokes the token; see :data:`STATE_CHANGING_ROUTES`).

The token utilities answer as the maker's authentication module does: ``/v1/check``
``{"validated": true, "token": {claims}}`` (and the check resets the token's sliding
expiry), ``/v1/ttl`` ``{"ttl": seconds}`` with -1 for "never expires" and -2 for
"gone".
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from .._endpoint import one_endpoint
from .._pagination import Paginator
from .._protocol import QueryValue, Request, build_path, encode_query
from ..errors import AuthenticationError, DecodeError, InvalidFilterError
from ..models import JSONValue, Record, decoder
from ..stats import route_key
from ._context import Context

__all__ = ["STATE_CHANGING_ROUTES", "check", "get_json", "paginate", "token_ttl"]

TOKEN_TTL = one_endpoint("/v1/ttl", Record)
TOKEN_CHECK = one_endpoint("/v1/check", Record)

#: GET routes of the maker's Swagger (2025-07) whose summary says they change state
#: ("Authentication logout", "Start Exam", "Create megaMeeting meetingRoom", ...):
#: the escape hatch refuses them. Placeholder names do not matter.
STATE_CHANGING_ROUTES = frozenset(
    {
        "/v1/logout",
        "/v1/installs/{}/reviewProcess",
        "/v1/media/users/{}/start",
        "/v1/installs/{}/exams/{}/sessions/{}/start",
        "/v2/installs/{}/exams/{}/sessions/{}/start",
        "/v1/installs/{}/exams/{}/sessions/{}/meetingRoom",
        "/v1/installs/{}/exams/{}/sessions/{}/hostSession",
    }
)

_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_ROUTE = re.compile(r"/v[12]/[A-Za-z0-9_{}/.-]*")
_TTL_NEVER, _TTL_GONE = -1, -2


async def token_ttl(context: Context) -> float | None:
    """Seconds the token has left (``/v1/ttl``); ``None`` when it never expires."""
    answer = await context.one(TOKEN_TTL, {})
    ttl = answer.extra.get("ttl")
    if isinstance(ttl, str) and ttl.strip().lstrip("-").isdigit():
        ttl = int(ttl)  # the framework's counts and numbers may come as digit strings
    if not isinstance(ttl, (int, float)) or isinstance(ttl, bool):
        raise DecodeError(f"GET /v1/ttl: expected {{'ttl': seconds}}, got {_keys(answer)}")
    if ttl == _TTL_NEVER:
        return None
    if ttl == _TTL_GONE:
        raise AuthenticationError(
            401, None, "the token no longer exists (ttl -2)", path="/v1/ttl", route="/v1/ttl"
        )
    if ttl < 0:
        raise DecodeError(f"GET /v1/ttl: a ttl of {ttl} means nothing documented")
    return float(ttl)


async def check(context: Context) -> Record:
    """``/v1/check``: the token's claims; a token that does not work raises
    :class:`~smarterproctoring_async.errors.AuthenticationError`."""
    answer = await context.one(TOKEN_CHECK, {})
    if answer.extra.get("validated") is not True:
        raise AuthenticationError(
            401, None, "the token check did not validate the token", path="/v1/check"
        )
    claims = answer.extra.get("token")
    if not isinstance(claims, dict):
        raise DecodeError(f"GET /v1/check: expected the token's claims, got {_keys(answer)}")
    return decoder(Record, {})(claims)


def _keys(answer: Record) -> str:
    return "fields " + ", ".join(repr(k) for k in list(answer.extra)[:8])


def _plain_segments(route: str) -> bool:
    """No empty, ``.`` or ``..`` segment (an HTTP stack may fold them into another path)."""
    segments = route.split("/")[1:]
    if segments and segments[-1] == "":
        segments.pop()  # one trailing slash
    return all(segment not in ("", ".", "..") for segment in segments)


def _refuse_state_change(route: str) -> None:
    if _changes_state(route):
        raise InvalidFilterError(
            f"{route} changes state on the server (it is not a report); "
            "the SDK only reads, so it does not send it"
        )


def _changes_state(route: str) -> bool:
    """Whether ``route`` (a template or a filled path) is a GET that changes state."""
    parts = _PLACEHOLDER.sub("{}", route).rstrip("/").split("/")
    for known in STATE_CHANGING_ROUTES:
        pattern = known.split("/")
        if len(pattern) == len(parts) and all(
            p == "{}" or p.lower() == q.lower() for p, q in zip(pattern, parts, strict=True)
        ):
            return True
    return False


def unwrapped_request(context: Context, route: str, params: dict[str, QueryValue]) -> Request:
    """The GET of an unwrapped route template, checked before any I/O."""
    if not isinstance(route, str) or not _ROUTE.fullmatch(route) or not _plain_segments(route):
        raise InvalidFilterError(
            "path must be an API route such as '/v1/installs/{installSid}/...' "
            "(letters, digits, '_', '-', '.', '/', and {placeholders}; no '.', '..' or "
            "empty segment)"
        )
    _refuse_state_change(route)
    names = _PLACEHOLDER.findall(route)
    missing = [name for name in names if not isinstance(params.get(name), str)]
    if missing:
        raise InvalidFilterError(f"{route}: give {', '.join(missing)} as a str")
    sids = {name: str(params.pop(name)) for name in names}
    path = build_path(route, sids, validate=context.config.validate_sids)
    # Filled in too: a placeholder that is not a SID may hold any word ("logout").
    _refuse_state_change(unquote(path))
    for paging in ("offset", "limit"):
        if paging in params:
            raise InvalidFilterError(f"{paging} belongs to the paginator; do not pass it")
    return Request("GET", path, encode_query(params), route_key(route))


async def get_json(context: Context, route: str, params: dict[str, QueryValue]) -> JSONValue:
    """The decoded JSON answer of an unwrapped GET route."""
    return await context.fetch(unwrapped_request(context, route, params))


def paginate(context: Context, route: str, params: dict[str, QueryValue]) -> Paginator[Record]:
    """Every record of an unwrapped list route, as generic records, page by page."""
    request = unwrapped_request(context, route, params)
    return context.paginate(request, decoder(Record, {}))
