"""``dashboard``: the command serves the page against the fake until SIGINT, reads the
token as every command does, and refuses a non-loopback address before any request."""

from __future__ import annotations

import json
import selectors
import signal
import subprocess
import urllib.request
from pathlib import Path

from smarterproctoring_async.testing import FakeAPI

from .conftest import TOKEN, cli_env, cli_process, install_of

#: No proxy from the environment: the page is on loopback.
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def first_line(process: subprocess.Popen[str], timeout: float = 20.0) -> str:
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(timeout):
            process.kill()
            raise AssertionError(f"no line within {timeout} s: {process.communicate()}")
    return process.stdout.readline()


def test_the_command_serves_the_page_until_sigint(api: FakeAPI, tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    env = cli_env(api)
    del env["SMARTERPROCTORING_TOKEN"]  # from --token-file instead
    process = cli_process(
        "dashboard", "--install", install_of(api), "--port", "0", "--cache-ttl", "60",
        "--token-file", str(token_file), env=env,
    )  # fmt: skip
    try:
        url = json.loads(first_line(process))["dashboard"]
        assert url.startswith("http://127.0.0.1:")
        with DIRECT.open(url, timeout=20) as answer:
            page = answer.read().decode()
        assert 'id="exam-volume"' in page and "<svg" in page and TOKEN not in page
        asked = api.requests.total
        with DIRECT.open(url, timeout=20) as answer:
            answer.read()
        assert api.requests.total == asked  # cached for --cache-ttl
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
    assert process.returncode == 0, err
    assert TOKEN not in out + err


def test_a_host_beyond_loopback_is_refused_before_any_request(api: FakeAPI) -> None:
    process = cli_process(
        "dashboard", "--install", install_of(api), "--host", "0.0.0.0", env=cli_env(api)
    )
    out, err = process.communicate(timeout=20)
    assert process.returncode == 2
    assert "--listen-anywhere" in err and out == ""
    assert api.requests.total == 0


def test_no_token_is_a_usage_error(api: FakeAPI) -> None:
    env = cli_env(api)
    del env["SMARTERPROCTORING_TOKEN"]
    process = cli_process("dashboard", "--install", install_of(api), env=env)
    _, err = process.communicate(timeout=20)
    assert process.returncode == 2 and "no token" in err
