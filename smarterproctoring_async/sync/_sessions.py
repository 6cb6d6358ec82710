"""What fetching one session's results means: details, events and annotations at once."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, Literal

from .._secrets import hide
from ..errors import raise_alone
from ..models import ExamSession, SessionResult
from ..resources._failures import all_of, is_fatal, unwrap
from ..resources.session import Session, is_reviewed

__all__ = ["fetch_session_result", "is_fatal", "left_out"]

_log = logging.getLogger("smarterproctoring_async")

#: The statuses the API documents (SPEC), compared as ``is_terminal`` compares them.
DOCUMENTED_STATUSES = frozenset(
    {"needs proctor", "scheduled", "cancelled", "in progress", "in-progress", "closed"}
)
#: Statuses already said to be unknown (bounded: a server inventing one per session
#: cannot grow it without end).
_SAID: set[str | None] = set()


def left_out(details: ExamSession, only_terminal: bool | Literal["reviewed"]) -> bool:
    """Whether ``only_terminal`` leaves a session out, by its details.

    A status the API does not document (``Canceled``), or none at all, cannot be
    judged: the session is left out as not terminal, and said once per status (a
    WARNING), so that a spelling the SDK does not know never silently hides sessions.
    """
    if not only_terminal:
        return False
    if details.is_terminal:
        return only_terminal == "reviewed" and not is_reviewed(details)
    status = details.status
    key = None if status is None else status.strip().lower()
    if key not in DOCUMENTED_STATUSES and key not in _SAID and len(_SAID) < 100:
        _SAID.add(key)
        _log.warning(
            "session %s: %s, which the API does not document, is taken as not terminal "
            "(skipped); ask without only_terminal to read such sessions",
            details.sid, "no status" if not key else f"status {hide(status or '')[:40]!r}",
        )  # fmt: skip
    return True


async def fetch_session_result(
    session: Session,
    *,
    details: bool = True,
    events: bool = True,
    annotations: bool = True,
    only_terminal: bool | Literal["reviewed"] = False,
) -> SessionResult:
    """One session's results; a failure confined to it is returned in ``error``.

    Any other exception, whatever its type, stays confined to this session. Fatal
    errors (see :func:`is_fatal`) are raised instead. With ``only_terminal`` the
    details are read first, and a session that is not Closed or Cancelled (with
    ``"reviewed"``: or whose review is not over) is returned as skipped without
    fetching more.
    """
    ref = session.ref
    try:
        if details and not (events or annotations or only_terminal):
            # One request and nothing to run beside it: no fetcher table, no task.
            return SessionResult(ref=ref, session=await session.get())
        found = await session.get() if only_terminal else None
        if found is not None and left_out(found, only_terminal):
            return SessionResult(ref=ref, session=found, skipped=True)
        fetchers: dict[str, Callable[[], Awaitable[Any]]] = {}
        if details and found is None:
            fetchers["session"] = session.get
        if events:
            fetchers["events"] = session.events().collect
        if annotations:
            fetchers["annotations"] = session.annotations().collect
        got = await _all(fetchers)
    except Exception as raised:
        error = unwrap(raised)
        if is_fatal(error):
            raise_alone(error)
        return SessionResult(ref=ref, error=error)
    return SessionResult(
        ref=ref,
        session=got.get("session", found if details else None),
        events=tuple(got["events"]) if events else None,
        annotations=tuple(got["annotations"]) if annotations else None,
    )


async def _all(fetchers: dict[str, Callable[[], Awaitable[Any]]]) -> dict[str, Any]:
    """Run the fetchers concurrently; the first error cancels the rest and is raised."""
    if len(fetchers) == 1:  # nothing to run beside it: no task
        ((name, fetch),) = fetchers.items()
        return {name: await fetch()}
    return await all_of(fetchers)
