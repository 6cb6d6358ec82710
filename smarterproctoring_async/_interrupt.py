"""What a user sees when a call of theirs is cancelled (the notebook's stop button, a
Ctrl-C, a timeout around the call): a ``CancelledError`` saying in one line which call
stopped, rather than anyio's ``Cancelled via cancel scope … by <Task …>`` that the
SDK's task groups put on the task, or an empty message at the end of a traceback
deep in aiohttp.

The replacement keeps the original as its ``__context__`` (not shown): anyio's
cancel scopes around the call (``move_on_after``, ``fail_after``) find their own
cancellation there (anyio 4.7 and later) and still end it, and asyncio's ``timeout``
looks only at the type.
A cancellation carrying the caller's own message (``task.cancel("why")``) keeps it, and
anything that is not asyncio's (trio's ``Cancelled``) is left as it is.
"""

from __future__ import annotations

import asyncio
from typing import NoReturn

__all__ = ["raise_plainly"]

#: anyio's messages (before 4.11, "by"): never the caller's own words.
_ANYIO = ("Cancelled via cancel scope ", "Cancelled by cancel scope ")


def plain_cancellation(exc: BaseException, what: str) -> asyncio.CancelledError | None:
    """The ``CancelledError`` to raise instead of ``exc`` (from ``None``), else ``None``."""
    if not isinstance(exc, asyncio.CancelledError):
        return None
    found: BaseException | None = exc
    while isinstance(found, asyncio.CancelledError):
        message = found.args[0] if found.args else None
        if message and not (isinstance(message, str) and message.startswith(_ANYIO)):
            # The canceller's own words (task.cancel("why")), wherever anyio put them.
            return None if found is exc else asyncio.CancelledError(*found.args)
        found = found.__context__
    return asyncio.CancelledError(f"{what} was cancelled (interrupted or timed out)")


def raise_plainly(exc: asyncio.CancelledError, what: str) -> NoReturn:
    """Raise :func:`plain_cancellation`'s replacement of ``exc``, or ``exc`` itself."""
    plain = plain_cancellation(exc, what)
    if plain is None:
        raise exc
    raise plain from None
