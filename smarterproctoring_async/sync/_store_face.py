"""What the sync engine uses of a :class:`~smarterproctoring_async.Store`, and nothing more.

Typed as a protocol so that the engine never imports the store's module (and through
it SQLAlchemy) to be type-checked or loaded; ``client.sync`` still accepts only a real
``Store`` (checked in ``_options``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Literal, Protocol

from ..models import JSONValue, SessionResult

__all__ = ["RunStatus", "SyncStore"]

RunStatus = Literal["ok", "failed", "stopped"]


class SyncStore(Protocol):
    """The store's methods a sync calls (see ``Store`` for what each guarantees)."""

    def lock(
        self, install_sid: str, *, shard: tuple[int, int] | None = None, wait: float = 5.0
    ) -> AbstractAsyncContextManager[None]:
        """Exclusive use of (install, shard) in this store, between processes."""

    async def versions(self, install_sid: str) -> dict[str, str]:
        """Session SID -> stored version, for the install's sessions."""

    async def save(self, result: SessionResult, *, version: str, run_id: int) -> None:
        """Store one session with its events and annotations, in one transaction."""

    async def start_run(
        self,
        install_sid: str,
        *,
        shard: tuple[int, int] | None,
        options: Mapping[str, JSONValue],
    ) -> int:
        """Open a run in the log; its id."""

    async def finish_run(
        self,
        run_id: int,
        *,
        status: RunStatus,
        stored: int,
        unchanged: int,
        skipped: int,
        failed: int,
        events: int,
        annotations: int,
        requests: int,
        errors: Sequence[str],
        rate_limited: int = 0,
    ) -> None:
        """Close a run in the log with its counts."""
