"""One report of the dashboard fetched through the body cache, or the error it met.

A report that fails becomes a :class:`Loaded` holding a one-line error (the SDK's
messages never hold the token), so the page shows an error box in its place and the
rest of the page renders. Failures are not cached: the next page load asks again.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

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

    async def fetch() -> bytes:
        # cache=False: the dashboard's cache is the one that knows each body's age.
        answer = await spec.fetch(reports, cache=False)
        body = [r.to_dict() for r in answer] if isinstance(answer, list) else answer.to_dict()
        return json.dumps({"fetched": _now().isoformat(), "body": body}).encode()

    try:
        raw = await cache.get(key, fetch)
        stored = json.loads(raw)
        return Loaded(spec.name, stored["body"], datetime.fromisoformat(stored["fetched"]))
    except SmarterProctoringError as error:
        return Loaded(spec.name, error=f"{type(error).__name__}: {error}")
    except Exception as error:  # a bug or a corrupt cached body: this panel only
        logger.exception("dashboard: the %s report failed", spec.name)
        return Loaded(spec.name, error=f"unexpected {type(error).__name__} (see the log)")
