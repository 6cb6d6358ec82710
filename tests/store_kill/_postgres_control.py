"""A throwaway PostgreSQL server that a test may stop (as a crash would) and start again.

Built on the helpers of tests/_postgres_server.py (same binaries, same root handling);
unlike that module's server, this one keeps its data directory and port across a
restart, so that clients reconnect to the same database.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator

from .._postgres_server import (
    READY_TIMEOUT,
    _accepts,
    _as_server_user,
    _binary,
    _free_port,
    no_postgres,
)

__all__ = ["RestartablePostgres", "restartable_server"]


class RestartablePostgres:
    """One PostgreSQL server: ``url`` (its ``postgres`` database), ``stop()``, ``start()``."""

    def __init__(
        self, postgres: str, pg_ctl: str, prefix: list[str], directory: str, port: int
    ) -> None:
        data = os.path.join(directory, "data")
        self._command = [*prefix, postgres, "-D", data]
        self._command += ["-p", str(port), "-k", directory, "-c", "listen_addresses=127.0.0.1"]
        # pg_ctl signals the postmaster itself (as root, the process started is runuser,
        # which does not pass every signal on).
        self._stop = [*prefix, pg_ctl, "stop", "-D", data, "-s", "-w", "-t", "30", "-m"]
        self._port = port
        self._process: subprocess.Popen[bytes] | None = None
        self.url = f"postgresql://postgres@127.0.0.1:{port}/postgres"

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        assert self._process is None, "already running"
        self._process = subprocess.Popen(
            self._command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        started = time.monotonic()
        while not _accepts(self._port):
            if self._process.poll() is not None or time.monotonic() - started > READY_TIMEOUT:
                raise RuntimeError(f"PostgreSQL did not start on port {self._port}")
            time.sleep(0.05)
        # The port opens a moment before connections are accepted (crash recovery too).
        self._wait_ready(started)
        assert self._process.poll() is None, "another server answers on this port"

    def _wait_ready(self, started: float) -> None:
        import psycopg  # the postgres extra; the tests' plumbing, not the package

        while True:
            try:
                with psycopg.connect(self.url, connect_timeout=2):
                    return
            except psycopg.OperationalError:
                if time.monotonic() - started > READY_TIMEOUT:
                    raise
                time.sleep(0.05)

    def stop(self, how: str = "immediate") -> None:
        """Stop the server: ``immediate`` (no checkpoint, crash recovery at the next
        start, as after a crash) or ``fast`` (sessions rolled back, then a checkpoint)."""
        process, self._process = self._process, None
        if process is None:
            return
        subprocess.run(
            [*self._stop, how], check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise

    def restart(self, how: str = "immediate") -> None:
        """``stop(how)`` then ``start()``."""
        self.stop(how)
        self.start()


@contextlib.contextmanager
def restartable_server() -> Iterator[RestartablePostgres]:
    """A new cluster in a temporary directory, started; stopped and removed on exit."""
    initdb, postgres, pg_ctl = _binary("initdb"), _binary("postgres"), _binary("pg_ctl")
    if initdb is None or postgres is None or pg_ctl is None:
        no_postgres("no initdb/postgres/pg_ctl binary to run a PostgreSQL server of our own")
        raise AssertionError("unreachable")  # no_postgres never returns
    prefix = _as_server_user()
    with tempfile.TemporaryDirectory(prefix="sp-kill-postgres-") as directory:
        if prefix:
            shutil.chown(directory, "postgres")
        subprocess.run(
            [*prefix, initdb, "-D", os.path.join(directory, "data"), "-U", "postgres",
             "-A", "trust", "--no-sync"],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        server = RestartablePostgres(postgres, pg_ctl, prefix, directory, _free_port())
        server.start()
        try:
            yield server
        finally:
            server.stop("fast")
