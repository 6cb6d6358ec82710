"""What fetching one session's results means: details, events and annotations at once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Literal

from ..errors import raise_alone
from ..models import SessionResult
from ..resources._failures import all_of, is_fatal, unwrap
from ..resources.session import Session, is_reviewed

__all__ = ["fetch_session_result", "is_fatal"]


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
        if found is not None and not (
            found.is_terminal and (only_terminal != "reviewed" or is_reviewed(found))
        ):
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
