"""PostgreSQL for the benchmarks: a throwaway server, and a fresh database on a server.

A throwaway server runs from the binaries on PATH or in /usr/lib/postgresql/*/bin (as the
``postgres`` user when run as root: the server refuses root), on a free loopback port,
with the server's default durability (fsync on), in a temporary directory removed after.
psycopg (the ``postgres`` extra) is imported only when a server or database is made.
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

__all__ = ["fresh_database", "throwaway_postgres"]


def _binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


@contextlib.contextmanager
def throwaway_postgres() -> Iterator[str | None]:
    """A PostgreSQL server on a free loopback port (None without its binaries)."""
    initdb, postgres = _binary("initdb"), _binary("postgres")
    if initdb is None or postgres is None:
        yield None
        return
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    with tempfile.TemporaryDirectory(prefix="sp-bench-postgres-") as directory:
        if prefix:
            shutil.chown(directory, "postgres")
        data = os.path.join(directory, "data")
        subprocess.run(
            [*prefix, initdb, "-D", data, "-U", "postgres", "-A", "trust", "--no-sync"],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        command = [*prefix, postgres, "-D", data, "-p", str(port), "-k", directory]
        server = subprocess.Popen(
            [*command, "-c", "listen_addresses=127.0.0.1"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
        try:
            _wait_for(url, server)
            yield url
        finally:
            pg_ctl = _binary("pg_ctl")
            if pg_ctl:  # the postmaster itself (runuser does not pass every signal on)
                stop = [*prefix, pg_ctl, "stop", "-D", data, "-m", "fast", "-s", "-w"]
                subprocess.run(stop, check=False, stdout=subprocess.DEVNULL)
            server.terminate()
            server.wait(30)


def _wait_for(url: str, server: subprocess.Popen[bytes]) -> None:
    import psycopg

    deadline = time.monotonic() + 30
    while True:
        try:
            with psycopg.connect(url, connect_timeout=2):
                return
        except psycopg.OperationalError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@contextlib.contextmanager
def fresh_database(server_url: str) -> Iterator[str]:
    """A new database on that server, dropped on exit; its URL."""
    import psycopg

    name = f"sp_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
