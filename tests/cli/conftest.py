"""Fixtures of the command-line tests: a fake API on its own thread, and ways to run the CLI.

The fake runs on a background event loop so that a test can call ``main([...])``
in-process (``main`` runs its own ``asyncio.run``) or start the CLI as a subprocess,
and read the fake's request log and change its data between runs.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from smarterproctoring_async.cli import main
from smarterproctoring_async.testing import FakeAPI, generate_data

TOKEN = "cli-secret-token-5f1c9a"


class ThreadedFake:
    """A FakeAPI served by an event loop on a thread of its own."""

    def __init__(self, fake: FakeAPI) -> None:
        self.fake = fake
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def call(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=30)

    def __enter__(self) -> FakeAPI:
        self.thread.start()
        self.call(self.fake.start())
        return self.fake

    def __exit__(self, *exc: object) -> None:
        self.call(self.fake.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


@pytest.fixture
def api() -> Iterator[FakeAPI]:
    """A running fake: one install, 2 exams of 12 sessions (most Closed), no latency."""
    data = generate_data(seed=3, exams=2, sessions_per_exam=12, events=(0, 70), annotations=(0, 6))
    with ThreadedFake(FakeAPI(data, token=TOKEN, request_log_size=None)) as fake:
        yield fake


@dataclass
class Ran:
    """What one CLI run gave."""

    code: int
    out: str
    err: str


@pytest.fixture
def cli(api: FakeAPI, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Any:
    """Run ``main(args)`` in-process against ``api`` (token in the environment)."""
    monkeypatch.setenv("SMARTERPROCTORING_TOKEN", TOKEN)
    monkeypatch.setenv("SMARTERPROCTORING_BASE_URL", api.base_url)

    def run(*args: str) -> Ran:
        capsys.readouterr()
        code = main(list(args))
        got = capsys.readouterr()
        assert TOKEN not in got.out and TOKEN not in got.err
        return Ran(code, got.out, got.err)

    return run


def install_of(fake: FakeAPI) -> str:
    """The fake's install SID."""
    return str(fake.data.installs[0]["sid"])


def cli_env(fake: FakeAPI) -> dict[str, str]:
    """The environment of a CLI subprocess pointed at ``fake``."""
    return {**os.environ, "SMARTERPROCTORING_TOKEN": TOKEN,
            "SMARTERPROCTORING_BASE_URL": fake.base_url}  # fmt: skip


def cli_process(*args: str, env: dict[str, str], **options: Any) -> subprocess.Popen[str]:
    """The CLI as a subprocess (``python -m smarterproctoring_async``)."""
    return subprocess.Popen(
        [sys.executable, "-m", "smarterproctoring_async", *args],
        env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **options,
    )  # fmt: skip


def jsonl_records(directory: Path, kind: str) -> list[str]:
    """The rows of one kind as canonical JSON text, sorted (a multiset: repeats stay)."""
    path = directory / f"{kind}.jsonl"
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return sorted(json.dumps(json.loads(line), sort_keys=True) for line in lines)


@contextmanager
def killed_if_left(worker: subprocess.Popen[str]) -> Iterator[subprocess.Popen[str]]:
    """``worker`` itself; killed on the way out if it still runs (a failed check)."""
    try:
        yield worker
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.communicate()
