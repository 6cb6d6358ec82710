"""Sync plans against the hostile server: exam-level event lists grouped by session,
the per-session fallback when those rows cannot be trusted, and ``page_size="auto"``.

Every exam-level row names its session (``sessionSid``) unless a test says otherwise;
the server interleaves the sessions' events in the exam-level list, so a client that
groups rows wrongly, or keeps half a list it then reads again per session, shows up
as an event in the wrong result, out of order, missing or twice.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any, Literal

import anyio
import pytest

import smarterproctoring_async as sp

from ._helpers import connected, session_of
from ._server import (
    AI,
    ES,
    Conn,
    Handler,
    MiniAPI,
    RawServer,
    Request,
    answer,
    closing,
    events_path,
    exam_event,
    exam_events_path,
    json_response,
    page,
    reset,
    response,
    session_path,
    sid,
    stall,
)

LOGGER = "smarterproctoring_async"

Entry = Literal["exams", "install"]


# ------------------------------------------------------------------ helpers


def exam_handles(client: sp.Client, api: MiniAPI) -> list[sp.Exam]:
    """One Exam handle per exam of ``api``, in the order of their first session."""
    return [client.install(api.ai).exam(ex) for ex in api.exams()]


async def gather(
    client: sp.Client, api: MiniAPI, entry: Entry, **options: Any
) -> list[sp.SessionResult]:
    """All results of ``api``'s install, by exam handles or by the install."""
    if entry == "exams":
        results: list[sp.SessionResult] = await client.gather_exam_results(
            exam_handles(client, api), **options
        )
    else:
        results = await client.gather_install_results(api.ai, **options)
    return results


def by_session(api: MiniAPI, results: Sequence[sp.SessionResult]) -> dict[str, sp.SessionResult]:
    """The results by session SID: exactly one per session of ``api``, each of its ref."""
    found: dict[str, sp.SessionResult] = {}
    for result in results:
        assert result.ref is not None, result
        es = result.ref.session_sid
        assert es not in found, f"two results for {es}: {found[es]!r} and {result!r}"
        found[es] = result
    assert sorted(found) == sorted(api.sessions)
    for es, result in found.items():
        assert result.ref == sp.SessionRef(api.ai, api.exam(es), es), result
    return found


def check_exact(
    api: MiniAPI, results: Sequence[sp.SessionResult], *, skipped: Sequence[str] = ()
) -> dict[str, sp.SessionResult]:
    """Every session once; each fetched one with its events (the server's order, each
    once, none of another session) and annotations; the ``skipped`` ones skipped."""
    found = by_session(api, results)
    for es, result in found.items():
        if es in skipped:
            assert result.skipped and result.error is None, result
            assert result.events is None and result.annotations is None, result
            continue
        assert result.ok, (es, result.error)
        assert result.events is not None and result.annotations is not None, result
        got = [(e.sid, e.subject) for e in result.events]
        assert got == [(e["sid"], e["subject"]) for e in api.events[es]], es
        assert [a.sid for a in result.annotations] == [a["sid"] for a in api.annotations[es]]
        assert result.session is not None, result
        assert result.session.sid == es and result.session.status == api.status(es), result
    return found


def warnings_naming(records: Sequence[logging.LogRecord], text: str) -> list[str]:
    return [
        r.getMessage()
        for r in records
        if r.name.startswith(LOGGER) and r.levelno == logging.WARNING and text in r.getMessage()
    ]


def fallbacks(records: Sequence[logging.LogRecord]) -> list[str]:
    """The lines saying a route now asks for 50 (one per route template, at INFO)."""
    return [
        r.getMessage()
        for r in records
        if r.name.startswith(LOGGER) and r.levelno == logging.INFO and "refused" in r.getMessage()
    ]


def session_requests(server: RawServer, es: str) -> list[str]:
    """Requests naming session ``es`` in their path (details, events, annotations)."""
    return [r.target for r in server.requests if f"/sessions/{es}" in r.path]


def details_requests(server: RawServer, api: MiniAPI) -> list[str]:
    """Exam Session Details requests."""
    paths = {session_path(es, ai=api.ai, ex=api.exam(es)) for es in api.sessions}
    return [r.target for r in server.requests if r.path in paths]


