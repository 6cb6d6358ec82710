"""Exam-level bulk and the install sync plan against the fake: completeness, plans, costs."""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import AsyncIterator

import anyio
import pytest

import smarterproctoring_async as sp
from smarterproctoring_async.sync import _exam_plan as exam_results
from smarterproctoring_async.testing import FakeAPI, FakeSession, Fault, generate_data

from .conftest import FAST_RETRY

EXAM_EVENTS = "/exams/{examSid}/events"
SESSION_EVENTS = "/sessions/{sessionSid}/events"


@pytest.fixture
async def install() -> AsyncIterator[FakeAPI]:
    """Six exams of twelve sessions with a few dozen events each: many and small."""
    data = generate_data(seed=11, exams=6, sessions_per_exam=12, events=(0, 40), annotations=(0, 3))
    async with FakeAPI(data) as fake:
        yield fake


def client_of(fake: FakeAPI, **options: object) -> sp.Client:
    options.setdefault("rate_limit", None)
    options.setdefault("retry", FAST_RETRY)
    return sp.Client(fake.token, base_url=fake.base_url, **options)  # type: ignore[arg-type]


def by_sid(fake: FakeAPI) -> dict[str, FakeSession]:
    return {s.sid: s for s in fake.data.sessions}


def paths(fake: FakeAPI) -> Counter[str]:
    """Requests by route kind: exam-level events, session events, details, ..."""
    kinds: Counter[str] = Counter()
    for entry in fake.requests:
        path = entry.path
        if path.endswith("/events") and "/sessions/" not in path:
            kinds["exam events"] += 1
        elif path.endswith("/events"):
            kinds["session events"] += 1
        elif path.endswith("/annotations"):
            kinds["annotations"] += 1
        elif path.endswith("/reports/appointments"):
            kinds["report"] += 1
        elif "/sessions/ES" in path:
            kinds["details"] += 1
        else:
            kinds[path] += 1
    return kinds


def assert_exact(fake: FakeAPI, results: list[sp.SessionResult], *, terminal_only: bool) -> None:
    """Every session of the fake once; the wanted ones with every event and annotation."""
    sessions = by_sid(fake)
    assert sorted(r.ref.session_sid for r in results if r.ref) == sorted(sessions)
    for result in results:
        assert result.ref is not None
        s = sessions[result.ref.session_sid]
        assert result.error is None, result.error
        terminal = s.wire["status"] in ("Closed", "Cancelled")
        assert result.skipped == (terminal_only and not terminal)
        if result.skipped:
            continue
        assert [e.to_dict() for e in result.events or ()] == list(s.events)
        assert [a.to_dict() for a in result.annotations or ()] == s.annotations


async def test_exam_results_read_each_exam_once_and_group_every_event(install: FakeAPI) -> None:
    exams = sorted({(s.install_sid, s.exam_sid) for s in install.data.sessions})
    async with client_of(install) as client:
        handles = [client.install(ai).exam(ex) for ai, ex in exams]
        results = await client.gather_exam_results(handles)
    assert_exact(install, results, terminal_only=False)
    assert {r.plan for r in results} == {"exam"}
    assert all(r.details_from_report for r in results)
    # Input order: exam by exam, in the order given.
    assert [r.ref.exam_sid for r in results if r.ref] == sorted(
        (r.ref.exam_sid for r in results if r.ref), key=[ex for _, ex in exams].index
    )
    kinds = paths(install)
    assert kinds["session events"] == 0 and kinds["details"] == 0
    # Each exam's list fits one page of 500; as that page holds over 50 records and
    # reaches the total, one more request confirms the end (a total may be capped).
    assert kinds["exam events"] == 2 * len(exams)
    assert kinds["annotations"] == len(install.data.sessions)


async def test_details_from_the_report_row_are_the_row_itself(install: FakeAPI) -> None:
    ai = install.data.installs[0]["sid"]
    async with client_of(install) as client:
        rows = await client.install(ai).reports.appointments().collect()
        results = await client.gather_install_results(ai)
    wire = {row.sid: row.to_dict() for row in rows}
    for result in results:
        assert result.session is not None and result.ref is not None
        assert result.details_from_report
        assert result.session.to_dict() == wire[result.ref.session_sid]
        assert result.session.status == wire[result.ref.session_sid]["status"]


