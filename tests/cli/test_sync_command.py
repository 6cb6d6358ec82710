"""``sync``: exit codes (busy store 5, SIGTERM 143, bad token 3), passwords never taken
from arguments nor printed, ``--follow`` stopped cleanly, ``--interval`` forms."""

from __future__ import annotations

import argparse
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from smarterproctoring_async.cli.values import parse_duration
from smarterproctoring_async.testing import FakeAPI

from .conftest import cli_env, cli_process, install_of, killed_if_left

HOLD_LOCK = """
import asyncio, sys
import smarterproctoring_async as sp

async def main():
    async with sp.Store(sys.argv[1]) as store, store.lock(sys.argv[2]):
        print("locked", flush=True)
        await asyncio.sleep(60)

asyncio.run(main())
"""


def test_a_busy_store_is_exit_5_with_one_line(api: FakeAPI, cli, store_url: str) -> None:
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, store_url, install_of(api)],
                              stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        ran = cli("sync", "--install", install_of(api), "--to", store_url, "--lock-wait", "0.3")
    finally:
        holder.kill()
        holder.communicate()
    assert ran.code == 5 and ran.err.count("\n") == 1, ran.err
    assert "another sync holds the lock" in ran.err and ran.out == ""
    assert api.requests.total == 0  # refused before any request


def test_waiting_for_the_store_lock_is_not_blamed_on_the_api(
    api: FakeAPI, cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from smarterproctoring_async.cli import waiting

    monkeypatch.setattr(waiting, "SILENCE", 0.2)
    url = f"sqlite:///{tmp_path / 's.db'}"
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, url, install_of(api)],
                              stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        ran = cli("sync", "--install", install_of(api), "--to", url, "--lock-wait", "1")
    finally:
        holder.kill()
        holder.communicate()
    assert ran.code == 5 and "waiting for" not in ran.err, ran.err


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://sync:hunter2@127.0.0.1:1/proctoring",
        "postgresql+psycopg://sync:hunter2@127.0.0.1:1/proctoring",
        "postgresql://sync@127.0.0.1:1/proctoring?password=hunter2",
    ],
)
def test_a_password_in_the_url_is_refused_and_never_printed(
    api: FakeAPI, cli, url: str, tmp_path: Path
) -> None:
    for args in (("sync", "--install", install_of(api), "--to", url),
                 ("export", "--from", url, "--out", str(tmp_path))):  # fmt: skip
        ran = cli(*args)
        assert ran.code == 2 and ran.err.count("\n") == 1, ran.err
        assert "PGPASSWORD" in ran.err and "hunter2" not in ran.err + ran.out
    assert api.requests.total == 0


def test_a_token_that_no_longer_works_is_exit_3(api: FakeAPI, cli, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("SMARTERPROCTORING_TOKEN", "not-the-token")
    ran = cli("sync", "--install", install_of(api), "--to", f"sqlite:///{tmp_path / 's.db'}")
    assert ran.code == 3 and ran.err.startswith("smarterproctoring-async: error: authentication")


def _stored(path: Path) -> int:
    try:
        with sqlite3.connect(path) as db:  # a plain reader: the store never blocks readers
            return int(db.execute("SELECT count(*) FROM sessions").fetchone()[0])
    except sqlite3.Error:
        return 0


@pytest.mark.parametrize(
    ("signum", "code", "said"),
    [(signal.SIGTERM, 143, "SIGTERM"), (signal.SIGINT, 130, "interrupted")],
)
def test_follow_keeps_syncing_until_a_signal_stops_it_cleanly(
    api: FakeAPI, tmp_path: Path, signum: int, code: int, said: str
) -> None:
    path = tmp_path / "store.db"
    worker = cli_process("sync", "--install", install_of(api), "--to", f"sqlite:///{path}",
                         "--follow", "--interval", "1s", env=cli_env(api))  # fmt: skip
    with killed_if_left(worker):
        deadline = time.monotonic() + 60
        first = sum(1 for s in api.data.sessions if s.status in ("Closed", "Cancelled"))
        while _stored(path) < first and time.monotonic() < deadline:  # the first pass
            assert worker.poll() is None, worker.communicate()
            time.sleep(0.1)
        # A session turning Closed while it follows is stored at a later pass.
        waiting = next(s for s in api.data.sessions if s.status not in ("Closed", "Cancelled"))
        api.data.set_status(waiting.sid, "Closed", 1736150400000)
        while _stored(path) == first and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _stored(path) == first + 1
        worker.send_signal(signum)
        out, err = worker.communicate(timeout=30)
    assert worker.returncode == code, err
    assert said in err and "Traceback" not in err and out == ""
    with sqlite3.connect(path) as db:
        (status,) = db.execute("SELECT status FROM runs ORDER BY id DESC LIMIT 1").fetchone()
    assert status == "stopped"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90", 90.0), ("90s", 90.0), ("5m", 300.0), ("1h", 3600.0), ("0.5", 0.5), ("2M", 120.0)],
)
def test_interval_forms(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "0", "-5m", "5d", "m", "nan", "inf", "5 m", "1e400"])
def test_bad_intervals_are_refused(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        parse_duration(text)


def test_bad_window_or_zone_is_exit_2_before_any_request(api: FakeAPI, cli, tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    for extra in (["--window", "25:00-06:00"], ["--window", "22:00-06:00", "--tz", "Mars/Base"]):
        ran = cli("sync", "--install", install_of(api), "--to", url, *extra)
        assert ran.code == 2 and ran.err.count("\n") == 1, ran.err
    assert api.requests.total == 0


def test_interval_without_follow_is_a_usage_error(api: FakeAPI, cli, tmp_path: Path) -> None:
    ran = cli("sync", "--install", install_of(api), "--to", f"sqlite:///{tmp_path / 's.db'}",
              "--interval", "5m")  # fmt: skip
    assert ran.code == 2 and "--interval needs --follow" in ran.err, ran.err
    assert api.requests.total == 0


def test_refetch_fetches_unchanged_sessions_again(api: FakeAPI, cli, tmp_path: Path) -> None:
    base = ("sync", "--install", install_of(api), "--to", f"sqlite:///{tmp_path / 's.db'}")
    first = cli(*base)
    assert first.code == 0, first.err
    plain, again = cli(*base), cli(*base, "--refetch")
    assert plain.code == again.code == 0

    def counts(out: str) -> tuple[int, int]:
        found = re.search(r"(\d+) stored, (\d+) unchanged", out)
        assert found is not None, out
        return int(found[1]), int(found[2])

    stored, _ = counts(first.out)
    assert stored > 0
    assert counts(plain.out) == (0, stored)
    assert counts(again.out) == (stored, 0)
