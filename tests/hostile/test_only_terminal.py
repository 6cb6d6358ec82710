"""``only_terminal`` against the hostile server: what it cannot judge, it says.

A status the API does not document (``Canceled``), or none, leaves the session out as
not terminal, with one WARNING per status: a spelling the SDK does not know never hides
sessions silently. ``only_terminal="reviewed"`` takes a session's details from its
report row only when the row says the review is over: the row cannot carry
``reviewed``, so only the details can say it is not.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import anyio
import pytest

import smarterproctoring_async as sp
from smarterproctoring_async.sync import _sessions

from ._helpers import connected, warnings
from ._server import AI, EX, MiniAPI, sid


@pytest.mark.parametrize("level", ["session", "exam"])
async def test_a_status_it_cannot_judge_is_skipped_and_said_once(
    level: str, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_sessions, "_SAID", set())  # said once per process: from now
    sessions = [sid("ES", n) for n in range(6)]
    statuses = ["Canceled", "", "Scheduled", "Closed", "Canceled", " cancelled "]
    api = MiniAPI(dict.fromkeys(sessions, 2), status_of=dict(zip(sessions, statuses, strict=True)))
    caplog.set_level(logging.WARNING, "smarterproctoring_async")
    async with connected(api) as (_server, client):
        with anyio.fail_after(10):
            if level == "session":
                refs = [sp.SessionRef(AI, EX, es) for es in sessions]
                results = await client.gather_session_results(refs, only_terminal=True)
            else:
                exam = client.install(AI).exam(EX)
                results = await client.gather_exam_results([exam], only_terminal=True)
    assert [r.skipped for r in results] == [True, True, True, False, True, False]
    assert all(r.error is None for r in results)
    said = [line for line in warnings(caplog) if "does not document" in line]
    assert len(said) == 2, said  # Canceled once (two sessions), no status once
    assert any("'Canceled'" in line for line in said) and any("no status" in line for line in said)


@dataclass
class ReviewedAPI(MiniAPI):
    """Details say the review is over; report rows carry no review field (as real ones)."""

    def details(self, es: str) -> dict[str, Any]:
        return {**super().details(es), "reviewed": True}


async def test_reviewed_asks_the_details_when_the_row_cannot_say() -> None:
    sessions = [sid("ES", n) for n in range(3)]
    api = ReviewedAPI(dict.fromkeys(sessions, 1), appointment_dates=True)
    async with connected(api) as (server, client):
        exam = client.install(AI).exam(EX)
        with anyio.fail_after(10):
            results = await client.gather_exam_results([exam], only_terminal="reviewed")
    assert [r.skipped for r in results] == [False] * 3
    assert all(r.session is not None and r.session.reviewed for r in results)
    details = [r for r in server.requests if r.path.endswith(tuple(sessions))]
    assert len(details) == 3  # each row had a status and a date, yet could not say