async def test_full_details_ask_for_each_sessions_details(install: FakeAPI) -> None:
    async with client_of(install) as client:
        results = await client.gather_install_results(
            install.data.installs[0]["sid"], full_details=True, only_terminal=False
        )
    sessions = by_sid(install)
    for result in results:
        assert result.ref is not None and result.session is not None
        assert not result.details_from_report
        assert result.session.to_dict() == sessions[result.ref.session_sid].wire
    assert paths(install)["details"] == len(sessions)


async def test_the_install_sync_is_complete_and_skips_open_sessions_at_no_cost(
    install: FakeAPI,
) -> None:
    progress: list[tuple[int, int | None, int]] = []
    async with client_of(install) as client:
        results = await client.gather_install_results(
            install.data.installs[0]["sid"], on_progress=lambda *a: progress.append(a)
        )
    assert_exact(install, results, terminal_only=True)
    skipped = sum(r.skipped for r in results)
    assert 0 < skipped < len(results)
    kinds = paths(install)
    # Annotations only for the sessions synced; nothing at all for the skipped ones.
    assert kinds["annotations"] == len(results) - skipped
    assert kinds["details"] == 0
    assert progress[-1] == (len(results), len(results), 0)
    assert [done for done, _, _ in progress] == list(range(1, len(results) + 1))


async def test_rows_that_name_no_session_make_the_exam_fall_back_loudly(
    install: FakeAPI, caplog: pytest.LogCaptureFixture
) -> None:
    install.exam_event_session_sids = False
    caplog.set_level(logging.WARNING, "smarterproctoring_async")
    async with client_of(install) as client:
        results = await client.gather_install_results(install.data.installs[0]["sid"], plan="exam")
    assert_exact(install, results, terminal_only=True)
    assert {r.plan for r in results} == {"session"}
    warned = [r.getMessage() for r in caplog.records if "names no session" in r.getMessage()]
    exams = {s.exam_sid for s in install.data.sessions}
    assert len(warned) == len(exams)
    assert paths(install)["session events"] == sum(not r.skipped for r in results)


async def test_auto_reads_per_session_when_one_session_of_an_exam_is_wanted(
    install: FakeAPI,
) -> None:
    # One learner's session: its own list costs one request, while the exam-level list
    # would cost as much and carry every other learner's events too.
    s = max(install.data.sessions, key=lambda s: (s.wire["status"] == "Closed", len(s.events)))
    email = install.data.enrollment(s.enrollment_sid)["email"]
    async with client_of(install) as client:
        ai = install.data.installs[0]["sid"]
        results = await client.gather_install_results(ai, exam_sid=s.exam_sid, learner_email=email)
    assert [r.ref.session_sid for r in results if r.ref] == [s.sid]
    assert results[0].plan == "session"
    assert [e.to_dict() for e in results[0].events or ()] == list(s.events)
    kinds = paths(install)
    assert kinds["exam events"] == 0 and kinds["session events"] >= 1


@pytest.mark.parametrize("closed_per_exam", [2, 12])
async def test_auto_uses_the_first_page_total_to_choose(
    install: FakeAPI, closed_per_exam: int
) -> None:
    # Pages of 5: an exam's list is about 50 pages. For 2 of its 12 sessions, their own
    # lists cost about a sixth of that: per session. For all 12: the exam list.
    install.page_cap = 5
    by_exam: dict[str, list[FakeSession]] = {}
    for s in install.data.sessions:
        by_exam.setdefault(s.exam_sid, []).append(s)
    for sessions in by_exam.values():
        for k, s in enumerate(sessions):
            status = "Closed" if k < closed_per_exam else "Scheduled"
            install.data.set_status(s.sid, status, 1_736_150_400_000)
    async with client_of(install) as client:
        results = await client.gather_install_results(install.data.installs[0]["sid"])
    assert_exact(install, results, terminal_only=True)
    plan = "session" if closed_per_exam == 2 else "exam"
    assert {r.plan for r in results if not r.skipped} == {plan}
    kinds = paths(install)
    if plan == "session":  # one first page each, then per session
        assert kinds["exam events"] == len(by_exam)
        assert kinds["session events"] >= 2 * len(by_exam)
    else:
        assert kinds["session events"] == 0


