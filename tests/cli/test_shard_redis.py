"""sync --shard --redis-url: sharded workers share one request budget through a real
Redis (a redis-server started here on a loopback port); a missing redis package is a
usage error with the pip line; an unreachable Redis is one line, exit 1, no password.

The tests that need a server start a ``redis-server`` from PATH and are skipped, saying
so, without one."""

from __future__ import annotations

import asyncio
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from smarterproctoring_async.cli.budget import SharedBudget
from smarterproctoring_async.cli.errors import CliError
from smarterproctoring_async.testing import FakeAPI

from .._redis_server import free_port, redis_server
from .conftest import cli_env, cli_process, install_of


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A fresh redis-server of this test's own (one test shuts it down)."""
    with redis_server(free_port()) as url:
        yield url


def test_four_workers_sharing_a_redis_budget_get_no_429(
    api: FakeAPI, redis_url: str, tmp_path: Path
) -> None:
    rate = 12  # low enough that the sync's few requests still outnumber two bursts
    # The server allows `rate` a second, like the budget; its burst has a margin over
    # the budget's (`rate`) for the time between a worker booking a slot in Redis and
    # its request arriving, which four processes starting at once on a busy machine
    # stretch beyond the limiter's slack. Four budgets of their own would still send
    # four bursts of `rate` at the start, far beyond it.
    api.rate_limit, api.rate_burst = float(rate), rate + rate // 4
    store = tmp_path / "store.db"
    args = ["sync", "--install", install_of(api), "--to", f"sqlite:///{store}",
            "--rate-limit", str(rate), "--redis-url", redis_url]  # fmt: skip
    workers = [cli_process(*args, "--shard", f"{i}/4", env=cli_env(api)) for i in range(1, 5)]
    outputs = [worker.communicate(timeout=180) for worker in workers]
    for worker, (_, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, err
    # Four separate budgets of `rate` would start with four bursts of `rate` at once.
    assert api.requests.total >= 2 * rate
    assert api.requests.by_status[429] == 0, api.requests.by_status
    closed = sum(1 for s in api.data.sessions if s.status in ("Closed", "Cancelled"))
    assert _stored(store) == closed  # one store, no merge step


def test_without_the_redis_package_it_is_exit_2_with_the_pip_line(
    api: FakeAPI, tmp_path: Path
) -> None:
    code = (
        "import sys; sys.modules['redis'] = None\n"
        "from smarterproctoring_async.cli import main\n"
        f"sys.exit(main(['sync', '--install', {install_of(api)!r}, "
        f"'--to', 'sqlite:///{tmp_path}/s.db', '--redis-url', 'redis://127.0.0.1:1/0']))"
    )
    ran = subprocess.run([sys.executable, "-c", code], env=cli_env(api), capture_output=True,
                         text=True, timeout=30)  # fmt: skip
    assert ran.returncode == 2, ran.stderr
    assert "pip install 'smarterproctoring-async[redis]'" in ran.stderr
    assert api.requests.total == 0


def test_an_unreachable_redis_is_one_line_exit_1_without_the_password(
    api: FakeAPI, tmp_path: Path
) -> None:
    url = f"redis://:hunter2-secret@127.0.0.1:{free_port()}/0"  # nothing listens there
    ran = subprocess.run(
        [sys.executable, "-m", "smarterproctoring_async", "sync", "--install", install_of(api),
         "--to", f"sqlite:///{tmp_path / 's.db'}", "--redis-url", url, "--shard", "1/2"],
        env=cli_env(api), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert ran.returncode == 1, ran.stderr
    assert len(ran.stderr.strip().splitlines()) == 1 and "Redis" in ran.stderr, ran.stderr
    assert "hunter2-secret" not in ran.stderr + ran.stdout
    assert api.requests.total == 0


def test_redis_lost_mid_run_fails_without_a_traceback_and_keeps_what_is_stored(
    api: FakeAPI, redis_url: str, tmp_path: Path
) -> None:
    store = tmp_path / "store.db"
    args = ["sync", "--install", install_of(api), "--to", f"sqlite:///{store}",
            "--rate-limit", "8", "--redis-url", redis_url]  # fmt: skip
    worker = cli_process(*args, env=cli_env(api))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and worker.poll() is None and _stored(store) < 2:
        time.sleep(0.02)
    port = int(redis_url.rsplit(":", 1)[1].split("/")[0])
    with socket.create_connection(("127.0.0.1", port)) as connection:
        connection.sendall(b"SHUTDOWN NOSAVE\r\n")
    _, err = worker.communicate(timeout=60)
    assert worker.returncode == 1, err
    assert "Redis" in err and "Traceback" not in err, err
    assert _stored(store) >= 2  # each stored session stays, whole


def _stored(path: Path) -> int:
    try:
        with sqlite3.connect(path) as db:
            return int(db.execute("SELECT count(*) FROM sessions").fetchone()[0])
    except sqlite3.Error:
        return 0


def test_a_lost_redis_message_never_shows_the_password(tmp_path: Path) -> None:
    from smarterproctoring_async.cli.app import build_parser
    from smarterproctoring_async.errors import RateLimiterUnavailableError

    url = "redis://:hunter2-secret@127.0.0.1:6390/0"
    args = build_parser().parse_args(["sync", "--install", "AI" + "0" * 32,
                                      "--redis-url", url])  # fmt: skip

    async def lose() -> str:
        async with SharedBudget(args, args.install) as budget:
            with pytest.raises(CliError) as raised:
                budget.check(RateLimiterUnavailableError(f"cannot use {url}"))
            assert raised.value.code == 1
            return str(raised.value)

    message = asyncio.run(lose())
    assert "hunter2-secret" not in message and "127.0.0.1:6390" in message


@pytest.mark.parametrize(
    ("url", "key", "said"),
    [
        ("http://user:s3cret-pw@cache.example:6379", None, "redis must be"),
        ("redis://user:s3cret-pw@cache.example:6379/0", "a{b}", "key must be"),
    ],
)
def test_a_bad_redis_url_or_key_is_a_usage_error_naming_the_right_one(
    api: FakeAPI, cli, tmp_path: Path, url: str, key: str | None, said: str
) -> None:
    args = ["sync", "--install", install_of(api), "--to", f"sqlite:///{tmp_path / 's.db'}",
            "--redis-url", url]  # fmt: skip
    ran = cli(*args, *(("--redis-key", key) if key else ()))
    assert ran.code == 2 and said in ran.err, ran.err
    assert "s3cret-pw" not in ran.err and api.requests.total == 0
