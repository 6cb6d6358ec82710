"""What an error answer says, read from any of the bodies the API's framework sends.

No I/O. The reference documents no error body (SPEC §0.6); the API maker's public
sister server (the same hapi + joi code base) settles the shapes:

- its error module: ``{"code": "4000", "message": ..., "status": 400, "more_info": ...}``,
  the code a numeric string (sometimes a number);
- hapi's Boom: ``{"statusCode": 400, "error": "Bad Request", "message": ...,
  "validation": {"source": "query", "keys": ["limit"]}}``;
- a thrown error copied into the body, database driver errors included
  (``{"name": "SequelizeDatabaseError", "message": ...}``), under status 400;
- the guide's names (``{"code": "INVALIDINPUT", ...}``), and a nested
  ``{"error": {"code": ..., "message": ...}}`` or ``{"err": ...}`` for good measure.

:func:`server_failure` holds the one table of the 400s that report the server's own
failure rather than the request's (README, "Guarantees").
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

from ._secrets import hide

__all__ = [
    "ERROR_BODY_PREFIX",
    "MESSAGE_CHARS",
    "ErrorBody",
    "read_error_body",
    "scrub",
    "server_failure",
]

#: How much of an error body is looked at: enough for any real error message, and a
#: bound on the work a hostile body can cause.
ERROR_BODY_PREFIX = 64 * 1024
#: How much of the server's text an error message keeps.
MESSAGE_CHARS = 200
_MAX_PARAMETERS = 16


@dataclass(frozen=True)
class ErrorBody:
    """The parts of an error body the SDK acts on, scrubbed of the token and clipped."""

    code: str | None = None
    message: str = ""
    parameters: tuple[str, ...] = ()
    #: The name of an error object copied into the body (``SequelizeDatabaseError``).
    name: str | None = None
    #: hapi's own answer (Boom: ``statusCode`` and ``error``), not the application's.
    framework: bool = False


def scrub(text: str, secret: str | None) -> str:
    """``text`` with every occurrence of ``secret`` replaced by ``[token]``, and every
    token of a live client too (``_secrets``), before anything cuts it short."""
    return hide(text.replace(secret, "[token]") if secret else text)


def read_error_body(body: bytes, secret: str | None = None) -> ErrorBody:
    """Read an error body of any shape; what cannot be read becomes the message text.

    Only the first :data:`ERROR_BODY_PREFIX` bytes are read, in linear time, and
    ``secret`` is scrubbed before anything is cut short, so no fragment survives a cut.
    """
    text = scrub(body[:ERROR_BODY_PREFIX].decode("utf-8", "replace"), secret).strip()
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        # A JSON body cut at the prefix (a huge more_info, a long message) still says
        # its code and message near the start.
        data = _fields_of_cut_json(text)
    if not isinstance(data, dict):
        return ErrorBody(message=_clip(_html_title(text) or text))
    nested = data.get("error")
    if isinstance(nested, dict):
        # {"error": {"code", "message"}}: the inner object is the error.
        data = {**data, **nested}
    code = _code(data)
    message = next(
        (data[k] for k in ("message", "err", "detail", "description") if _is_text(data.get(k))),
        "",
    )
    if not message and _is_text(data.get("error")):
        message = data["error"]  # Boom without a message: its reason phrase
    name = data.get("name")
    return ErrorBody(
        code=_clip(scrub(code, secret), 64) if code else None,
        message=_clip(scrub(message, secret)),
        # Each scrubbed as parsed too: an escape (\" or \u0041) hides the token from
        # the scrub of the raw text.
        parameters=_parameters(data.get("validation"), secret),
        name=_clip(scrub(name, secret), 64) if isinstance(name, str) and name.strip() else None,
        framework="statusCode" in data and "error" in data,
    )


#: ``"key": "string"`` or ``"key": number`` near the start of a cut JSON object; bounded
#: quantifiers keep the search linear.
_CUT_FIELD = re.compile(
    r'"(code|message|name|status)"\s{0,8}:\s{0,8}'
    r'(?:"((?:[^"\\]|\\.){0,800})"|(-?[0-9]{1,12}))'
)


def _fields_of_cut_json(text: str) -> dict[str, object] | None:
    """The top-level string and number fields of a JSON object cut short, if it is one."""
    if not text.startswith("{"):
        return None
    found: dict[str, object] = {}
    for match in _CUT_FIELD.finditer(text, 0, 4096):
        key, string, number = match.groups()
        if key not in found:
            found[key] = _unescape(string) if string is not None else int(number)
    return found or None


def _unescape(text: str) -> str:
    try:
        value = json.loads(f'"{text}"')
    except ValueError:
        return text
    return value if isinstance(value, str) else text


def _code(data: Mapping[str, object]) -> str | None:
    """The error code as a string: numeric codes are kept (``4000`` -> ``"4000"``).

    Boom's ``"error"`` is a reason phrase ("Bad Request"), not a code.
    """
    for key in ("code", "errorCode"):
        value = data.get(key)
        if _is_text(value):
            return str(value).strip()
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
    return None


def _parameters(validation: object, secret: str | None) -> tuple[str, ...]:
    """Boom's ``validation.keys``: the parameters the server refused."""
    if not isinstance(validation, dict) or not isinstance(validation.get("keys"), list):
        return ()
    keys = [k for k in validation["keys"] if _is_text(k)][:_MAX_PARAMETERS]
    return tuple(_clip(scrub(k, secret), 64) for k in keys)


