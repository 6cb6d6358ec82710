"""A client dropped without being closed (the notebook cell that creates it, run again).

Its HTTP session is closed on its event loop once the client is garbage collected,
and one ``ResourceWarning`` says so: hidden by Python's default warning filters (a
notebook shows nothing), shown under ``python -X dev`` or ``-W default``, and an error
in a test suite that turns warnings into errors. Without this, aiohttp would print
"Unclosed client session" and "Unclosed connector" into whichever cell happens to run
the garbage collector.
"""

from __future__ import annotations

import asyncio
import warnings
import weakref
from typing import Any

__all__ = ["close_when_dropped"]

_closing: set[asyncio.Task[None]] = set()  # asyncio keeps only weak references to tasks


def close_when_dropped(owner: object, session: Any, loop: asyncio.AbstractEventLoop) -> None:
    """Close ``session`` (an open ``aiohttp.ClientSession`` of ``loop``) on that loop
    when ``owner`` is garbage collected, unless it was closed before."""
    finalizer = weakref.finalize(owner, _dropped, session, loop)
    finalizer.atexit = False  # at exit the loop is gone: nothing left to close on it


def _dropped(session: Any, loop: asyncio.AbstractEventLoop) -> None:
    if session.closed:
        return
    try:
        # The collector may run in any thread (a worker thread importing pandas).
        loop.call_soon_threadsafe(_close, session)
    except RuntimeError:
        # Its loop is gone (an ``asyncio.run`` that ended): nothing is left to wait for,
        # and aiohttp would print its own complaint through that loop. Closed here.
        _close_without_loop(session)
    warnings.warn(
        "a smarterproctoring_async.Client was dropped without being closed; its "
        "connections are closed now (use `async with sp.Client(...)` or "
        "`await client.aclose()`)",
        ResourceWarning,
        stacklevel=2,
    )


def _close(session: Any) -> None:
    task = asyncio.get_running_loop().create_task(session.close())
    _closing.add(task)
    task.add_done_callback(_closing.discard)


def _close_without_loop(session: Any) -> None:
    """Run ``session.close()`` to its end here: with its loop closed, the connector
    has no transport left to wait for, so the coroutine only passes a few no-op
    awaits (bounded: a coroutine that keeps waiting is abandoned, closed)."""
    closing = session.close()
    try:
        for _ in range(16):
            closing.send(None)
    except StopIteration:
        return
    except Exception:  # pragma: no cover - nothing more can be done for it here
        pass
    closing.close()
