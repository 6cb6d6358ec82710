"""The fake's error answers: what went wrong (``ApiError``), told in one of two styles.

``"framework"`` (the default) answers the way the API maker's framework does (hapi 15,
joi and its ``error-response`` module, as its public sister server shows):

- bad query or path parameters: a Boom 400, ``{"statusCode": 400, "error": "Bad
  Request", "message": "child \\"limit\\" fails because [\\"limit\\" must be a number]",
  "validation": {"source": "query", "keys": ["limit"]}}`` (source ``params`` for a
  path parameter);
- an unknown SID: ``{"code": "1200", "message": "Data not found", "status": 404,
  "more_info": "https://www.smarterservices.com/errors/1200"}``;
- a missing, wrong, expired or revoked token, or a SID outside the token's scope:
  ``{"code": "5000", "message": "You are unauthorized to access or perform this action on
  this resource.", "status": 401}``;
- an unknown route (or method): Boom 404 ``{"statusCode": 404, "error": "Not Found",
  "message": "Not Found"}``; other statuses (5xx, 429, injected): Boom bodies, a 500
  saying only "An internal server error occurred".

``"named"`` answers like the fake did before: ``{"status", "code", "message"}`` with the
API guide's code names (403 ``AUTHENTICATIONFAILED``, 404 ``RESOURCENOTFOUND``, 400
``INVALIDINPUT``, 429 ``RATELIMITED``, ...).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

ERROR_STYLES = ("framework", "named")
"""The error styles a FakeAPI can answer in."""

UNAUTHORIZED_MESSAGE = "You are unauthorized to access or perform this action on this resource."
"""The message of the maker's UNAUTHORIZED error (code "5000")."""
MORE_INFO = "https://www.smarterservices.com/errors/"
"""Where an error module body's ``more_info`` points (the code appended)."""

CODES = {
    400: "INVALIDINPUT",
    401: "AUTHENTICATIONFAILED",
    403: "AUTHENTICATIONFAILED",
    404: "RESOURCENOTFOUND",
    405: "UNSUPPORTEDHTTPVERB",
    429: "RATELIMITED",
    500: "INTERNALERROR",
    502: "BADGATEWAY",
    503: "SERVICEUNAVAILABLE",
    504: "GATEWAYTIMEOUT",
}
"""The named style's codes: the guide's names (403 AUTHENTICATIONFAILED, not 401), plus
the sister API's names for the statuses the proctoring guide does not list."""

# kind -> (status in the named style, status in the framework style)
_STATUSES = {
    "invalid": (400, 400),
    "not_found": (404, 404),
    "unauthorized": (403, 401),
    "no_route": (404, 404),
    "method": (405, 404),  # hapi finds no route for another method: a plain 404
}


class ApiError(Exception):
    """An error answer, said once and rendered in the server's style by ``render``.

    ``kind`` is ``invalid``, ``not_found``, ``unauthorized``, ``no_route`` or
    ``method``; ``message`` is the plain text of the named style; ``keys`` and
    ``source`` name the refused parameters and where they were (``query`` or
    ``params``); ``detail`` is joi's message for them; ``body``, when given, is sent
    verbatim instead (a test's own refusal).
    """

    def __init__(
        self,
        kind: str,
        message: str,
        *,
        keys: Sequence[str] = (),
        source: str = "query",
        detail: str | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        if kind not in _STATUSES:
            raise ValueError(f"unknown error kind {kind!r}")
        self.kind = kind
        self.message = message
        self.keys = tuple(keys)
        self.source = source
        self.detail = detail
        self.body = body


def child_fails(key: str, reason: str) -> str:
    """joi's message for one refused key: ``child "limit" fails because ["limit" ...]``."""
    return f'child "{key}" fails because ["{key}" {reason}]'


def invalid(
    message: str, key: str | None = None, reason: str | None = None, source: str = "query"
) -> ApiError:
    """A 400 for parameter ``key``: joi's ``reason`` (e.g. "must be a number") for Boom."""
    detail = child_fails(key, reason) if key is not None and reason is not None else None
    keys = () if key is None else (key,)
    return ApiError("invalid", message, keys=keys, source=source, detail=detail)


def not_found(message: str) -> ApiError:
    """A 404 for an unknown SID."""
    return ApiError("not_found", message)


def unauthorized(message: str = "Authentication failed") -> ApiError:
    """A refused token: 401 ``"5000"`` (framework) or 403 ``AUTHENTICATIONFAILED`` (named)."""
    return ApiError("unauthorized", message)


def check_style(style: str) -> str:
    """``style`` if it is one of ``ERROR_STYLES``; else ValueError."""
    if style not in ERROR_STYLES:
        raise ValueError(f"error_style must be one of {ERROR_STYLES}, not {style!r}")
    return style


def boom(
    status: int, message: str | None = None, validation: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """A hapi Boom body; a 500 hides its message as Boom does."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Unknown"
    body: dict[str, Any] = {"statusCode": status, "error": phrase}
    if status == 500:
        body["message"] = "An internal server error occurred"
    elif message:
        body["message"] = message
    if validation is not None:
        body["validation"] = dict(validation)
    return body


def app_error(code: str, status: int, message: str, more_info: bool = False) -> dict[str, Any]:
    """A body of the maker's error module: a numeric-string code, message and status."""
    body: dict[str, Any] = {"code": code, "message": message, "status": status}
    if more_info:
        body["more_info"] = MORE_INFO + code
    return body


def named(status: int, message: str, code: str | None = None) -> dict[str, Any]:
    """A body of the named style; ``code`` defaults to the status's name."""
    return {"status": status, "code": code or CODES.get(status, "ERROR"), "message": message}


def status_body(status: int, message: str, style: str) -> dict[str, Any]:
    """An error body for a bare status (injected faults, rate limit) in ``style``."""
    return named(status, message) if style == "named" else boom(status, message)


def render(error: ApiError, style: str) -> tuple[int, dict[str, Any]]:
    """The status and body ``error`` answers with in ``style``."""
    named_status, status = _STATUSES[error.kind]
    if error.body is not None:
        return named_status if style == "named" else status, dict(error.body)
    if style == "named":
        return named_status, named(named_status, error.message)
    if error.kind == "invalid":
        validation = {"source": error.source, "keys": list(error.keys)} if error.keys else None
        return status, boom(400, error.detail or error.message, validation)
    if error.kind == "not_found":
        return status, app_error("1200", 404, "Data not found", more_info=True)
    if error.kind == "unauthorized":
        return status, app_error("5000", 401, UNAUTHORIZED_MESSAGE)
    return status, boom(404, "Not Found")


def limit_refused(max_limit: int, refusal: str | Mapping[str, Any] | None) -> ApiError:
    """The 400 refusing a ``limit`` over ``max_limit``.

    ``refusal`` (the ``limit_refusal`` knob) overrides it: a string is the message
    (``{max_limit}`` in it is replaced), still naming ``limit`` in Boom's ``validation``;
    a mapping is the exact JSON body sent.
    """
    plain = f"limit must be at most {max_limit}"
    if isinstance(refusal, Mapping):
        return ApiError("invalid", plain, keys=("limit",), body=refusal)
    if refusal is not None:
        text = refusal.replace("{max_limit}", str(max_limit))
        return ApiError("invalid", text, keys=("limit",), detail=text)
    return invalid(plain, "limit", f"must be less than or equal to {max_limit}")