def storm(
    api: MiniAPI, rng: random.Random
) -> tuple[Callable[[Request], Handler | None], Counter[str]]:
    """30 % of the requests fail: 5xx, reset, a body cut short, 429 + Retry-After, a stall."""
    kinds = ["status", "reset", "truncated", "429", "stall"]
    faults: Counter[str] = Counter()

    async def honest(request: Request, conn: Conn) -> None:
        await conn.send(api.honest(request))

    def fault(request: Request) -> Handler | None:
        if rng.random() >= 0.3:
            return None
        kind = rng.choice(kinds)
        faults[kind] += 1
        if kind == "status":
            status = rng.choice([500, 502, 503, 504])
            return answer(json_response({"code": "OOPS", "message": "try later"}, status))
        if kind == "reset":
            return reset
        if kind == "truncated":
            body = api.honest(request).partition(b"\r\n\r\n")[2]
            return closing(response(200, body[: len(body) // 2], length=len(body)))
        if kind == "429":
            return answer(
                json_response({"code": "SLOWDOWN"}, 429, headers=[("Retry-After", "0.01")])
            )
        return stall(0.2, honest)

    return fault, faults


# ------------------------------------------------------------------ the fault storm

STORM_EXAMS = [sid("EX", x + 1) for x in range(4)]


def storm_api(rng: random.Random) -> MiniAPI:
    """18 sessions over three exams and one exam of a single session; two sessions have
    no event, two are not over, and one row of the third exam's list names no session."""
    sessions = [sid("ES", k + 1) for k in range(19)]
    counts = {es: rng.randint(0, 120) for es in sessions}
    counts[sessions[0]] = counts[sessions[6]] = 0
    counts[sessions[4]] = counts[sessions[8]] = 25  # not over: rows the list holds anyway
    exam_of = {es: STORM_EXAMS[k % 3] for k, es in enumerate(sessions[:18])}
    exam_of[sessions[18]] = STORM_EXAMS[3]
    return MiniAPI(
        counts,
        page_cap=7,
        exam_of=exam_of,
        status_of={sessions[4]: "In Progress", sessions[8]: "Scheduled"},
        annotation_counts={es: rng.randint(0, 12) for es in sessions},
        appointment_dates=True,
        make_event=exam_event,
        seed=rng.randint(0, 1000),
        row_session_sid=False,
        # Row 30 of the third exam (on its fifth page): that exam must be read per session.
        odd_rows=lambda ex, index: ex == STORM_EXAMS[2] and index == 30,
    )


@pytest.mark.parametrize("page_size", [10, "auto"])
@pytest.mark.parametrize("entry", ["exams", "install"])
async def test_a_fault_storm_loses_repeats_and_misplaces_nothing(
    entry: Entry, page_size: int | str, caplog: pytest.LogCaptureFixture
) -> None:
    rng = random.Random(20240502)
    api = storm_api(rng)
    api.fault, faults = storm(api, rng)
    not_over = [es for es in api.sessions if api.status(es) != "Closed"]
    progress: list[tuple[int, int | None, int]] = []
    retry = sp.RetryPolicy(max_attempts=12, base_delay=0.001, max_delay=0.01)
    options = {"retry": retry, "timeout": 1.0, "page_size": page_size}
    async with connected(api, max_requests=5_000, **options) as (server, client):
        with caplog.at_level(logging.WARNING, logger=LOGGER), anyio.fail_after(40):
            results = await gather(
                client,
                api,
                entry,
                plan="exam",
                on_progress=lambda done, total, failed: progress.append((done, total, failed)),
            )
    assert all(faults[kind] for kind in ("status", "reset", "truncated", "429", "stall")), faults
    # gather_exam_results syncs every session; gather_install_results the finished ones.
    skipped = not_over if entry == "install" else []
    found = check_exact(api, results, skipped=skipped)
    for es in skipped:
        assert session_requests(server, es) == []
    assert len(progress) == len(api.sessions) and progress[-1][0] == len(api.sessions)
    assert progress[-1][2] == 0
    # The third exam's list has a row naming no session: read per session, and said so.
    assert warnings_naming(caplog.records, STORM_EXAMS[2])
    for es, result in found.items():
        if es not in skipped:
            # The rows of sessions not synced are no reason to read an exam per session.
            want = "session" if api.exam(es) == STORM_EXAMS[2] else "exam"
            assert result.plan == want, result
            # Every row has a status and an appointmentDate: no details request.
            assert result.details_from_report, result
    assert details_requests(server, api) == []


# ------------------------------------------------------------------ the exam plan, calm

CALM_EXAMS = [sid("EX", 11), sid("EX", 12)]


def calm_api(**options: Any) -> MiniAPI:
    """Two exams: four sessions (0, 13, 27 and 40 events) and three (5, 0, 31), page 10."""
    counts = [0, 13, 27, 40, 5, 0, 31]
    sessions = [sid("ES", 100 + k) for k in range(len(counts))]
    options.setdefault("annotation_counts", {es: k * 4 for k, es in enumerate(sessions)})
    return MiniAPI(
        dict(zip(sessions, counts, strict=True)),
        exam_of={es: CALM_EXAMS[0] if k < 4 else CALM_EXAMS[1] for k, es in enumerate(sessions)},
        make_event=exam_event,
        seed=7,
        **options,
    )


@pytest.mark.parametrize(
    ("dates", "full_details", "from_report"),
    [(True, False, True), (False, False, False), (True, True, False)],
    ids=["report-details", "report-without-dates", "full-details"],
)
async def test_the_exam_plan_reads_each_exam_list_once(
    dates: bool, full_details: bool, from_report: bool
) -> None:
    api = calm_api(appointment_dates=dates)
    async with connected(api, max_requests=300) as (server, client):
        with anyio.fail_after(10):
            results = await client.gather_exam_results(
                exam_handles(client, api), full_details=full_details
            )
    found = check_exact(api, results)
    assert {r.plan for r in found.values()} == {"exam"}
    assert {r.details_from_report for r in found.values()} == {from_report}
    pages = Counter(r.target for r in server.requests)
    assert max(pages.values()) == 1, [key for key, n in pages.items() if n > 1]
    for ex in CALM_EXAMS:
        rows = sum(api.sessions[es] for es in api.sessions if api.exam(es) == ex)
        offsets = sorted(r.offset for r in server.requests if r.path == exam_events_path(ex))
        assert offsets == list(range(0, rows + 1 if rows % 10 == 0 else rows, 10)), (ex, offsets)
        report = [r for r in server.requests if r.path.endswith("/reports/appointments")]
        assert any(r.query.get("examSid") == ex for r in report)
    for es in api.sessions:
        assert not any(r.path == events_path(es, ex=api.exam(es)) for r in server.requests)
        details = [r for r in server.requests if r.path == session_path(es, ex=api.exam(es))]
        assert len(details) == (0 if from_report else 1), es


# ------------------------------------------------------------------ untrusted exam-level rows

BAD, GOOD = CALM_EXAMS
ROW = 23  # on the third of the eight pages of the bad exam's list (page 10)

FALLBACKS: dict[str, dict[str, Any]] = {
    "no-session-sid": {"row_session_sid": False, "odd_rows": lambda ex, i: ex == BAD},
    "one-row-without-session-sid": {
        "row_session_sid": False,
        "odd_rows": lambda ex, i: ex == BAD and i == ROW,
    },
    "foreign-exam-sid": {"row_exam_sid": GOOD, "odd_rows": lambda ex, i: ex == BAD},
    "one-foreign-exam-sid": {
        "row_exam_sid": GOOD,
        "odd_rows": lambda ex, i: ex == BAD and i == ROW,
    },
    "foreign-install-sid": {
        "row_install_sid": sid("AI", 9),
        "odd_rows": lambda ex, i: ex == BAD and i == ROW,
    },
    # The row names a session of the other exam (and this exam's SID): trusting it
    # would put this exam's event into that session's result.
    "session-of-another-exam": {
        "row_session_sid_as": sid("ES", 104),  # the good exam's first session
        "odd_rows": lambda ex, i: ex == BAD and i == ROW,
    },
}


def failing_list(kind: str, *, from_offset: int) -> Callable[[MiniAPI], None]:
    """The bad exam's exam-level list fails (for good) from ``from_offset`` on."""

    def install(api: MiniAPI) -> None:
        path = exam_events_path(BAD)

        def fault(request: Request) -> Handler | None:
            if request.path != path or request.offset < from_offset:
                return None
            if kind == "503":
                return answer(json_response({"code": "OOPS", "message": "down"}, 503))
            if kind == "not-a-page":
                return answer(response(200, b"<html>oops</html>", content_type="text/html"))
            return answer(json_response({"results": "nope", "total": 80, "offset": 0}))

        api.fault = fault

    return install


LIST_FAILURES = {
    "list-503": failing_list("503", from_offset=0),
    "list-503-midway": failing_list("503", from_offset=20),
    "list-not-a-page-midway": failing_list("not-a-page", from_offset=30),
    "list-bad-results-midway": failing_list("bad-results", from_offset=30),
}


@pytest.mark.parametrize("entry", ["exams", "install"])
@pytest.mark.parametrize("case", list(FALLBACKS) + list(LIST_FAILURES))
async def test_untrusted_exam_level_rows_fall_back_to_per_session_lists(
    case: str, entry: Entry, caplog: pytest.LogCaptureFixture
) -> None:
    api = calm_api(**FALLBACKS.get(case, {}))
    if case in LIST_FAILURES:
        LIST_FAILURES[case](api)
    async with connected(api, max_requests=400) as (server, client):
        with caplog.at_level(logging.WARNING, logger=LOGGER), anyio.fail_after(15):
            if entry == "exams":
                collected: list[sp.SessionResult] = []
                async with client.stream_exam_results(
                    exam_handles(client, api), plan="exam"
                ) as stream:
                    async for result in stream:
                        collected.append(result)
            else:
                collected = await client.gather_install_results(api.ai, plan="exam")
    found = check_exact(api, collected)
    assert warnings_naming(caplog.records, BAD), [r.getMessage() for r in caplog.records]
    # Nothing is said about the good exam (it may be named as the foreign one).
    assert not [m for m in warnings_naming(caplog.records, GOOD) if BAD not in m]
    for es, result in found.items():
        if api.exam(es) == BAD:
            assert result.plan == "session", result
            if api.sessions[es]:
                assert any(r.path == events_path(es, ex=BAD) for r in server.requests), es
        else:
            assert result.plan == "exam", result
            assert not any(r.path == events_path(es, ex=GOOD) for r in server.requests), es


@pytest.mark.parametrize("entry", ["exams", "install"])
async def test_a_row_naming_a_session_the_report_does_not_list_loses_no_event(
    entry: Entry,
) -> None:
    # One row of the bad exam names a session no report row lists (all of the exam's
    # sessions are listed: no filter). Its event is one of the exam's own sessions'
    # (their own lists say so): dropping the row would lose it.
    api = calm_api(row_session_sid_as=sid("ES", 999), odd_rows=lambda ex, i: ex == BAD and i == ROW)
    async with connected(api, max_requests=400) as (_server, client):
        with anyio.fail_after(15):
            results = await gather(client, api, entry, plan="exam")
    check_exact(api, results)


# ------------------------------------------------------------------ auto: which plan per exam

SOLO, MANY, HEAVY, DUO = (sid("EX", 21 + k) for k in range(4))


async def test_auto_picks_the_cheaper_plan_per_exam() -> None:
    # Page 10. MANY: 10 sessions x 2 events = 2 exam-level pages against 10 session
    # lists: the exam list. HEAVY: 6 x 100 = 60 pages, of which 2 sessions are over:
    # their own lists, about 22 requests: per session. SOLO has one session; DUO two, of
    # which one is not over: one to sync, so per session.
    counts: dict[str, int] = {}
    exam_of: dict[str, str] = {}
    for ex, sessions, events in [(SOLO, 1, 30), (MANY, 10, 2), (HEAVY, 6, 100), (DUO, 2, 4)]:
        for _ in range(sessions):
            es = sid("ES", 200 + len(counts))
            counts[es], exam_of[es] = events, ex
    duo_open = next(es for es, ex in exam_of.items() if ex == DUO)
    heavy_open = [es for es, ex in exam_of.items() if ex == HEAVY][2:]
    api = MiniAPI(
        counts,
        exam_of=exam_of,
        status_of={es: "In Progress" for es in [duo_open, *heavy_open]},
        appointment_dates=True,
        make_event=exam_event,
        seed=3,
    )
    async with connected(api, max_requests=400) as (server, client):
        with anyio.fail_after(15):
            results = await client.gather_install_results(client.install(AI))
    found = check_exact(api, results, skipped=[duo_open, *heavy_open])
    want = {SOLO: "session", MANY: "exam", HEAVY: "session", DUO: "session"}
    for es, result in found.items():
        if es not in (duo_open, *heavy_open):
            assert result.plan == want[api.exam(es)], (api.exam(es), result)
    lists = Counter(r.path for r in server.requests)
    assert lists[exam_events_path(SOLO)] == 0
    assert lists[exam_events_path(DUO)] == 0
    # HEAVY's first page told the cost: that page only, no page fetched ahead.
    assert lists[exam_events_path(HEAVY)] <= 1
    assert session_requests(server, duo_open) == []
    assert all(session_requests(server, es) == [] for es in heavy_open)


# ------------------------------------------------------------------ page_size="auto"


def limits(server: RawServer, path: str | None = None) -> list[int]:
    """The ``limit`` of each list request (in arrival order), as sent."""
    return [
        int(r.query["limit"])
        for r in server.requests
        if "limit" in r.query and (path is None or r.path == path)
    ]


async def test_auto_falls_back_to_50_once_per_route_for_the_client_and_its_views(
    caplog: pytest.LogCaptureFixture,
) -> None:
    es1, es2 = sid("ES", 301), sid("ES", 302)
    api = MiniAPI(
        {es1: 230, es2: 120}, max_limit=100, annotation_counts={es1: 60}, make_event=exam_event
    )
    async with connected(api, max_requests=100, page_size="auto") as (server, client):
        with caplog.at_level(logging.INFO, logger=LOGGER), anyio.fail_after(10):
            first = await session_of(client, es1).events().collect()
            assert limits(server) == [500, 50, 50, 50, 50, 50], limits(server)
            second = await session_of(client, es2).events().collect()
            async with client.with_options(timeout=4.0) as view:
                notes = await session_of(view, es1).annotations().collect()
                again = await session_of(view, es2).annotations().collect()
            report = await client.install(AI).reports.appointments().collect()
    assert [e.sid for e in first] == [e["sid"] for e in api.events[es1]]
    assert [e.sid for e in second] == [e["sid"] for e in api.events[es2]]
    assert [a.sid for a in notes] == [a["sid"] for a in api.annotations[es1]]
    assert again == []
    assert [a.sid for a in report] == [es1, es2]
    # Each route (template) asks 500 once, on its first list, then 50: the second
    # session's events and annotations ask 50 at once.
    firsts = [r.path for r in server.requests if r.limit == 500]
    report_path = f"/v1/installs/{AI}/reports/appointments"
    assert firsts == [events_path(es1), session_path(es1) + "/annotations", report_path]
    assert all("limit" in r.query for r in server.requests)  # every request was a list
    assert warnings_naming(caplog.records, "limit") == []
    said = fallbacks(caplog.records)
    assert len(said) == 3 and all("{installSid}" in line for line in said), said


async def test_auto_falls_back_once_when_many_lists_are_refused_at_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    sessions = {sid("ES", 310 + k): 60 + k for k in range(6)}
    api = MiniAPI(sessions, max_limit=100, make_event=exam_event)
    refs = [sp.SessionRef(AI, api.ex, es) for es in sessions]
    async with connected(api, max_requests=200, page_size="auto") as (server, client):
        with caplog.at_level(logging.INFO, logger=LOGGER), anyio.fail_after(10):
            results = await client.gather_session_results(refs, concurrency=6)
            before = len(server.requests)
            again = await session_of(client, sid("ES", 310)).events().collect()
    for ref, result in zip(refs, results, strict=True):
        assert result.ok, result
        assert result.events is not None
        assert [e.sid for e in result.events] == [e["sid"] for e in api.events[ref.session_sid]]
    assert len(again) == 60
    refused = [r for r in server.requests if r.query.get("limit") == "500"]
    # At most the first request of each list that started before the refusal came back.
    assert len(refused) <= 2 * len(sessions), len(refused)
    assert {r.limit for r in server.requests[before:]} == {50}
    # Once per route (events, annotations), however many lists were refused at once.
    assert len(fallbacks(caplog.records)) == 2, fallbacks(caplog.records)


@pytest.mark.parametrize(
    "message",
    [
        "offset must be >= 0",
        "examSid is not a valid SID",
        "sortOrder: unlimited is not allowed",
        "Daily export limit reached",
        "Request limit exceeded",
    ],
)
async def test_a_400_not_about_the_size_is_raised_after_one_more_request(message: str) -> None:
    # Its words are not read (a refused size need not be named): it is asked again at
    # 50, and refused there too, it is the real error; the route keeps asking 500.
    refusal = json_response({"code": "INVALIDINPUT", "message": message}, 400)
    api = MiniAPI({ES: 120})
    refusals = 2

    async def handle(request: Request, conn: Conn) -> None:
        nonlocal refusals
        if refusals:
            refusals -= 1
            await conn.send(refusal)
        else:
            await conn.send(api.honest(request))

    async with connected(handle, max_requests=50, page_size="auto") as (server, client):
        with anyio.fail_after(5), pytest.raises(sp.errors.InvalidInputError):
            await session_of(client).events().collect()
        assert limits(server) == [500, 50]
        with anyio.fail_after(5):
            got = await session_of(client).events().collect()
    assert len(got) == 120
    assert limits(server)[:3] == [500, 50, 500]  # no fallback stuck


@pytest.mark.parametrize(
    "message", ["limit must be <= 100", "Invalid value for parameter 'limit'", "LIMIT too large"]
)
async def test_a_400_naming_limit_is_raised_for_a_fixed_page_size(message: str) -> None:
    refusal = json_response({"code": "INVALIDINPUT", "message": message}, 400)
    async with connected(answer(refusal), max_requests=50, page_size=100) as (server, client):
        with anyio.fail_after(5), pytest.raises(sp.errors.InvalidInputError):
            await session_of(client).events().collect()
    assert limits(server) == [100]


async def test_a_server_refusing_even_50_is_raised_after_two_requests() -> None:
    api = MiniAPI({ES: 120}, max_limit=20)
    async with connected(api, max_requests=50, page_size="auto") as (server, client):
        for _ in range(2):
            with anyio.fail_after(5), pytest.raises(sp.errors.InvalidInputError):
                await session_of(client).events().collect()
    # Refused at 50 too: not about the size, so the next list asks for 500 again.
    assert limits(server) == [500, 50, 500, 50]


async def read_all(api: MiniAPI, page_size: int | str) -> tuple[list[str], RawServer]:
    async with connected(api, max_requests=200, page_size=page_size) as (server, client):
        with anyio.fail_after(10):
            got = [e.sid async for e in session_of(client).events()]
    return [s for s in got if s is not None], server


COUNTS = [0, 1, 49, 50, 51, 100, 119, 120, 121, 239, 240, 241, 500, 501, 1234]


def needs_at_50(count: int) -> int:
    """Requests page_size=50 needs for ``count`` records from a server sending at least
    50 a page: full pages, then a short (maybe empty) one."""
    return count // 50 + 1


@pytest.mark.parametrize("count", COUNTS)
async def test_auto_follows_a_server_sending_at_most_120(count: int) -> None:
    api = MiniAPI({ES: count}, page_cap=120)
    want = [e["sid"] for e in api.events[ES]]
    got, server = await read_all(api, "auto")
    fixed, baseline = await read_all(MiniAPI({ES: count}, page_cap=120), 50)
    assert got == want and fixed == want
    assert limits(server)[0] == 500
    # Pages of the server's length; a first page reaching the total is confirmed.
    offsets = [r.offset for r in server.requests]
    assert all(n % 120 == 0 or n == count for n in offsets), offsets
    assert len(baseline.requests) == needs_at_50(count)
    assert len(server.requests) <= needs_at_50(count), len(server.requests)


@pytest.mark.parametrize("count", [50, 100, 101, 230, 300])
@pytest.mark.parametrize("cap", [50, 100])
async def test_auto_reads_past_a_total_capped_at_the_page_cap(cap: int, count: int) -> None:
    # The server sends at most ``cap`` records a page and announces at most ``cap``
    # records in all: a first page of ``cap`` records "reaching" the total must be
    # confirmed, or the list ends after one page.
    api = MiniAPI({ES: count}, page_cap=cap, total_cap=cap)
    got, server = await read_all(api, "auto")
    assert got == [e["sid"] for e in api.events[ES]]
    _, baseline = await read_all(MiniAPI({ES: count}, page_cap=cap, total_cap=cap), 50)
    assert len(baseline.requests) == needs_at_50(count)
    assert len(server.requests) <= needs_at_50(count), len(server.requests)


async def read_until_error(api: MiniAPI) -> tuple[list[str], Exception | None, RawServer]:
    got: list[str] = []
    error: Exception | None = None
    async with connected(api, max_requests=200, page_size="auto") as (server, client):
        with anyio.fail_after(10):
            try:
                async for item in session_of(client).events():
                    got.append(str(item.sid))
            except sp.SmarterProctoringError as exc:
                error = exc
    return got, error, server


@pytest.mark.parametrize("count", [100, 230])
async def test_auto_delivers_every_record_when_each_page_announces_its_length(count: int) -> None:
    # Every page announces its own length as the total (a "total" that is a count): the
    # first page "reaches" it, and only the confirming request finds the rest.
    api = MiniAPI({ES: count}, page_cap=100, total_is_page=True)
    got, _error, server = await read_until_error(api)
    assert got == [e["sid"] for e in api.events[ES]]
    assert len(server.requests) <= 40


@pytest.mark.parametrize("count", [100, 230])
async def test_auto_ends_cleanly_when_each_page_announces_its_length(count: int) -> None:
    # The empty page past the end announces total 0: the end, not a deletion to step
    # back from (which looped until the request budget raised DecodeError).
    api = MiniAPI({ES: count}, page_cap=100, total_is_page=True)
    got, error, server = await read_until_error(api)
    assert error is None
    assert got == [e["sid"] for e in api.events[ES]]
    # The pages, a step back where the short last page "shrank" the total, the empty one.
    assert len(server.requests) <= count // 50 + 2


async def test_an_empty_page_announcing_zero_inside_the_list_ends_nothing() -> None:
    # Once, mid-list, the server answers an empty page with total 0: not the end of a
    # list that announced 300 records; every record still comes, or an error says not.
    api = MiniAPI({ES: 300}, page_cap=100)
    glitched = False

    def fault(request: Request) -> Handler | None:
        nonlocal glitched
        if glitched or request.offset != 100:
            return None
        glitched = True
        return answer(json_response(page([], total=0, offset=100)))

    api.fault = fault
    got, error, _server = await read_until_error(api)
    assert glitched
    assert error is not None or got == [e["sid"] for e in api.events[ES]]


# ------------------------------------------------------------------ a sync against such servers


async def test_an_install_sync_against_a_server_capping_limit_at_100(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Many lists start at once, each asking 500 first: each is refused and read at 50,
    # none fails or falls back to per-session reading, and the client says it once.
    api = calm_api(appointment_dates=True, max_limit=100)
    async with connected(api, max_requests=400, page_size="auto") as (server, client):
        with caplog.at_level(logging.INFO, logger=LOGGER), anyio.fail_after(15):
            results = await client.gather_install_results(AI, plan="exam")
            before = len(server.requests)
            await client.gather_install_results(AI, plan="exam")
    found = check_exact(api, results)
    assert {r.plan for r in found.values()} == {"exam"}
    warned = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert warned == []
    # Once per route read (appointments, exam events, annotations), not per list.
    said = fallbacks(caplog.records)
    assert len(said) == len(set(said)) == 3, said
    assert {r.limit for r in server.requests[before:]} == {50}


async def test_leaving_an_install_stream_leaves_no_request_behind() -> None:
    counts: dict[str, int] = {}
    exam_of: dict[str, str] = {}
    for x in range(6):
        for _ in range(5):
            es = sid("ES", 400 + len(counts))
            counts[es], exam_of[es] = 6, sid("EX", 40 + x)
    api = MiniAPI(
        counts,
        exam_of=exam_of,
        annotation_counts=dict.fromkeys(counts, 3),
        appointment_dates=True,
        make_event=exam_event,
        delay=0.02,
    )
    async with connected(api, max_requests=1_000, rate_limit=50.0, burst=1) as (server, client):
        with anyio.fail_after(15):
            async with client.stream_install_results(AI, plan="exam", concurrency=2) as results:
                done = 0
                async for result in results:
                    assert result.ok, result
                    done += 1
                    if done == 3:  # inside the first exam: the next exams are in progress
                        break
        left = time.monotonic()
        # Long enough for every request still queued in the limiter (50/s) to go out.
        await asyncio.sleep(1.0)
    late = [(round(r.time - left, 3), r.target) for r in server.requests if r.time > left + 0.01]
    assert late == []
    assert any(r.path == exam_events_path(sid("EX", 41)) for r in server.requests)


async def test_a_report_row_with_a_malformed_exam_sid_is_its_own_error() -> None:
    good = sid("ES", 901)
    rows = [
        {"sid": sid("ES", 900), "examSid": "EX-not-a-sid", "installSid": AI, "status": "Closed",
         "appointmentDate": "2024-05-01T10:00:00.000Z"},
        {"sid": good, "examSid": sid("EX", 7), "installSid": AI, "status": "Closed",
         "appointmentDate": "2024-05-01T10:00:00.000Z"},
    ]  # fmt: skip

    async def handle(request: Request, conn: Conn) -> None:
        if request.path.endswith("/reports/appointments"):
            await conn.send(json_response(page(rows if request.offset == 0 else [], total=2)))
        else:  # the good session's lists: empty
            await conn.send(json_response(page([], total=0)))

    async with connected(handle, max_requests=50) as (server, client):
        with anyio.fail_after(5):
            results = await client.gather_install_results(client.install(AI), plan="session")
    assert len(results) == 2
    bad = [r for r in results if r.error is not None]
    assert len(bad) == 1 and bad[0].ref is None
    assert isinstance(bad[0].error, sp.errors.InvalidSidError)
    assert [r.ref.session_sid for r in results if r.ok and r.ref] == [good]
    assert not any("EX-not-a-sid" in r.path for r in server.requests)


async def test_a_report_row_with_an_odd_value_keeps_it_in_extra_at_no_request() -> None:
    es = sid("ES", 910)
    ex = sid("EX", 7)
    row = {"sid": es, "examSid": ex, "installSid": AI, "status": "Closed",
           "appointmentDate": "2024-05-01T10:00:00.000Z", "duration": "an hour"}  # fmt: skip

    async def handle(request: Request, conn: Conn) -> None:
        if request.path.endswith("/reports/appointments"):
            await conn.send(json_response(page([row] if request.offset == 0 else [], total=1)))
        elif request.path == session_path(es, ex=ex):
            await conn.send(json_response({**row, "duration": 3600}))
        else:  # its lists: empty
            await conn.send(json_response(page([], total=0)))

    async with connected(handle, max_requests=50) as (server, client):
        with anyio.fail_after(5):
            (result,) = await client.gather_install_results(client.install(AI))
    assert result.ok, result.error
    # A value that fits no rule no longer fails the row: it stays in extra, loudly.
    assert result.session is not None and result.session.duration is None
    assert result.session.extra["duration"] == "an hour"
    assert result.details_from_report
    assert sum(r.path == session_path(es, ex=ex) for r in server.requests) == 0


async def test_an_exam_whose_report_keeps_failing_is_one_error_and_the_others_go_on() -> None:
    counts = {sid("ES", 300 + k): 3 for k in range(6)}
    exam_of = {es: (SOLO if k < 3 else MANY) for k, es in enumerate(counts)}
    api = MiniAPI(counts, exam_of=exam_of, appointment_dates=True, make_event=exam_event)

    def fault(request: Request) -> Handler | None:
        if request.path.endswith("/reports/appointments") and request.query.get("examSid") == SOLO:
            return answer(json_response({"code": "OOPS", "message": "try later"}, 503))
        return None

    api.fault = fault
    retry = sp.RetryPolicy(max_attempts=2, base_delay=0.001, max_delay=0.01)
    async with connected(api, max_requests=200, retry=retry) as (_server, client):
        exams = [client.install(AI).exam(SOLO), client.install(AI).exam(MANY)]
        with anyio.fail_after(10):
            results = await client.gather_exam_results(exams)
    failed = [r for r in results if r.error is not None]
    assert len(failed) == 1 and failed[0].ref is None
    assert isinstance(failed[0].error, sp.errors.ServerError)
    fetched = {r.ref.session_sid for r in results if r.ok and r.ref}
    assert fetched == {es for es, ex in exam_of.items() if ex == MANY}


async def test_a_sync_into_a_store_through_a_fault_storm_stores_exactly_what_was_served(
    tmp_path: Any,
) -> None:
    # client.sync against a server that is not our fake: the store must hold each
    # finished session's events and annotations exactly as served, in order, once.
    rng = random.Random(20261206)
    api = storm_api(rng)
    api.fault, faults = storm(api, rng)
    done = [es for es in api.sessions if api.status(es) == "Closed"]
    retry = sp.RetryPolicy(max_attempts=12, base_delay=0.001, max_delay=0.01)
    async with (
        connected(api, max_requests=5_000, retry=retry, timeout=1.0) as (server, client),
        sp.Store(f"sqlite:///{tmp_path / 'store.db'}") as store,
    ):
        with anyio.fail_after(40):
            first = await client.sync(api.ai, store)
        events: dict[str, list[Any]] = {}
        async for row in store.rows("events"):
            events.setdefault(row["session_sid"], []).append(json.loads(row["wire"]))
        annotations: dict[str, list[str]] = {}
        async for row in store.rows("annotations"):
            annotations.setdefault(row["session_sid"], []).append(json.loads(row["wire"])["sid"])
        assert (first.stored, first.failed) == (len(done), 0), first.errors
        # Every 429 the server sent is counted, in the summary and in the run log.
        assert first.rate_limited == faults["429"] > 0, (first, faults)
        assert [row["rate_limited"] async for row in store.rows("runs")] == [faults["429"]]
        assert sorted(await store.versions(api.ai)) == sorted(done)
        for es in done:
            # As served: an exam-level row is the session's event plus its parent SIDs.
            stored, served = events.get(es, []), api.events[es]
            assert len(stored) == len(served), es
            kept = [{k: w.get(k) for k in e} for w, e in zip(stored, served, strict=True)]
            assert kept == served, es
            assert annotations.get(es, []) == [a["sid"] for a in api.annotations[es]], es
        api.fault = None
        before = len(server.requests)
        with anyio.fail_after(20):
            second = await client.sync(api.ai, store)
        assert (second.stored, second.unchanged) == (0, len(done))
        assert all("/reports/appointments" in r.path for r in server.requests[before:])


class _Counting(MiniAPI):
    """Report rows count their session's events (``sessionReportCount``); the exam-level
    list leaves out the events of the sessions in ``hidden``."""

    hidden: frozenset[str] = frozenset()

    def appointment(self, es: str) -> dict[str, Any]:
        return {**super().appointment(es), "sessionReportCount": len(self.events[es])}

    def exam_rows(self, ex: str) -> list[dict[str, Any]]:
        return [row for row in super().exam_rows(ex) if row["sessionSid"] not in self.hidden]


@pytest.mark.parametrize("plan", ["exam", "auto"])
async def test_a_session_the_exam_list_leaves_out_is_read_on_its_own(
    plan: Literal["exam", "auto"], caplog: pytest.LogCaptureFixture
) -> None:
    counts = {sid("ES", 900 + k): 6 for k in range(4)}
    api = _Counting(counts, make_event=exam_event)
    left_out = sid("ES", 902)
    api.hidden = frozenset({left_out})
    caplog.set_level(logging.WARNING, logger=LOGGER)
    async with connected(api, max_requests=200) as (server, client):
        with anyio.fail_after(10):
            results = await gather(client, api, "exams", plan=plan)
    found = by_session(api, results)
    assert {es: len(r.events or ()) for es, r in found.items()} == counts
    assert [e.sid for e in found[left_out].events or ()] == [e["sid"] for e in api.events[left_out]]
    assert any(
        "fewer events than their report rows count" in r.getMessage() for r in caplog.records
    )
    own = [r for r in server.requests if r.path == events_path(left_out)]
    assert own, "the left-out session's own list was read"
    assert found[left_out].plan == "session"
    assert {r.plan for es, r in found.items() if es != left_out} == {"exam"}


async def test_events_of_a_session_filtered_out_of_the_run_are_said_not_kept(
    caplog: pytest.LogCaptureFixture,
) -> None:
    counts = {sid("ES", 950 + k): 4 for k in range(3)}
    running = sid("ES", 951)
    api = MiniAPI(counts, make_event=exam_event, status_of={running: "In Progress"})
    caplog.set_level(logging.INFO, logger=LOGGER)
    async with connected(api, max_requests=200) as (_server, client):
        with anyio.fail_after(10):
            results = await client.gather_install_results(api.ai, plan="exam", status="Closed")
    assert sorted(r.ref.session_sid for r in results if r.ref) == sorted(set(counts) - {running})
    assert all(r.ok and len(r.events or ()) == 4 for r in results)
    said = [
        r.getMessage() for r in caplog.records if "outside this run's report rows" in r.getMessage()
    ]
    assert len(said) == 1, said
