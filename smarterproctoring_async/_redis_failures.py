"""What goes wrong between ``RedisRateLimiter`` and Redis, said without secrets.

An exchange fails either because Redis is out of reach for now (refused, reset, timed
out, a read-only replica during a failover: :class:`Unreachable`, which the limiter's
``fallback`` may cover) or because it refuses the limiter (a wrong password, a missing
permission, a script error: :class:`~smarterproctoring_async.errors.RateLimiterUnavailableError`
whatever the fallback). Messages name the server by host, port and database, never by
its URL, and any quoted password is cut out. redis-py is not imported here: the
limiter passes its module in.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from . import errors

__all__ = ["Unreachable", "failed_exchange", "location"]


class Unreachable(Exception):
    """Redis did not answer (refused, reset, timed out, read-only replica)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def failed_exchange(
    module: ModuleType, exc: Exception, *, where: str, key: str, secret: str | None
) -> Exception:
    """The error to raise for ``exc`` (raise it outside the handler: no chain to the
    redis-py exception)."""
    reason = f"{type(exc).__name__}: {exc}"
    if secret:
        reason = reason.replace(secret, "***")
    failures = module.exceptions
    refused = (failures.AuthenticationError, failures.AuthorizationError)
    outage = (failures.ConnectionError, failures.TimeoutError, failures.ReadOnlyError, OSError)
    if isinstance(exc, outage) and not isinstance(exc, refused):
        return Unreachable(reason)
    return errors.RateLimiterUnavailableError(
        f"Redis at {where} refused the rate limiter of key {key!r} ({reason})"
    )


def location(client: Any) -> str:
    """Where a ``redis.asyncio.Redis`` client connects: host:port/db, or the socket path."""
    options = client.connection_pool.connection_kwargs
    if "path" in options:
        return f"unix:{options['path']}"
    return f"{options.get('host', 'localhost')}:{options.get('port', 6379)}/{options.get('db', 0)}"
