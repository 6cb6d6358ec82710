"""Scoped tokens: a 401 or 403 on one exam while the token works stays with that exam;
once ``/v1/check`` refuses the token too, every bulk method ends with
``AuthenticationError`` itself (never an exception group, never one session's error).

The server is an install of three exams. Every request about the denied exam (its
sessions, its exam-level list, the appointments report asked for it) answers the API
maker's refusal; ``GET /v1/check`` says whether the token itself still works.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import anyio
import pytest

import smarterproctoring_async as sp
from smarterproctoring_async.cli import main

from ._helpers import TOKEN, connected, ref
from ._server import (
    AI,
    Handler,
    MiniAPI,
    RawServer,
    Request,
    answer,
    exam_event,
    json_response,
    response,
    sid,
)

DENIED, OPEN_A, OPEN_B = (sid("EX", 61 + k) for k in range(3))
REFUSAL = {
    "code": "5000",
    "message": "You are unauthorized to access or perform this action on this resource.",
    "status": 401,
}
TOKEN_WORKS = {"validated": True, "token": {"id": "x"}}
REASONS = {401: "Unauthorized", 403: "Forbidden"}

Scope = Literal["exam", "sessions", "install-report"]
Entry = Literal["install", "exam", "session"]
Method = Literal[
    "gather_session", "stream_session", "gather_exam", "stream_exam", "gather_install",
    "stream_install",
]  # fmt: skip
METHODS: list[Method] = [
    "gather_session", "stream_session", "gather_exam", "stream_exam", "gather_install",
    "stream_install",
]  # fmt: skip


def about_denied(request: Request, scope: Scope = "exam") -> bool:
    """Whether ``request`` is about the denied exam (``"sessions"``: its sessions only;
    ``"install-report"``: the install's appointments report instead)."""
    if scope == "install-report":
        return request.path.endswith("/reports/appointments")
    if scope == "sessions":
        return f"/exams/{DENIED}/sessions/" in request.path
    return f"/exams/{DENIED}/" in request.path or request.query.get("examSid") == DENIED


def scoped_api(status: int, *, token_works: bool, scope: Scope = "exam") -> MiniAPI:
    """Three exams of six sessions; every request about the denied one answers ``status``."""
    sessions = [sid("ES", 600 + k) for k in range(18)]
    api = MiniAPI(
        {es: k % 7 for k, es in enumerate(sessions)},
        exam_of={es: (DENIED, OPEN_A, OPEN_B)[k // 6] for k, es in enumerate(sessions)},
        annotation_counts={es: k % 3 for k, es in enumerate(sessions)},
        appointment_dates=True,
        make_event=exam_event,
    )
    refused = response(status, json.dumps(REFUSAL).encode(), reason=REASONS[status])
    checked = json_response(TOKEN_WORKS) if token_works else json_response(REFUSAL, 401)

    def fault(request: Request) -> Handler | None:
        if request.path == "/v1/check":
            return answer(checked)
        if about_denied(request, scope):
            return answer(refused)
        return None

    api.fault = fault
    return api


def denied_requests(server: RawServer) -> list[str]:
    """The requests about the denied exam (``/v1/check`` is not one)."""
    return [r.target for r in server.requests if about_denied(r)]


def check_open_sessions(api: MiniAPI, results: list[sp.SessionResult]) -> None:
    """Every session of the open exams once, complete: details, events, annotations."""
    found = {r.ref.session_sid: r for r in results if r.ref and r.ref.exam_sid != DENIED}
    assert sorted(found) == sorted(es for es in api.sessions if api.exam(es) != DENIED)
    for es, result in found.items():
        assert result.ok, (es, result.error)
        assert result.session is not None and result.session.sid == es
        assert [e.sid for e in result.events or ()] == [e["sid"] for e in api.events[es]]
        assert [a.sid for a in result.annotations or ()] == [a["sid"] for a in api.annotations[es]]


async def run(
    client: sp.Client, api: MiniAPI, method: Method, **options: Any
) -> list[sp.SessionResult]:
    """Every session of ``api`` through one bulk method."""
    refs = [ref(es, ex=api.exam(es)) for es in api.sessions]
    exams = [client.install(AI).exam(ex) for ex in api.exams()]
    got: list[sp.SessionResult] = []
    stream: Any
    if method == "gather_session":
        return await client.gather_session_results(refs, **options)
    if method == "gather_exam":
        return await client.gather_exam_results(exams, **options)
    if method == "gather_install":
        return await client.gather_install_results(AI, **options)
    if method == "stream_session":
        stream = client.stream_session_results(refs, **options)
    elif method == "stream_exam":
        stream = client.stream_exam_results(exams, **options)
    else:
        stream = client.stream_install_results(AI, **options)
    async with stream as results:
        async for result in results:
            got.append(result)
    return got


# ------------------------------------------------------------------ the token works


ENTRIES: dict[Entry, Method] = {
    "install": "gather_install",
    "exam": "gather_exam",
    "session": "gather_session",
}


@pytest.mark.parametrize("status", [403, 401])
@pytest.mark.parametrize("entry", list(ENTRIES))
async def test_a_denied_exam_is_confined_and_the_others_sync(entry: Entry, status: int) -> None:
    api = scoped_api(status, token_works=True)
    concurrency = 2
    async with connected(api, max_requests=400) as (server, client):
        with anyio.fail_after(15):
            results = await run(client, api, ENTRIES[entry], concurrency=concurrency)
    check_open_sessions(api, results)
    refused = [r for r in results if r.error is not None]
    assert refused and all(type(r.error) is sp.PermissionDeniedError for r in refused), refused
    denied = [es for es in api.sessions if api.exam(es) == DENIED]
    if entry == "exam":  # the exam's report is refused: its one result, at one request
        assert len(refused) == 1 and refused[0].ref is None
        assert len(denied_requests(server)) == 1
        return
    assert sorted(r.ref.session_sid for r in refused if r.ref) == sorted(denied)
    assert len(refused) == len(denied) and len(results) == len(api.sessions)
    if entry == "install":
        # The exam-level list, the annotation lists in flight beside it, one session's
        # own events: not a refused request (or three) per session.
        assert len(denied_requests(server)) <= 2 + concurrency, denied_requests(server)


@pytest.mark.parametrize("method", ["gather_install", "stream_install"])
async def test_a_denied_exam_costs_its_list_and_one_session(method: Method) -> None:
    # No annotations, 8 at once: after the refused exam-level list, one session's own
    # list goes alone; refused too, the other five are not asked (not 8 in flight).
    api = scoped_api(403, token_works=True)
    async with connected(api, max_requests=400) as (server, client):
        with anyio.fail_after(15):
            results = await run(client, api, method, concurrency=8, annotations=False)
    refused = [r for r in results if r.error is not None]
    assert len(refused) == 6 and all(type(r.error) is sp.PermissionDeniedError for r in refused)
    assert {r.ref.exam_sid for r in refused if r.ref} == {DENIED}
    assert len(results) == len(api.sessions)
    asked = denied_requests(server)
    assert len(asked) == 2 and asked[0].startswith(f"/v1/installs/{AI}/exams/{DENIED}/events")


# ------------------------------------------------------------------ the token does not


@pytest.mark.parametrize("scope", ["exam", "sessions"])
@pytest.mark.parametrize("status", [401, 403])
@pytest.mark.parametrize("method", METHODS)
async def test_a_token_that_no_longer_works_ends_every_bulk_method(
    method: Method, status: int, scope: Scope
) -> None:
    api = scoped_api(status, token_works=False, scope=scope)
    async with connected(api, max_requests=400) as (server, client):
        with anyio.fail_after(15), pytest.raises(Exception) as caught:  # noqa: PT011
            await run(client, api, method, concurrency=3, only_terminal=False)
        error = caught.value
        assert type(error) is sp.AuthenticationError, repr(error)
        assert error.status == status
        assert error.__context__ is None and error.__cause__ is None, repr(error.__context__)
        sent = len(server.requests)
        await anyio.sleep(0.3)
        assert len(server.requests) == sent, "requests went on after the run raised"


# ------------------------------------------------------------------ the command line


def export(server: RawServer, out: Path) -> Callable[[], int]:
    """``sync`` of the install against ``server`` into a SQLite store in ``out``, as a
    call for a thread."""
    out.mkdir(exist_ok=True)
    argv = ["sync", "--install", AI, "--to", f"sqlite:///{out / 'store.db'}",
            "--base-url", server.base_url, "--rate-limit", "1000"]  # fmt: skip
    return lambda: main(argv)


def stored_sessions(out: Path) -> int:
    """How many sessions the store in ``out`` holds (read with sqlite3 itself)."""
    with contextlib.closing(sqlite3.connect(out / "store.db")) as db:
        return int(db.execute("SELECT count(*) FROM sessions").fetchone()[0])


@pytest.mark.parametrize("scope", ["exam", "install-report"])
async def test_the_cli_exits_1_when_the_token_may_not_read_some_of_it(
    scope: Scope,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SMARTERPROCTORING_TOKEN", TOKEN)
    api = scoped_api(403, token_works=True, scope=scope)
    async with RawServer(api, max_requests=400) as server:
        with anyio.fail_after(30):
            code = await anyio.to_thread.run_sync(export(server, tmp_path / "out"))
    err = capsys.readouterr().err
    assert code == 1, err
    assert "PermissionDeniedError" in err and "authentication failed" not in err
    if scope == "exam":  # its sessions failed, each said so; the others are stored
        stored = stored_sessions(tmp_path / "out")
        assert stored == sum(api.exam(es) != DENIED for es in api.sessions)


async def test_the_cli_exits_3_when_the_token_no_longer_works(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SMARTERPROCTORING_TOKEN", TOKEN)
    api = scoped_api(401, token_works=False)
    async with RawServer(api, max_requests=400) as server:
        with anyio.fail_after(30):
            code = await anyio.to_thread.run_sync(export(server, tmp_path / "out"))
    err = capsys.readouterr().err
    assert code == 3, err
    errors = [line for line in err.splitlines() if ": error: " in line]
    assert len(errors) == 1 and "authentication failed" in errors[0], err
