"""Worker processes of the kill tests (``_worker.py``), started ahead and sent off on cue.

``Workers.ready()`` starts a worker that imports everything and waits; ``Worker.go()``
starts its sync; ``Worker.end()`` waits for it, ``Worker.kill()`` sends SIGKILL. The
pool starts the next worker as soon as one goes, so the interpreter's start overlaps the
previous sync. Every process is waited for and its pipes closed (no ResourceWarning).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

WORKER = Path(__file__).with_name("_worker.py")
#: Seconds a worker may take to start (imports) or to finish a sync.
START_TIMEOUT = 60.0
RUN_TIMEOUT = 120.0


@dataclass
class Ended:
    """How a worker ended: its exit code (negative: killed by that signal), its JSON
    line (None if it printed none), its standard error, and seconds from go to exit."""

    code: int
    result: dict[str, Any] | None
    stderr: str
    seconds: float

    @property
    def killed(self) -> bool:
        """Whether SIGKILL ended it (before it could finish on its own)."""
        return self.code == -signal.SIGKILL

    @property
    def ok(self) -> bool:
        """Whether the sync returned a summary."""
        return self.code == 0 and self.result is not None and bool(self.result.get("ok"))


class Worker:
    """One started worker process, waiting for ``go()``."""

    def __init__(self, process: asyncio.subprocess.Process, stderr: Path) -> None:
        self.process = process
        self._stderr = stderr
        self._went = 0.0
        self.done = False

    async def go(self) -> None:
        """Start the sync."""
        assert self.process.stdin is not None
        self._went = time.monotonic()
        self.process.stdin.write(b"go\n")
        await self.process.stdin.drain()

    async def kill(self) -> Ended:
        """SIGKILL now (if still running), then collect how it ended."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGKILL)
        return await self.end()

    async def end(self, timeout: float = RUN_TIMEOUT) -> Ended:
        """Wait for the process to exit on its own; how it ended."""
        try:
            out, _ = await asyncio.wait_for(self.process.communicate(), timeout)
        except asyncio.TimeoutError:
            self.process.kill()
            await self.process.communicate()
            self.done = True
            raise AssertionError(f"a worker ran over {timeout} s: {self.stderr()}") from None
        self.done = True
        seconds = time.monotonic() - self._went if self._went else 0.0
        lines = out.decode(errors="replace").strip().splitlines()
        result = json.loads(lines[-1]) if lines and lines[-1].startswith("{") else None
        code = self.process.returncode
        assert code is not None
        return Ended(code, result, self.stderr(), seconds)

    def stderr(self) -> str:
        """What the worker wrote to standard error so far."""
        return self._stderr.read_text(errors="replace") if self._stderr.exists() else ""


class Workers:
    """Starts workers of one sync (fake, install, store); stops any left at exit."""

    def __init__(
        self, base_url: str, token: str, install: str, store: str, directory: Path, *args: str
    ) -> None:
        self.command = [sys.executable, str(WORKER), "--wait-go", "--base-url", base_url]
        self.command += ["--install", install, "--store", store, *args]
        self.env = {**os.environ, "SMARTERPROCTORING_TOKEN": token}
        self.directory = directory
        self._started: list[Worker] = []

    async def ready(self, *args: str) -> Worker:
        """A new worker (extra options ``args``), once it has said READY."""
        stderr = self.directory / f"worker-{len(self._started)}.err"
        with stderr.open("wb") as err:
            process = await asyncio.create_subprocess_exec(
                *self.command, *args,
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=err,
                env=self.env, cwd=self.directory,
            )  # fmt: skip
        worker = Worker(process, stderr)
        self._started.append(worker)
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), START_TIMEOUT)
        assert line == b"READY\n", f"worker did not start: {line!r} {worker.stderr()}"
        return worker

    async def run(self, *args: str) -> Ended:
        """Start a worker and let its sync run to its end."""
        worker = await self.ready(*args)
        await worker.go()
        return await worker.end()

    async def __aenter__(self) -> Workers:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        for worker in self._started:
            if worker.done:
                continue
            if worker.process.returncode is None:
                worker.process.kill()
            await worker.process.communicate()
