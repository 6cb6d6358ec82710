"""The command line where scripts meet it: a closed pipe, a full disk, a host that never
answers, --timeout, --verbose/--quiet, a wrong --token-file, hostile text in a table,
and every error one line naming the file or host."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from smarterproctoring_async.cli import waiting
from smarterproctoring_async.cli.errors import fail
from smarterproctoring_async.cli.table import write_table
from smarterproctoring_async.testing import FakeAPI, Fault

from ..hostile._server import AI, Conn, RawServer, Request, response
from .conftest import TOKEN, cli_env, cli_process, install_of

CLI = [sys.executable, "-m", "smarterproctoring_async"]
#: What may never reach a terminal: C0 but tab/newline, DEL, C1, bidi overrides.
UNSAFE = {chr(c) for c in [*range(0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0), 0x202E]}


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A loopback port that accepts connections (the kernel's backlog) and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]


@pytest.mark.parametrize(
    ("args", "read"),
    [
        (["report", "appointments", "--columns", "sid", "--max-rows", "1"], 0),  # tiny: at exit
        (["report", "appointments"], 0),  # a wider table: fails inside the command
        (["report", "session-events", "--format", "json"], 1),  # `| head -1` on a long one
    ],
)
def test_a_closed_pipe_ends_quietly_with_141(api: FakeAPI, args: list[str], read: int) -> None:
    # Buffered, as a user's stdout is: with PYTHONUNBUFFERED every write fails at once,
    # and the flush at the interpreter's exit (the tiny case) would go untested.
    env = {k: v for k, v in cli_env(api).items() if k != "PYTHONUNBUFFERED"}
    with cli_process(*args, "--install", install_of(api), env=env) as child:
        assert child.stdout is not None and child.stderr is not None
        for _ in range(read):
            assert child.stdout.readline()
        child.stdout.close()  # the reader is gone, as after `head` has its line
        err = child.stderr.read()
        assert child.wait(timeout=30) == 141, err
    assert err == ""  # no "error: Broken pipe", no "Exception ignored", no traceback


@pytest.mark.parametrize("buffered", [True, False])
def test_a_full_disk_on_stdout_is_one_line_naming_it(api: FakeAPI, buffered: bool) -> None:
    env = {k: v for k, v in cli_env(api).items() if k != "PYTHONUNBUFFERED"}
    if not buffered:
        env["PYTHONUNBUFFERED"] = "1"  # each write fails inside the command instead
    with open("/dev/full", "w") as full:
        ran = subprocess.run([*CLI, "report", "appointments", "--install", install_of(api)],
                             env=env, stdout=full, stderr=subprocess.PIPE, text=True,
                             timeout=30)  # fmt: skip
    assert ran.returncode == 1
    assert ran.stderr.splitlines() == [
        "smarterproctoring-async: error: No space left on device: standard output"
    ]


def test_timeout_bounds_a_host_that_never_answers(silent_port: int) -> None:
    # 2 s for the whole request: without the deadline it would be 4 attempts of 2 s.
    env = {**os.environ, "SMARTERPROCTORING_TOKEN": "t0ken"}
    started = time.monotonic()
    ran = subprocess.run([*CLI, "report", "appointments", "--install", "AI" + "0" * 32,
                          "--base-url", f"http://127.0.0.1:{silent_port}", "--timeout", "2"],
                         env=env, capture_output=True, text=True, timeout=20)  # fmt: skip
    assert time.monotonic() - started < 6
    assert ran.returncode == 1
    lines = ran.stderr.splitlines()
    assert len(lines) == 1 and "TimeoutError" in lines[0], ran.stderr
    assert f"127.0.0.1:{silent_port}" in lines[0]


def test_a_long_silence_says_what_it_waits_for(cli, silent_port: int, monkeypatch) -> None:
    monkeypatch.setattr(waiting, "SILENCE", 0.3)
    base = ("report", "appointments", "--install", "AI" + "0" * 32,
            "--base-url", f"http://127.0.0.1:{silent_port}", "--timeout", "1.2")  # fmt: skip
    told = cli(*base)
    assert told.code == 1
    lines = told.err.splitlines()
    assert len(lines) == 2, told.err
    assert lines[0].startswith(f"smarterproctoring-async: waiting for 127.0.0.1:{silent_port}: ")
    tail = r": nothing received for \d s \(1 request sent; --timeout 1.2 s per request\)$"
    assert re.search(tail, lines[0]), lines[0]
    assert lines[1].startswith("smarterproctoring-async: error: TimeoutError")
    quiet = cli(*base, "--quiet")
    assert quiet.code == 1 and len(quiet.err.splitlines()) == 1, quiet.err


def test_a_pause_the_server_asked_for_is_named_as_such(api: FakeAPI, cli, monkeypatch) -> None:
    monkeypatch.setattr(waiting, "SILENCE", 0.3)
    api.add_fault(Fault("status", status=429, retry_after=1.5))
    ran = cli("report", "appointments", "--install", install_of(api), "--max-rows", "1")
    assert ran.code == 0, ran.err
    host = api.base_url.removeprefix("http://")
    assert f"waiting for {host}: pausing as the server asked (1 request sent)" in ran.err, ran.err


def test_verbose_logs_retries_and_attempts_and_default_does_not(api: FakeAPI, cli) -> None:
    base = ("report", "appointments", "--install", install_of(api), "--max-rows", "1")
    api.add_fault(Fault("status", status=503))
    plain = cli(*base)
    assert plain.code == 0 and plain.err == ""
    api.add_fault(Fault("status", status=503))
    info = cli(*base, "-v")
    assert info.code == 0 and " INFO smarterproctoring_async: " in info.err
    assert " DEBUG " not in info.err
    debug = cli(*base, "-vv")
    assert debug.code == 0 and " DEBUG smarterproctoring_async: " in debug.err


def test_warnings_show_by_default_but_a_give_up_only_with_verbose(
    api: FakeAPI, cli, tmp_path: Path
) -> None:
    base = ("report", "appointments", "--install", install_of(api), "--max-rows", "1")
    api.add_fault(Fault("status", status=503, times=None))  # every attempt: it gives up
    plain = cli(*base)  # the error line says it: one failure, one line
    assert plain.code == 1 and len(plain.err.splitlines()) == 1, plain.err
    verbose = cli(*base, "-v")
    assert verbose.code == 1 and " WARNING smarterproctoring_async: " in verbose.err
    assert "giving up after 4 attempt(s)" in verbose.err
    api.clear_faults()
    # A WARNING no error line says (a report value kept in extra) shows by default.
    api.data.install_sessions(install_of(api))[0].wire["reviewRequired"] = "maybe"
    sync = ("sync", "--install", install_of(api), "--to")
    shown = cli(*sync, f"sqlite:///{tmp_path / 'a.db'}")  # first: logged once a process
    assert shown.code == 0 and " WARNING smarterproctoring_async" in shown.err, shown.err
    quiet = cli(*sync, f"sqlite:///{tmp_path / 'b.db'}", "-q")
    assert quiet.code == 0 and quiet.err == "", quiet.err


def test_quiet_prints_no_progress(api: FakeAPI, cli, tmp_path: Path) -> None:
    base = ("sync", "--install", install_of(api))
    loud = cli(*base, "--to", f"sqlite:///{tmp_path / 'a.db'}")
    assert loud.code == 0 and "syncing sessions" in loud.err
    quiet = cli(*base, "--to", f"sqlite:///{tmp_path / 'b.db'}", "-q")
    assert quiet.code == 0 and quiet.err == "" and "stored" in quiet.out


def test_verbose_and_quiet_together_are_a_usage_error(capsys) -> None:
    from smarterproctoring_async.cli import main

    assert main(["report", "appointments", "--install", "AIx", "-v", "-q"]) == 2
    assert "not allowed with argument" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (None, "holds more than 64 KiB"),  # /dev/zero: never ends
        (b"\xff\xfe\x00t\x00o\x00k\x00", "is not UTF-8 text"),
        (b"", "is empty"),
        (b" \n\t\n", "is empty"),
        (b"abc\ndef\n", "must hold only the token"),
        (b"abc\x1b[2Jdef", "must hold only the token"),
        (b"x" * (64 * 1024 + 1), "holds more than 64 KiB"),
    ],
)
def test_a_wrong_token_file_is_one_line_naming_it(
    cli, monkeypatch, tmp_path: Path, content: bytes | None, says: str
) -> None:
    monkeypatch.delenv("SMARTERPROCTORING_TOKEN")
    path = Path("/dev/zero") if content is None else tmp_path / "token"
    if content is not None:
        path.write_bytes(content)
    started = time.monotonic()
    ran = cli("report", "appointments", "--install", "AI" + "0" * 32, "--token-file", str(path))
    assert time.monotonic() - started < 5
    assert ran.code == 2
    lines = ran.err.splitlines()
    assert len(lines) == 1, ran.err
    assert lines[0].startswith(f"smarterproctoring-async: error: --token-file {path} {says}")
    assert "Traceback" not in ran.err and "[2J" not in ran.err


def test_a_token_file_with_spaces_around_the_token_works(api: FakeAPI, cli, monkeypatch,
                                                          tmp_path: Path) -> None:  # fmt: skip
    from .conftest import TOKEN

    monkeypatch.delenv("SMARTERPROCTORING_TOKEN")
    (tmp_path / "token").write_text(f"  {TOKEN}\r\n\n")
    ran = cli("report", "appointments", "--install", install_of(api), "--max-rows", "1",
              "--token-file", str(tmp_path / "token"))  # fmt: skip
    assert ran.code == 0, ran.err


# No lone surrogate here: the fake's UTF-8 encoder cannot send one (see the unit test).
HOSTILE = "\x1b]0;owned\x07\x1b[2J\x9b31m\x85\u202egnp.exe\r\x7fdone"


def test_table_shows_control_characters_as_escapes(api: FakeAPI, cli) -> None:
    session = next(s for s in api.data.sessions if s.status == "Closed")
    session.wire["proctorNote"] = HOSTILE
    session.wire["\x1b[31mkey"] = "red"
    ran = cli("report", "appointments", "--install", install_of(api), "--status", "Closed",
              "--width", "500")  # fmt: skip
    assert ran.code == 0, ran.err
    assert not UNSAFE & set(ran.out), [c for c in ran.out if c in UNSAFE]
    assert "\\x1b]0;owned\\x07\\x1b[2J\\x9b31m\\x85\\u202egnp.exe \\x7fdone" in ran.out
    header = ran.out.splitlines()[0]
    assert "\\x1b[31mkey" in header
    as_csv = cli("report", "appointments", "--install", install_of(api), "--status", "Closed",
                   "--columns", "sid,proctorNote", "--format", "csv")  # fmt: skip
    assert "\x1b]0;owned" in as_csv.out  # data formats keep the text exactly


def test_table_escapes_lone_surrogates_and_cuts_after_escaping() -> None:
    out = io.StringIO()
    write_table(out, [{"a": "x\ud800y", "b": "\x1b" * 10}], ["a", "b"], width=12)
    assert out.getvalue().splitlines()[2] == "x\\ud800y  \\x1b\\x1b\\x1…"
    out.getvalue().encode("utf-8")  # printable to any UTF-8 terminal


def test_an_error_line_is_one_inert_line(capsys) -> None:
    assert fail("server said:\n\x1b[2Jgone\r\x9bnow", 1) == 1
    assert capsys.readouterr().err == (
        "smarterproctoring-async: error: server said: \\x1b[2Jgone \\x9bnow\n"
    )


def test_an_unreachable_host_is_one_line_naming_it(api: FakeAPI, cli) -> None:
    with socket.socket() as free:  # bound, not listening: connections are refused
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
        ran = cli("report", "appointments", "--install", install_of(api),
                  "--base-url", f"http://127.0.0.1:{port}", "--timeout", "5")  # fmt: skip
    assert ran.code == 1
    assert len(ran.err.splitlines()) == 1 and f"127.0.0.1:{port}" in ran.err, ran.err


ODD_ROW = (
    b'{"sid": "X1", "huge": 1e400, "sur": "a\\ud800b", "big": 1180591620717411303424,'
    b' "nested": {"k": [1, -2e999]}, "nul": "a\\u0000b"}'
)


@pytest.mark.parametrize("form", ["json", "csv", "table"])
async def test_a_report_of_odd_values_is_written_as_sent_not_a_traceback(form: str) -> None:
    async def handler(request: Request, conn: Conn) -> None:
        body = b'{"total": 1, "count": 1, "offset": 0, "results": [' + ODD_ROW + b"]}"
        await conn.send(response(200, body))

    async with RawServer(handler) as server:
        env = {**os.environ, "SMARTERPROCTORING_TOKEN": TOKEN, "PYTHONIOENCODING": "utf-8",
               "SMARTERPROCTORING_BASE_URL": server.base_url}  # fmt: skip
        child = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "smarterproctoring_async", "report", "audit",
            "--install", AI, "--format", form, "-q", env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await asyncio.wait_for(child.communicate(), 60)
    assert child.returncode == 0 and err == b"", err.decode()
    text = out.decode("utf-8")  # strict: whatever was written is UTF-8
    if form == "json":
        [row] = json.loads(text)
        assert row["sur"] == "a\ud800b" and row["big"] == 2**70  # exact, surrogate and all
        assert '"huge": 1e400' in text and "-2e999" in text and "Infinity" not in text
    elif form == "csv":
        header, values = csv.reader(io.StringIO(text))
        row = dict(zip(header, values, strict=True))
        assert row["huge"] == "1e400" and row["nested"] == '{"k":[1,-2e999]}'
        assert row["sur"] == "a\ufffdb"  # no UTF-8 holds a lone surrogate
    else:
        assert "1e400" in text and "a\\ud800b" in text
