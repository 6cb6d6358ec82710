"""The tokens of the live clients, hidden from every message the SDK makes.

A server can put the token anywhere in what it sends: an error body (read by
``_error_body``, which scrubs it before cutting anything), but also a field name, a
status, a redirect's host or any value a message quotes. Rather than trust every such
message to be scrubbed where it is made, each error of the SDK (``errors``) and each
record of its loggers pass here: each token a live client holds, or held in its last
few renewals, is replaced by ``[token]``, as written and as Python or JSON would quote
it. A message that quotes server text cuts it only after :func:`hide` (a cut token is
no longer found whole).

The forms are counted by the token sources (clients sharing a token hold it once) and
read by :func:`hide` from a tuple replaced whole, so threads creating and dropping
clients never disturb a message being made in another.
"""

from __future__ import annotations

import json
import logging

__all__ = ["HELD", "SHORTEST", "forms", "hide", "show"]

#: Shorter "tokens" (a test's ``"t"``) are no credential, and hiding them would mask
#: ordinary words in every message; an error body still scrubs them (``_error_body``).
SHORTEST = 8
#: The tokens a client keeps hidden: its current one and those it renewed from.
HELD = 8
_MASK = "[token]"

_SHOWN: tuple[str, ...] = ()  # the forms, longest first (a form inside another after it)


def forms(token: str) -> tuple[str, ...]:
    """``token`` as written, as ``repr`` and as JSON quote it (none if too short)."""
    if len(token) < SHORTEST:
        return ()
    return tuple(dict.fromkeys((token, repr(token)[1:-1], json.dumps(token)[1:-1])))


def show(held: tuple[str, ...]) -> None:
    """Make ``held`` the forms :func:`hide` replaces (the token sources' count of them,
    kept in ``_token_source`` under a lock: this module stays free of threads)."""
    global _SHOWN
    _SHOWN = tuple(sorted(held, key=len, reverse=True))


def hide(text: str) -> str:
    """``text`` with every token of a live client replaced by ``[token]``."""
    for form in _SHOWN:  # one read of a tuple never changed in place
        if form in text:
            text = text.replace(form, _MASK)
    return text


class _Hidden(logging.Filter):
    """Scrubs each record of the SDK's loggers (its message formatted first)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _SHOWN:
            message = record.getMessage()
            hidden = hide(message)
            if hidden != message:
                record.msg, record.args = hidden, None
        return True


# A logger's filters do not see its children's records: each of the SDK's loggers.
for _name in ("", ".dashboard", ".store", ".redis_limiter"):
    logging.getLogger(f"smarterproctoring_async{_name}").addFilter(_Hidden())
