"""Throwaway PostgreSQL servers for the store tests (tests/store, tests/cli).

``SMARTERPROCTORING_TEST_POSTGRES_URL`` names a server to use (CI starts one from the
distribution's packages); without it, one is started for the test session when
``initdb`` and ``postgres`` are on PATH (or in /usr/lib/postgresql/*/bin). Without
either, the PostgreSQL tests skip with one line saying how to run them, or fail when
``SMARTERPROCTORING_REQUIRE_POSTGRES=1`` (CI), so that none is skipped there.

Each test gets a database of its own (:func:`fresh_database`), dropped afterwards.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest

HOW_TO_RUN = "install PostgreSQL (initdb, postgres) or set SMARTERPROCTORING_TEST_POSTGRES_URL"
#: Seconds a fresh server may take to accept connections.
READY_TIMEOUT = 30.0


def postgres_required() -> bool:
    """Whether a missing PostgreSQL is a failure (CI) rather than a reason to skip."""
    return os.environ.get("SMARTERPROCTORING_REQUIRE_POSTGRES") == "1"


def no_postgres(reason: str) -> None:
    """Skip the test, or fail it where PostgreSQL is required."""
    if postgres_required():
        pytest.fail(f"{reason} and SMARTERPROCTORING_REQUIRE_POSTGRES=1", pytrace=False)
    pytest.skip(f"{reason}: {HOW_TO_RUN}")


def _binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0):
            return True
    except OSError:
        return False


def _as_server_user() -> list[str]:
    """PostgreSQL refuses to run as root: as root, run it as the ``postgres`` user."""
    if os.geteuid() != 0:
        return []
    runuser = shutil.which("runuser")
    if runuser is None:
        no_postgres("running as root without runuser to start PostgreSQL as another user")
    return [str(runuser), "-u", "postgres", "--"]


@contextlib.contextmanager
def postgres_server() -> Iterator[str]:
    """A throwaway PostgreSQL server on a free loopback port; the URL of its ``postgres``
    database (trust authentication on loopback only). Stopped and removed on exit."""
    initdb, postgres = _binary("initdb"), _binary("postgres")
    if initdb is None or postgres is None:
        no_postgres("no initdb/postgres binary")
        raise AssertionError("unreachable")  # no_postgres never returns
    prefix = _as_server_user()
    with tempfile.TemporaryDirectory(prefix="sp-postgres-") as directory:
        if prefix:
            shutil.chown(directory, "postgres")
        data = os.path.join(directory, "data")
        subprocess.run(
            [*prefix, initdb, "-D", data, "-U", "postgres", "-A", "trust", "--no-sync"],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        port = _free_port()
        command = [*prefix, postgres, "-D", data, "-p", str(port), "-k", directory]
        command += ["-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"]
        server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            started = time.monotonic()
            while not _accepts(port):
                if server.poll() is not None or time.monotonic() - started > READY_TIMEOUT:
                    raise RuntimeError(f"PostgreSQL did not start on port {port}")
                time.sleep(0.05)
            time.sleep(0.2)  # the port opens a moment before connections are accepted
            yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
        finally:
            server.terminate()
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


@contextlib.contextmanager
def fresh_database(server_url: str) -> Iterator[str]:
    """A new, empty database on the server of ``server_url``; its URL. Dropped on exit.

    Uses psycopg (the ``postgres`` extra) directly, not the package: the tests' own
    plumbing must not depend on the code under test.
    """
    psycopg = pytest.importorskip("psycopg", reason="the postgres extra is not installed")
    name = f"sp_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(server_url)
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