async def test_a_fault_storm_and_inserted_events_lose_and_repeat_nothing(install: FakeAPI) -> None:
    install.page_cap = 7
    for kind in ("status", "reset", "truncated", "malformed"):
        install.add_fault(Fault(kind, route=EXAM_EVENTS, times=3))
        install.add_fault(Fault(kind, route="/annotations", times=3))
        install.add_fault(Fault(kind, route="/reports/appointments", times=1))
    install.add_fault(Fault("stall", route=EXAM_EVENTS, delay=0.2, times=2))
    before = {s.sid: [e["sid"] for e in s.events] for s in install.data.sessions}
    install.insert_while_paging(route=EXAM_EVENTS, per_request=1)
    install.insert_while_paging(route="/reports/appointments", per_request=1)
    retry = sp.RetryPolicy(max_attempts=8, base_delay=0.001, max_delay=0.01)
    async with client_of(install, retry=retry, timeout=1.0) as client:
        with anyio.fail_after(60):
            results = await client.gather_install_results(
                install.data.installs[0]["sid"], plan="exam"
            )
    sessions = by_sid(install)
    synced = [r.ref.session_sid for r in results if r.ref]
    assert len(synced) == len(set(synced)) == len(results), "a session twice"
    assert len(sessions) > len(before), "no session was inserted while paging"
    served = {r.fault for r in install.requests}
    assert {"status", "reset", "truncated", "malformed", "stall"} <= served, served
    # Sessions inserted while the report was read may come or not; none before is lost.
    assert set(before) <= set(synced) <= set(sessions)
    # The exam-level lists were read; one whose list failed under the storm (a slow
    # machine can exhaust its retries) falls back per session, as documented: either
    # way nothing may be lost or repeated.
    assert any(r.plan == "exam" for r in results if not r.skipped)
    for result in results:
        assert result.ref is not None and result.error is None, result.error
        if result.skipped:
            continue
        got = [e.sid for e in result.events or ()]
        assert len(got) == len(set(got)), "an event twice"
        assert set(before.get(result.ref.session_sid, ())) <= set(got), "an event lost"
        assert set(got) <= {e["sid"] for e in sessions[result.ref.session_sid].events}


async def test_a_failed_exam_list_falls_back_per_session(
    install: FakeAPI, caplog: pytest.LogCaptureFixture
) -> None:
    install.add_fault(Fault("status", status=500, route=EXAM_EVENTS, times=None))
    caplog.set_level(logging.WARNING, "smarterproctoring_async")
    async with client_of(install) as client:
        results = await client.gather_install_results(install.data.installs[0]["sid"])
    assert_exact(install, results, terminal_only=True)
    assert {r.plan for r in results if not r.skipped} == {"session"}
    assert any("exam-level event list failed" in r.getMessage() for r in caplog.records)


async def test_the_stream_can_be_left_early_and_cancelled(install: FakeAPI) -> None:
    install.latency = 0.02
    async with client_of(install) as client:
        got = 0
        async with client.stream_install_results(install.data.installs[0]["sid"]) as results:
            async for _result in results:
                got += 1
                break
        assert got == 1
        left = time.monotonic()
        await anyio.sleep(0.2)  # nothing of the run goes on after the `async with`
        # (requests cut short are logged when the fake is done with them: count arrivals)
        assert [r.path for r in install.requests if r.start > left + 0.01] == []
        with anyio.move_on_after(0.1):
            await client.gather_install_results(install.data.installs[0]["sid"])
        # Still usable: nothing of the abandoned runs is left holding the client.
        assert (await client.check()) is not None


