"""Extra request headers of a view (``client.with_options(headers=...)``), checked once.

A header name is an HTTP token; a value is printable ASCII (no CR or LF, which would
let a value start a header of its own). Headers the SDK or the HTTP library own are
refused: the token has its own argument (and a provider), and framing headers such
as ``Host`` or ``Content-Length`` would make the request say something else than
what is sent. Messages name the header, never its value (it may be a secret).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from .errors import ConfigurationError

__all__ = ["RESERVED_HEADERS", "checked_headers", "merged"]

#: Lower-case names a view may not set.
RESERVED_HEADERS = frozenset(
    {
        "token",
        "authorization",
        "proxy-authorization",
        "host",
        "content-length",
        "content-type",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "proxy-connection",
        "upgrade",
        "te",
        "trailer",
        "expect",
        "accept-encoding",
        "cookie",
    }
)
_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,100}")
_MAX_VALUE = 4096
_MAX_HEADERS = 50


def checked_headers(headers: object) -> dict[str, str]:
    """``headers`` as a new dict, or ConfigurationError saying which one is refused."""
    if not isinstance(headers, Mapping):
        raise ConfigurationError(f"headers must be a mapping, got {type(headers).__name__}")
    if len(headers) > _MAX_HEADERS:
        raise ConfigurationError(f"at most {_MAX_HEADERS} extra headers")
    found: dict[str, str] = {}
    seen: set[str] = set()
    for name, value in headers.items():
        if not (isinstance(name, str) and _NAME.fullmatch(name)):
            shown = type(name).__name__ if not isinstance(name, str) else "a name"
            raise ConfigurationError(
                f"header names must be HTTP tokens (letters, digits, -_.!#$%&'*+^`|~), got {shown}"
            )
        lower = name.lower()
        if lower in RESERVED_HEADERS:
            hint = " (pass Client(token=...))" if lower in ("token", "authorization") else ""
            raise ConfigurationError(f"header {name!r} is set by the SDK, not by a view{hint}")
        if lower in seen:
            raise ConfigurationError(f"header {name!r} is given twice (names ignore case)")
        seen.add(lower)
        if not isinstance(value, str):
            raise ConfigurationError(
                f"header {name!r} must have a str value, got {type(value).__name__}"
            )
        if not (value.isascii() and value.isprintable()) or len(value) > _MAX_VALUE:
            raise ConfigurationError(
                f"header {name!r}: a value must be printable ASCII (no CR, LF or control "
                f"character), at most {_MAX_VALUE} characters"
            )
        found[name] = value
    return found


def merged(base: Mapping[str, str], extra: object) -> dict[str, str]:
    """``base`` with the checked ``extra`` headers added; a name given again (in any case)
    replaces the earlier value."""
    added = checked_headers(extra)
    names = {name.lower() for name in added}
    kept = {name: value for name, value in base.items() if name.lower() not in names}
    return {**kept, **added}