def _is_text(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _html_title(text: str) -> str | None:
    """The first ``<title>`` of an HTML page, found in linear time."""
    lowered = text.lower()
    start = lowered.find("<title>")
    if start < 0:
        return None
    start += len("<title>")
    end = lowered.find("</title>", start)
    return text[start:end] if end >= 0 else None


def _clip(text: str, limit: int = MESSAGE_CHARS) -> str:
    return " ".join(text[: limit * 4].split())[:limit]


#: (status, code) pairs that mean the server failed. Keyed on both: the same code can
#: mean something else under another status ("1208" is a database error under 400 and
#: a calendar not found under 404). The maker's error module: "6000" (DEFAULT,
#: "Internal error occurred"), "7000" (ERROR_NOT_LISTED: an error nobody gave a status,
#: its text copied), "1208" (DATABASE_ERROR). A thrown driver error copied whole keeps
#: its own code: PostgreSQL's SQLSTATE (query canceled by a statement timeout,
#: serialization failure, deadlock, too many connections, shutdown, connection
#: failures) or Node.js's socket errors.
_FAILURE_CODES = frozenset(
    (400, code)
    for code in (
        "6000", "7000", "1208", "INTERNALERROR",
        "57014", "40001", "40P01", "53300", "57P01", "57P02", "57P03",
        "08000", "08001", "08003", "08004", "08006",
        "ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "EAI_AGAIN",
    )
)  # fmt: skip
#: Phrasings of database, driver and runtime failures that reach the body as a
#: thrown error's message (PostgreSQL, node-postgres, Sequelize, Node.js); read only
#: when the body carries no code of its own.
_FAILURE_TEXT = re.compile(
    r"statement timeout|canceling statement|query read timeout|deadlock detected"
    r"|could not serialize access|too many clients|remaining connection slots"
    r"|connection terminated|terminating connection|database system is (starting|shutting)"
    r"|internal error occurred|database error occurred|timeout exceeded when trying to connect"
    r"|\bECONN(REFUSED|RESET)\b|\bETIMEDOUT\b|\bEPIPE\b|socket hang up"
    r"|cannot read propert(y|ies) of (undefined|null)|is not a function|is not defined",
    re.IGNORECASE,
)


def server_failure(status: int, error: ErrorBody) -> bool:
    """Whether a 400 body reports a failure of the server rather than of the request.

    By the code when the body has one (see ``_FAILURE_CODES``): a code of the request's
    fault (joi's ``"4000"``, ``INVALIDINPUT``) is never overruled by the words of its
    message, which may quote what the caller sent. Else an error object named by a
    database driver (``Sequelize…``), or, for a bare message that is not hapi's own
    answer (Boom, which only ever refuses the request), the words of a database,
    driver or runtime failure.
    """
    if status != 400 or error.parameters:
        return False
    if error.code is not None:
        return (status, error.code.upper()) in _FAILURE_CODES
    if error.name is not None and error.name.startswith("Sequelize"):
        return True
    return not error.framework and bool(_FAILURE_TEXT.search(error.message))
