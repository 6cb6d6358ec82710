"""The tokens this process has been given, hidden from every message the SDK makes.

A server can put the token anywhere in what it sends: an error body (read by
``_error_body``, which scrubs its own fields), but also a field name, a status, a
redirect's host or any value a message quotes. Rather than trust every such message
to be scrubbed where it is made, each error of the SDK (``errors``) and each record of
its logger pass here: every token seen by :func:`remember` is replaced by ``[token]``,
as written and as Python or JSON would quote it. The newest :data:`KEPT` tokens are
kept, in memory only (a client already holds its own).
"""

from __future__ import annotations

import json
import logging
from collections import deque

__all__ = ["KEPT", "SHORTEST", "hide", "remember"]

#: How many tokens are kept (a provider rotating for days keeps only its latest).
KEPT = 64
#: Shorter "tokens" (a test's ``"t"``) are no credential, and hiding them would mask
#: ordinary words in every message; an error body still scrubs them (``_error_body``).
SHORTEST = 8
#: Each token with the forms a message may quote it in, newest last.
_FORMS: deque[tuple[str, ...]] = deque(maxlen=KEPT)
_MASK = "[token]"


def remember(token: str) -> None:
    """Hide ``token`` from every later message of the SDK (a no-op if already known, or
    shorter than :data:`SHORTEST`)."""
    if len(token) < SHORTEST:
        return
    forms = tuple(dict.fromkeys((token, repr(token)[1:-1], json.dumps(token)[1:-1])))
    if forms not in _FORMS:
        _FORMS.append(forms)


def hide(text: str) -> str:
    """``text`` with every known token replaced by ``[token]``."""
    for forms in _FORMS:
        for form in forms:
            if form in text:
                text = text.replace(form, _MASK)
    return text


class _Hidden(logging.Filter):
    """Scrubs each record of the SDK's logger (its message formatted first)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _FORMS:
            message = record.getMessage()
            hidden = hide(message)
            if hidden != message:
                record.msg, record.args = hidden, None
        return True


logging.getLogger("smarterproctoring_async").addFilter(_Hidden())
