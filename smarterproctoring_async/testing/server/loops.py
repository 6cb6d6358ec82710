"""The fake answers only on the event loop that started it: the check that says so."""

from __future__ import annotations

import asyncio


class FakeLoopError(RuntimeError):
    """The fake was used from an event loop other than its own while its own is not running.

    Its server runs on the loop that started it; a request from another loop would never
    be answered (a client would hang until its timeouts), so the fake refuses at once.
    """


_OTHER_LOOP = (
    "this FakeAPI was started on another event loop, which is not running now, so it "
    "cannot answer requests from this one. Start the fake on the loop that uses it; with "
    "pytest-asyncio, give the fake's fixture and the test the same loop scope (for the "
    "plugin's fixtures: `smarterproctoring_loop_scope = <scope>` in the pytest ini "
    "options, or @pytest.mark.asyncio(loop_scope=...) matching it)"
)


def check_loop(own: asyncio.AbstractEventLoop | None) -> None:
    """Raise ``FakeLoopError`` if the running loop cannot be served by a fake on ``own``.

    Fine: no running loop (plain code), the fake's own loop, or another loop while the
    fake's runs in another thread. Not fine: another loop while the fake's is idle.
    """
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        return
    if own is not None and running is not own and not own.is_running():
        raise FakeLoopError(_OTHER_LOOP)