async def test_bad_arguments_fail_before_any_request(install: FakeAPI) -> None:
    async with client_of(install) as client:
        ai = install.data.installs[0]["sid"]
        with pytest.raises(sp.errors.InvalidFilterError):
            client.stream_install_results(ai, plan="cheap")  # type: ignore[arg-type]
        with pytest.raises(sp.errors.InvalidFilterError):
            await client.gather_install_results(ai, only_terminal="yes")  # type: ignore[arg-type]
        with pytest.raises(sp.errors.InvalidFilterError):
            await client.gather_install_results(ai, status="Done")  # type: ignore[typeddict-item]
        with pytest.raises(sp.errors.InvalidSidError):
            await client.gather_install_results("nope")
        with pytest.raises(TypeError):
            await client.gather_exam_results([ai])  # type: ignore[list-item]
        with pytest.raises(sp.errors.InvalidFilterError):
            await client.gather_exam_results([], concurrency=0)
        with pytest.raises(TypeError):
            await client.gather_install_results(ai, into=())  # type: ignore[arg-type]
    assert len(install.requests) == 0


async def test_into_keeps_what_an_interrupted_sync_fetched(install: FakeAPI) -> None:
    install.latency = 0.01
    kept: list[sp.SessionResult] = []
    async with client_of(install) as client:
        with anyio.move_on_after(0.6):
            await client.gather_install_results(install.data.installs[0]["sid"], into=kept)
    assert kept, "nothing fetched in 0.6 s"
    sessions = by_sid(install)
    for result in kept:
        assert result.ref is not None and result.ref.session_sid in sessions
    assert len({r.ref.session_sid for r in kept if r.ref}) == len(kept)


async def test_a_row_without_a_date_has_its_details_asked_for(install: FakeAPI) -> None:
    dateless = [s for s in install.data.sessions if s.wire["status"] == "Closed"][:3]
    for s in dateless:
        del s.wire["appointmentDate"]
    async with client_of(install) as client:
        results = await client.gather_install_results(install.data.installs[0]["sid"])
    assert_exact(install, results, terminal_only=True)
    asked = {r.ref.session_sid for r in results if r.ref and not r.details_from_report}
    assert asked == {s.sid for s in dateless}
    assert paths(install)["details"] == len(dateless)


async def test_a_narrowed_report_reads_each_exams_full_list_once_to_vet_other_sessions(
    install: FakeAPI,
) -> None:
    async with client_of(install) as client:
        results = await client.gather_install_results(
            install.data.installs[0]["sid"], status="Closed", only_terminal=False
        )
    closed = {s.sid for s in install.data.sessions if s.wire["status"] == "Closed"}
    assert {r.ref.session_sid for r in results if r.ref} == closed
    assert {r.plan for r in results} == {"exam"}
    sessions = by_sid(install)
    for result in results:
        assert result.ref is not None
        assert [e.to_dict() for e in result.events or ()] == list(
            sessions[result.ref.session_sid].events
        )
    exams = {s.exam_sid for s in install.data.sessions}
    # The narrowed report (one page of over 50 rows, so confirmed by a second request),
    # then each exam's own list once: its other sessions have events.
    assert paths(install)["report"] == 2 + len(exams)


