"""``--redis-url``: one request budget for every process that names the same Redis key.

Without it, each process has a budget of its own, so N workers at ``--rate-limit R``
send up to N·R requests a second. With it, the command's client spends
``--rate-limit`` (with bursts of ``--burst``) from a ``RedisRateLimiter`` on
``--redis-key``, which every worker (and any other program using that key) shares: R
is then the total. Every worker should name the same rate and burst.

The URL may carry a password (``redis://:secret@host:6379/0``): it is never printed,
and ``SMARTERPROCTORING_REDIS_URL`` keeps it off the command line, where ``ps`` and
shell history would show it.
"""

from __future__ import annotations

import argparse
import os
from contextlib import AsyncExitStack, suppress
from types import TracebackType
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ..errors import RateLimiterUnavailableError
from .errors import EXIT_FAILED, CliError

if TYPE_CHECKING:
    from .. import Limiter, RedisRateLimiter

__all__ = ["REDIS_URL_ENV", "SharedBudget", "add_budget_options", "redacted"]

REDIS_URL_ENV = "SMARTERPROCTORING_REDIS_URL"
KEY_PREFIX = "smarterproctoring:budget:"
_PIP = "pip install 'smarterproctoring-async[redis]'"


def add_budget_options(parser: argparse.ArgumentParser) -> None:
    """``--redis-url`` and ``--redis-key``."""
    group = parser.add_argument_group("shared request budget")
    group.add_argument(
        "--redis-url", metavar="URL", default=os.environ.get(REDIS_URL_ENV) or None,
        help=f"share --rate-limit with every process using the same Redis key "
        f"(default: ${REDIS_URL_ENV}; needs the redis extra)",
    )  # fmt: skip
    group.add_argument(
        "--redis-key", metavar="KEY",
        help=f"the budget's key (default: {KEY_PREFIX}<install SID>)",
    )  # fmt: skip


def redacted(url: str) -> str:
    """``url`` with its password replaced by ``***`` (the rest kept for the reader)."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return "the --redis-url given"  # unparsable: show none of it
    if not password:
        return url
    user = parts.username or ""
    host = parts.netloc.rpartition("@")[2]
    return parts._replace(netloc=f"{user}:***@{host}").geturl()


class SharedBudget:
    """The Redis-backed limiter of ``--redis-url`` (``limiter`` is None without it).

    Use as an async context manager around the run. The limiter asks Redis before each
    request, so an unreachable server stops the command before its first request to
    the API; whenever Redis is lost, :meth:`check` (for a session's error) and the
    exit (for an error raised through the run) turn it into a one-line error, exit 1,
    that names the server without its password.
    """

    def __init__(self, args: argparse.Namespace, install: str) -> None:
        self.limiter: Limiter | None = None
        self.url: str | None = args.redis_url
        self._redis: RedisRateLimiter | None = None  # the limiter, as a context manager
        self._stack = AsyncExitStack()
        if self.url is None:
            return
        key = args.redis_key or KEY_PREFIX + install
        try:
            from .. import RedisRateLimiter

            self._redis = RedisRateLimiter(
                self.url, key=key, rate=args.rate_limit, burst=args.burst
            )
        except ImportError:
            raise CliError(f"--redis-url needs the redis package: {_PIP}") from None
        except ValueError as error:  # the URL or the key (the message says which)
            where = f"--redis-url {redacted(self.url)} with --redis-key {key!r}"
            raise CliError(f"{where}: {self._scrub(error)}") from None
        self.limiter = self._redis

    def _scrub(self, error: BaseException) -> str:
        text = str(error)
        password = None
        with suppress(ValueError):
            password = urlsplit(self.url or "").password
        return text.replace(password, "***") if password else text

    def check(self, error: BaseException | None) -> None:
        """Raise the command's error (exit 1) if ``error`` says Redis is unreachable."""
        if isinstance(error, RateLimiterUnavailableError):
            # The limiter's message names the server (host and port, no password) and key.
            raise CliError(self._scrub(error), EXIT_FAILED) from None

    async def __aenter__(self) -> SharedBudget:
        if self._redis is not None:
            await self._stack.enter_async_context(self._redis)
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self._stack.aclose()
        if isinstance(error, Exception):
            self.check(error)
