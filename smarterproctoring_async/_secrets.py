"""The tokens of the live clients, hidden from every message the SDK makes.

A server can put the token anywhere in what it sends: an error body (read by
``_error_body``, which scrubs it before cutting anything), but also a field name, a
status, a redirect's host or any value a message quotes. Rather than trust every such
message to be scrubbed where it is made, each error of the SDK (``errors``) and each
record of its loggers pass here: each token a live client holds, or held in its last
few renewals, is replaced by ``[token]``, as written and as Python or JSON would quote
it. A message that quotes server text cuts it only after :func:`hide` (a cut token is
no longer found whole).
"""

from __future__ import annotations

import json
import logging
import weakref
from collections import deque
from typing import Protocol

__all__ = ["HELD", "SHORTEST", "Holder", "forms", "hide", "watch"]

#: Shorter "tokens" (a test's ``"t"``) are no credential, and hiding them would mask
#: ordinary words in every message; an error body still scrubs them (``_error_body``).
SHORTEST = 8
#: The tokens a holder keeps hidden: its current one and those it renewed from.
HELD = 8
_MASK = "[token]"


class Holder(Protocol):
    """What holds tokens (a client's token source): the forms of each, newest last."""

    secret_forms: deque[tuple[str, ...]]


#: Every live holder: a client's tokens are hidden for as long as the client lives,
#: however many other clients the process makes.
_HOLDERS: weakref.WeakSet[Holder] = weakref.WeakSet()


def forms(token: str) -> tuple[str, ...]:
    """``token`` as written, as ``repr`` and as JSON quote it (none if too short)."""
    if len(token) < SHORTEST:
        return ()
    return tuple(dict.fromkeys((token, repr(token)[1:-1], json.dumps(token)[1:-1])))


def watch(holder: Holder) -> None:
    """Hide ``holder``'s tokens from every later message, for as long as it lives."""
    _HOLDERS.add(holder)


def hide(text: str) -> str:
    """``text`` with every token of a live holder replaced by ``[token]``."""
    for holder in list(_HOLDERS):
        for known in holder.secret_forms:
            for form in known:
                if form in text:
                    text = text.replace(form, _MASK)
    return text


class _Hidden(logging.Filter):
    """Scrubs each record of the SDK's loggers (its message formatted first)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _HOLDERS:
            message = record.getMessage()
            hidden = hide(message)
            if hidden != message:
                record.msg, record.args = hidden, None
        return True


# A logger's filters do not see its children's records: each of the SDK's loggers.
for _name in ("", ".dashboard", ".store", ".redis_limiter"):
    logging.getLogger(f"smarterproctoring_async{_name}").addFilter(_Hidden())