@pytest.mark.parametrize("narrowed", [False, True], ids=["whole-report", "narrowed-report"])
async def test_a_row_naming_a_session_the_exam_does_not_have_sends_it_per_session(
    install: FakeAPI, caplog: pytest.LogCaptureFixture, narrowed: bool
) -> None:
    target = next(s for s in install.data.sessions if s.wire["status"] == "Closed")
    stranger = "ES" + "9" * 32
    # The fake names an event's session itself; the record is edited after the fact.
    install.data.add_event(target)["sessionSid"] = stranger
    caplog.set_level(logging.DEBUG, "smarterproctoring_async")
    filters: dict[str, str] = {"status": "Closed"} if narrowed else {}
    async with client_of(install) as client:
        results = await client.gather_install_results(
            install.data.installs[0]["sid"],
            plan="exam",
            **filters,  # type: ignore[arg-type]
        )
    mine = next(r for r in results if r.ref and r.ref.session_sid == target.sid)
    assert mine.plan == "session"
    assert [e.to_dict() for e in mine.events or ()] == list(target.events)
    same_exam = [r for r in results if r.ref and r.ref.exam_sid == target.exam_sid]
    assert {r.plan for r in same_exam if not r.skipped} == {"session"}
    assert {r.plan for r in results if not r.skipped} == {"session", "exam"}
    # The WARNING names the exam, never the session a row named (a learner's); the
    # DEBUG line after it does.
    warned = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    unlisted = [m for m in warned if "does not list" in m]
    assert len(unlisted) == 1 and target.exam_sid in unlisted[0]
    assert not any(stranger in m for m in warned)
    said = [r.getMessage() for r in caplog.records if stranger in r.getMessage()]
    assert len(said) == 1 and target.exam_sid in said[0]


async def test_an_exam_whose_session_list_fails_is_one_error_and_the_others_go_on(
    install: FakeAPI,
) -> None:
    exams = sorted({(s.install_sid, s.exam_sid) for s in install.data.sessions})
    # A 404 is not retried: the first exam's report fails, the others are read.
    install.add_fault(Fault("status", status=404, route="/reports/appointments", times=1))
    progress: list[tuple[int, int | None, int]] = []
    async with client_of(install) as client:
        handles = [client.install(ai).exam(ex) for ai, ex in exams]
        results = await client.gather_exam_results(
            handles, concurrency=1, on_progress=lambda *a: progress.append(a)
        )
    failed = [r for r in results if r.error is not None]
    assert len(failed) == 1 and failed[0].ref is None
    assert isinstance(failed[0].error, sp.errors.NotFoundError)
    synced = {r.ref.exam_sid for r in results if r.ref}
    assert len(synced) == len(exams) - 1
    assert progress[-1] == (len(results), len(results), 1)


async def test_into_holds_every_result_progress_has_counted(install: FakeAPI) -> None:
    kept: list[sp.SessionResult] = []
    counted = 0

    def stop_at_seven(done: int, total: int | None, failed: int) -> None:
        nonlocal counted
        counted = done
        if done == 7:
            raise KeyError("a progress bar that breaks")

    async with client_of(install) as client:
        with pytest.raises(KeyError):
            await client.gather_install_results(
                install.data.installs[0]["sid"], into=kept, on_progress=stop_at_seven
            )
    assert counted == 7 and len(kept) >= counted


async def test_an_exam_the_report_does_not_know_says_so(
    install: FakeAPI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "smarterproctoring_async")
    unknown = "EX" + "0" * 32
    async with client_of(install) as client:
        exam = client.install(install.data.installs[0]["sid"]).exam(unknown)
        assert await client.gather_exam_results([exam]) == []
    assert any(unknown in r.getMessage() and "no session" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("concurrency", [1, 16])
async def test_the_runs_exam_level_lists_hold_a_bounded_number_of_events(
    install: FakeAPI,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    concurrency: int,
) -> None:
    sizes: Counter[str] = Counter()
    for s in install.data.sessions:
        sizes[s.exam_sid] += len(s.events)
    # Room for the largest exam's list, not for two at once.
    monkeypatch.setattr(exam_results, "MAX_HELD_EVENTS", max(sizes.values()) + 1)
    caplog.set_level(logging.INFO, "smarterproctoring_async")
    install.latency = 0.005
    async with client_of(install) as client:
        handles = [client.install(s.install_sid).exam(s.exam_sid) for s in install.data.sessions]
        results = await client.gather_exam_results(handles, concurrency=concurrency)
    assert_exact(install, results, terminal_only=False)
    plans = {r.plan for r in results}
    no_room = [r for r in caplog.records if "do not fit" in r.getMessage()]
    if concurrency == 1:  # one list at a time: each fits, and gives its room back
        assert plans == {"exam"} and not no_room
    else:  # several at once: some wait their turn per session instead
        assert plans == {"exam", "session"} and no_room
