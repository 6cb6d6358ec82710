"""Throwaway redis-servers for the tests that need a real Redis (tests/redis, tests/cli).

Without a ``redis-server`` binary those tests are skipped, saying how to run them, or
fail when ``SMARTERPROCTORING_REQUIRE_REDIS=1`` (CI), so that none is skipped there.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator

import pytest

HOW_TO_RUN = "install redis-server or set SMARTERPROCTORING_TEST_REDIS_URL"
#: Seconds a fresh redis-server may take to answer PING.
READY_TIMEOUT = 10.0


def redis_required() -> bool:
    """Whether a missing Redis is a failure (CI) rather than a reason to skip."""
    return os.environ.get("SMARTERPROCTORING_REQUIRE_REDIS") == "1"


def no_redis(reason: str) -> None:
    """Skip the test, or fail it where Redis is required."""
    if redis_required():
        pytest.fail(f"{reason} and SMARTERPROCTORING_REQUIRE_REDIS=1", pytrace=False)
    pytest.skip(f"{reason}: {HOW_TO_RUN}")


def free_port() -> int:
    """A loopback TCP port nothing listens on (at the time of asking)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def answers_ping(port: int) -> bool:
    """Whether a Redis server on the loopback ``port`` answers PING."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@contextlib.contextmanager
def redis_server(port: int) -> Iterator[str]:
    """A throwaway redis-server on the loopback ``port``; its URL. Stopped on exit."""
    binary = shutil.which("redis-server")
    if binary is None:
        no_redis("no redis-server binary on PATH")
        raise AssertionError("unreachable")  # for type checkers: no_redis never returns
    with tempfile.TemporaryDirectory(prefix="sp-redis-") as directory:
        command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
        command += ["--appendonly", "no", "--dir", directory, "--daemonize", "no"]
        server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            started = time.monotonic()
            while not answers_ping(port):
                if server.poll() is not None or time.monotonic() - started > READY_TIMEOUT:
                    raise RuntimeError(f"redis-server did not start on port {port}")
                time.sleep(0.02)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            server.terminate()
            try:
                server.wait(5)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
