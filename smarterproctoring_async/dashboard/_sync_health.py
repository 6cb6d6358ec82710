"""The store's sync health: its run log (``runs``) and session count for one install.

Read with the store's public methods (``Store.rows("runs")``, ``Store.counts``) on
each page load: a local database read, not an API request, so it is not cached.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ..errors import SmarterProctoringError

if TYPE_CHECKING:
    from ..store import Store

__all__ = ["SyncHealth", "read_sync_health"]


@dataclass(frozen=True)
class SyncHealth:
    """What the page shows of the store, or ``error`` if it could not be read."""

    read: datetime
    figures: tuple[tuple[str, str], ...] = ()
    error: str | None = None


def _when(value: object) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if isinstance(value, datetime) else "-"


async def read_sync_health(store: Store, install_sid: str) -> SyncHealth:
    """The last run, the sessions stored, failures, requests and 429s of ``install_sid``."""
    now = datetime.now(timezone.utc)
    try:
        last: dict[str, Any] | None = None
        runs = failed_runs = 0
        async for row in store.rows("runs", install_sid=install_sid):
            runs += 1
            failed_runs += row["status"] in ("failed", "interrupted")
            last = row
        counts = await store.counts(install_sid)
    except SmarterProctoringError as error:
        return SyncHealth(now, error=f"{type(error).__name__}: {error}")
    if last is None:
        return SyncHealth(now, (("runs", "none yet for this install"),))
    figures = (
        ("last run", f"{last['status']}, started {_when(last['started'])}, "
                     f"finished {_when(last['finished'])}"),
        ("sessions stored", f"{counts.get('sessions', 0):,}"),
        ("failures (last run)", f"{last['failed']:,} sessions"),
        ("failed or interrupted runs", f"{failed_runs:,} of {runs:,}"),
        ("requests (last run)", f"{last['requests']:,}"),
        ("429 answers (last run)", f"{last['rate_limited']:,}"),
    )  # fmt: skip
    return SyncHealth(now, figures)
