"""One report of the dashboard fetched through the body cache, or the error it met.

A report that fails becomes a :class:`Loaded` holding a one-line error (the SDK's
messages never hold the token), so the page shows an error box in its place and the
rest of the page renders. Failures are not cached: the next page load asks again.
A cached body that cannot be read (a shared Redis holds what another program or
version wrote there) is dropped and the report fetched again, once, with a warning:
it would otherwise break its panel until it expired.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from .._json import record_json, standard_json
from ..errors import SmarterProctoringError

if TYPE_CHECKING:
    from ..resources.report_registry import ReportSpec
    from ..resources.reports import Reports
    from ._body_cache import BodyCache

__all__ = ["Loaded", "load"]

logger = logging.getLogger("smarterproctoring_async.dashboard")


@dataclass(frozen=True)
class Loaded:
    """A report's body (its rows as the wire holds them, or its one object) and when it
    was fetched; or ``error``, one line saying why it could not be."""

    name: str
    body: Any = None
    fetched: datetime | None = None
    error: str | None = None


def _now() -> datetime:
    return datetime.now(timezone.utc)


async def load(spec: ReportSpec, reports: Reports, cache: BodyCache, key: str) -> Loaded:
    """``spec``'s report through ``cache`` under ``key``."""

    fetched = False

    async def fetch() -> bytes:
        nonlocal fetched
        fetched = True
        # cache=False: the dashboard's cache is the one that knows each body's age.
        answer = await spec.fetch(reports, cache=False)
        body = [r.to_dict() for r in answer] if isinstance(answer, list) else answer.to_dict()
        # Written and read as sent: a number beyond a double keeps its text.
        return record_json({"fetched": _now().isoformat(), "body": body}).encode()

    try:
        raw = await cache.get(key, fetch)
        try:
            return _read(spec.name, raw)
        except (ValueError, KeyError, TypeError) as error:
            if fetched:  # this dashboard's own body: a bug, not a stale entry
                raise
            logger.warning(
                "dashboard: the cached %s report could not be read (%s); fetching it again",
                spec.name,
                type(error).__name__,
            )
        await cache.forget(key)
        return _read(spec.name, await cache.get(key, fetch))
    except SmarterProctoringError as error:
        return Loaded(spec.name, error=f"{type(error).__name__}: {error}")
    except Exception as error:  # a bug, or a body unreadable even when fresh: this panel only
        logger.exception("dashboard: the %s report failed", spec.name)
        return Loaded(spec.name, error=f"unexpected {type(error).__name__} (see the log)")


def _read(name: str, raw: bytes) -> Loaded:
    """A stored body: ``{"fetched": <ISO date>, "body": <rows or object>}``."""
    stored = standard_json(raw)
    fetched = datetime.fromisoformat(stored["fetched"])
    if fetched.tzinfo is None:
        raise ValueError("the fetch time has no time zone")
    return Loaded(name, stored["body"], fetched)
