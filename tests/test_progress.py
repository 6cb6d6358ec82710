"""The tqdm progress bar, driven by real bulk runs against the fake API."""

from __future__ import annotations

import io
import re
import sys

import pytest

import smarterproctoring_async as sp
from smarterproctoring_async.progress import ProgressBar, progress_bar
from smarterproctoring_async.testing import FakeAPI, Fault

from .conftest import MakeClient


def frames_of(out: io.StringIO) -> list[str]:
    """Each state the bar was drawn in, oldest first."""
    return [part.strip() for part in re.split(r"[\r\n]", out.getvalue()) if part.strip()]


async def test_a_paginator_run_sets_the_total_late_and_counts_failures(
    fake: FakeAPI, make_client: MakeClient
) -> None:
    client = make_client()
    fake.add_fault(Fault("status", status=404, route="/annotations", times=2))
    out = io.StringIO()
    bar = progress_bar(file=out, desc="sessions", mininterval=0)
    assert frames_of(out)[0].startswith("sessions: 0session ")  # no total yet
    install = client.install(fake.data.sessions[0].install_sid)
    results = await client.gather_session_results(install.reports.appointments(), on_progress=bar)
    total = len(fake.data.sessions)
    assert len(results) == total
    assert sum(r.error is not None for r in results) == 2
    drawn = frames_of(out)
    assert f"| {total}/{total} [" in drawn[-1] and "failed=2" in drawn[-1]
    assert any(f"| 1/{total} [" in line for line in drawn)  # the total was set on arrival
    assert bar.closed  # done == total closed it
    bar(total + 1, total, 2)  # late calls after closing are ignored
    assert frames_of(out) == drawn


async def test_an_iterator_without_length_counts_up_and_the_with_block_closes_it(
    fake: FakeAPI, make_client: MakeClient
) -> None:
    client = make_client()
    refs = [sp.SessionRef(s.install_sid, s.exam_sid, s.sid) for s in fake.data.sessions[:5]]
    out = io.StringIO()
    with progress_bar(file=out, mininterval=0, unit="s") as bar:
        await client.gather_session_results(iter(refs), on_progress=bar)
        assert not bar.closed  # the total never came
    assert bar.closed
    assert frames_of(out)[-1].startswith("5s ")
    assert "failed=0" in frames_of(out)[-1]


def test_a_known_total_and_an_early_end() -> None:
    out = io.StringIO()
    with ProgressBar(file=out, total=4, mininterval=0) as bar:
        bar(1, 4, 0)
        bar(3, 4, 1)  # a call per result is not promised: it shows where the run is
    last = frames_of(out)[-1]
    assert "| 3/4 [" in last and "failed=1" in last
    assert bar.closed
    bar.close()  # closing twice is harmless


def test_without_tqdm_the_message_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    with pytest.raises(ImportError, match=r"pip install 'smarterproctoring-async\[progress\]'"):
        progress_bar()
