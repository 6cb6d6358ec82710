"""One stderr line when a command has heard nothing from the API for a few seconds.

A host that accepts the connection and never answers would otherwise leave the
command silent until every attempt has timed out (minutes, by default). The watch reads
the client's public counters (``client.stats``): while a request is sent, answered,
retried, paused or a page delivered, they move; once they have stood still for
:data:`SILENCE` seconds it says once what the command is waiting for, and again only
after the counters have moved and stood still anew. A pause the server asked for (429,
``Retry-After``) is named as such; otherwise the line states what is known: nothing
received from the host for so long, so many requests sent. ``--quiet`` turns it off.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, TextIO
from urllib.parse import urlsplit

from .console import is_quiet
from .errors import PROG

if TYPE_CHECKING:
    from .. import Client

__all__ = ["SILENCE", "host_of", "watching"]

#: Seconds without any movement in ``client.stats`` before the notice.
SILENCE = 5.0
#: How often the counters are read: a fraction of SILENCE, and cheap (a few sums).
_TICK = 0.25


def host_of(base_url: str) -> str:
    """``host:port`` of ``base_url``: what an error or a notice names (never a path)."""
    parts = urlsplit(base_url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.hostname}:{port}"


def _moves(client: Client) -> tuple[int, ...]:
    total = client.stats.total()
    return (total.requests, total.retried, total.bytes_received, total.pages,
            total.failures, total.pauses)  # fmt: skip


def _notice(host: str, moves: tuple[int, ...], paused: bool, silent: float, hint: str) -> str:
    sent = f"{moves[0]} request{'s' if moves[0] != 1 else ''} sent"
    if paused:  # a 429 / Retry-After: a wait the server asked for
        return f"{PROG}: waiting for {host}: pausing as the server asked ({sent})"
    # "Nothing received", not "no answer": with a slow --rate-limit the wait may be for
    # the budget between two answered requests, which the counters cannot tell apart.
    return f"{PROG}: waiting for {host}: nothing received for {silent:.0f} s ({sent}; {hint})"


async def _watch(client: Client, start: tuple[int, ...], hint: str, stream: TextIO) -> None:
    host = host_of(client.base_url)
    seen, since, told, paused = start, time.monotonic(), False, False
    while True:
        await asyncio.sleep(_TICK)
        now, moves = time.monotonic(), _moves(client)
        if moves != seen:
            paused = moves[5] > seen[5]  # the latest movement began a pause
            seen, since, told = moves, now, False
            continue
        # Nothing sent yet: the wait is not on the API (another sync's store lock, say),
        # so naming the host would blame it wrongly.
        if told or now - since < SILENCE or moves[0] == 0:
            continue
        told = True
        stream.write(_notice(host, moves, paused, now - since, hint) + "\n")
        stream.flush()


@asynccontextmanager
async def watching(
    client: Client, timeout: float | None, *, enabled: bool = True
) -> AsyncIterator[None]:
    """Watch ``client`` for the length of the block (nothing at all with ``--quiet``,
    or when not ``enabled``)."""
    if is_quiet() or not enabled:
        yield
        return
    hint = (
        f"--timeout {timeout:g} s per request"
        if timeout is not None
        else "--timeout SECONDS bounds each request"
    )
    # Read now, not when the task first runs: by then the first request may be out,
    # and the watch would not know that the silence after it is the host's.
    start = _moves(client)
    task = asyncio.create_task(_watch(client, start, hint, sys.stderr))
    try:
        yield
    finally:
        task.cancel()
        # gather, not suppress(CancelledError): a cancellation of this block itself (Ctrl-C)
        # must go on propagating, only the watch's own is swallowed.
        await asyncio.gather(task, return_exceptions=True)
