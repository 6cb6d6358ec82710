"""A follower (``client.sync(..., follow=True)``) against a server that is not our fake:
a pass the API fails after every retry is said and logged, and the next pass starts on
time; an answer the next pass cannot outlive (an install the API does not know) ends the run."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import anyio
import pytest

import smarterproctoring_async as sp

from ._helpers import connected
from ._server import Handler, MiniAPI, Request, answer, json_response, sid

LOGGER = "smarterproctoring_async"
RETRY = sp.RetryPolicy(max_attempts=2, base_delay=0.001, max_delay=0.01)


def report_fails(api: MiniAPI, status: int, times: int | None) -> list[int]:
    """Make the appointments report answer ``status`` ``times`` times (None: always);
    the list counts the failures sent."""
    sent: list[int] = []

    def fault(request: Request) -> Handler | None:
        if "/reports/appointments" in request.path and (times is None or len(sent) < times):
            sent.append(status)
            return answer(json_response({"code": "OOPS", "message": "not now"}, status))
        return None

    api.fault = fault
    return sent


async def test_a_follower_outlives_a_pass_the_api_failed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    api = MiniAPI({sid("ES", 700 + k): 2 for k in range(3)})
    sent = report_fails(api, 503, times=RETRY.max_attempts)  # the whole first pass
    async with (
        connected(api, max_requests=200, retry=RETRY) as (_server, client),
        sp.Store(f"sqlite:///{tmp_path / 'store.db'}") as store,
        anyio.create_task_group() as tasks,
    ):
        tasks.start_soon(lambda: client.sync(api.ai, store, follow=True, interval=0.2))
        started = time.monotonic()
        with anyio.fail_after(10):
            while len(await store.versions(api.ai)) < len(api.sessions):  # noqa: ASYNC110
                await anyio.sleep(0.02)  # the store announces nothing: it is read again
        took = time.monotonic() - started
        tasks.cancel_scope.cancel()
    assert sent == [503, 503]
    assert took < 2, took  # stored by the second pass, one interval later
    [run] = await _read_runs(tmp_path)
    assert run["status"] == "stopped"
    errors = str(run["errors"])
    assert "(a pass): ServerError" in errors, errors
    said = [r for r in caplog.records if "a pass failed" in r.getMessage()]
    assert len(said) == 1 and said[0].levelno == logging.WARNING
    assert "ServerError" in said[0].getMessage()


async def test_a_refused_report_still_ends_the_follower(tmp_path: Path) -> None:
    api = MiniAPI({sid("ES", 710): 1})
    sent = report_fails(api, 404, times=None)
    async with (
        connected(api, max_requests=200, retry=RETRY) as (_server, client),
        sp.Store(f"sqlite:///{tmp_path / 'store.db'}") as store,
    ):
        with anyio.fail_after(10), pytest.raises(sp.errors.NotFoundError):
            await client.sync(api.ai, store, follow=True, interval=0.2)
    assert sent == [404]
    [run] = await _read_runs(tmp_path)
    assert run["status"] == "failed"


async def _read_runs(tmp_path: Path) -> list[dict[str, object]]:
    """The store's run log, read after the sync's store was closed."""
    async with sp.Store(f"sqlite:///{tmp_path / 'store.db'}") as store:
        return [row async for row in store.rows("runs")]
