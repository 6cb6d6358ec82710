"""Helpers shared by the benchmark scripts (not a benchmark itself).

- :class:`DataSpec` names a generated data set once, so a script can start the fake API
  with it and call ``generate_data`` with the same arguments to learn every SID and
  record count without asking the server.
- :func:`fake_api` runs ``python -m smarterproctoring_async.testing`` in its own process
  (so the server's CPU is not charged to the client), waits for its ``READY`` line, and
  terminates it on the way out.
- :func:`read_ahead` is the strongest list reader a user could write by hand: bare
  aiohttp, a fast decoder, ``total`` from page one, the remaining pages requested a few
  at a time ahead of the one being read, in order. The benchmarks' main baseline.
- :func:`exported_package` puts the SDK as of a git revision in a temporary directory,
  so a child process (:func:`run_child` with :func:`import_from`) can time "today's SDK"
  against the working tree's.
- Timing (:func:`measure`, :func:`median`), memory (:func:`peak_rss_mb`), child
  processes (:func:`run_child`), a log counter for the SDK's per-attempt DEBUG lines
  (:class:`StatusCounter`) and the output (:func:`print_table`, :func:`verdict`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import math
import os
import re
import resource
import select
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import Counter, deque
from collections.abc import Callable, Coroutine, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import aiohttp

import smarterproctoring_async as sp
from smarterproctoring_async.testing import FakeData, generate_data

T = TypeVar("T")

#: How long the fake may take to print its READY line.
READY_TIMEOUT = 60.0
#: How long the fake may take to exit after SIGTERM before it is killed.
STOP_TIMEOUT = 5.0
#: Pages a hand-written reader requests ahead of the one it reads (the SDK's own figure).
AHEAD = 4
#: "Today's SDK" for the issue's "lean request path" figures: the last commit before it.
REFERENCE_REVISION = "628efa9fa4b8103dec4f868a9b4ce665eed286c5"


@dataclass(frozen=True)
class DataSpec:
    """The arguments of ``generate_data``, usable for the fake's command line too."""

    seed: int = 0
    installs: int = 1
    exams: int = 1
    sessions_per_exam: int = 1
    events: tuple[int, int] = (0, 0)
    annotations: tuple[int, int] = (0, 0)

    def cli_args(self) -> list[str]:
        """The fake's command-line options for this data set."""
        return [
            *("--seed", str(self.seed)),
            *("--installs", str(self.installs)),
            *("--exams", str(self.exams)),
            *("--sessions-per-exam", str(self.sessions_per_exam)),
            *("--events", str(self.events[0]), str(self.events[1])),
            *("--annotations", str(self.annotations[0]), str(self.annotations[1])),
        ]

    def generate(self) -> FakeData:
        """The very data set the fake serves (``generate_data`` is deterministic)."""
        return generate_data(
            seed=self.seed,
            installs=self.installs,
            exams=self.exams,
            sessions_per_exam=self.sessions_per_exam,
            events=self.events,
            annotations=self.annotations,
        )


@dataclass(frozen=True)
class Fake:
    """A running fake API: where it listens, its token, its process id, the big session."""

    base_url: str
    token: str
    pid: int
    big_session: sp.SessionRef | None = None

    def cpu_seconds(self) -> float:
        """User + system CPU seconds the fake's process has used so far (Linux /proc)."""
        return process_cpu_seconds(self.pid)


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far (0 where /proc is unavailable)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    # After the command name: state is field 3 of stat(5), utime 14 and stime 15.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def fake_api(spec: DataSpec, *extra_args: str) -> Iterator[Fake]:
    """Run the fake API in a child process for the duration of the ``with`` block.

    ``extra_args`` are further options of ``python -m smarterproctoring_async.testing``
    (``--latency``, ``--page-cap``, ``--rate-limit``, ``--big-session-events`` ...).
    """
    command = [sys.executable, "-m", "smarterproctoring_async.testing"]
    command += ["--host", "127.0.0.1", *spec.cli_args(), *extra_args]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        yield _read_ready(process)
    finally:
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def _read_ready(process: subprocess.Popen[str]) -> Fake:
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], READY_TIMEOUT)
    line = process.stdout.readline() if ready else ""
    words = line.split()
    if not words or words[0] != "READY":
        raise RuntimeError(f"the fake API did not start (exit code {process.poll()}): {line!r}")
    big = sp.SessionRef(*words[3:6]) if len(words) >= 6 else None
    return Fake(base_url=words[1], token=words[2], pid=process.pid, big_session=big)


def session_refs(data: FakeData) -> list[sp.SessionRef]:
    """A ref for every session of the data set, in the data set's order."""
    return [sp.SessionRef(s.install_sid, s.exam_sid, s.sid) for s in data.sessions]


async def read_ahead(
    http: aiohttp.ClientSession,
    path: str,
    page_size: int,
    loads: Callable[[bytes], Any],
    *,
    ahead: int = AHEAD,
) -> tuple[list[Any], int]:
    """Every record of one list and the requests sent: what a careful user writes by hand.

    Page one (offset 0) gives ``total`` and the server's page length; the other offsets
    are then known, and up to ``ahead`` of them are requested at once, in order, the
    oldest awaited first (so records come out in list order, memory stays bounded). No
    trailing empty request: it stops at ``total``.
    """

    async def page(offset: int) -> Any:
        params = {"offset": offset, "limit": page_size}
        async with http.get(path, params=params) as response:
            response.raise_for_status()
            return loads(await response.read())

    first = await page(0)
    records: list[Any] = list(first["results"])
    stride, total = len(records), first["total"]
    if not stride:
        return records, 1
    offsets = iter(range(stride, total, stride))
    pending: deque[asyncio.Task[Any]] = deque()
    requests = 1
    try:
        for offset in offsets:
            pending.append(asyncio.create_task(page(offset)))
            requests += 1
            if len(pending) >= ahead:
                break
        while pending:
            body = await pending.popleft()
            offset = next(offsets, -1)
            if offset >= 0:
                pending.append(asyncio.create_task(page(offset)))
                requests += 1
            records += body["results"]
    finally:
        for task in pending:
            task.cancel()
    return records, requests


def pages_needed(records: int, page: int) -> int:
    """The fewest requests that read a list of ``records`` at ``page`` records a page."""
    return max(1, math.ceil(records / page))


@dataclass(frozen=True)
class Timing:
    """Wall-clock, client CPU and server CPU seconds of one run, and what it returned.

    ``user`` and ``system`` split the client's CPU (``getrusage``): the interpreter's
    work and the kernel's (sockets, epoll).
    """

    wall: float
    cpu: float
    server_cpu: float = 0.0
    value: Any = None
    user: float = 0.0
    system: float = 0.0


def measure(run: Callable[[], Coroutine[Any, Any, T]], fake: Fake | None = None) -> Timing:
    """Run ``run()`` on a fresh event loop: wall time, this process's CPU time and, given
    the ``fake`` it talks to, the CPU time the fake's process spent meanwhile."""
    server = fake.cpu_seconds() if fake else 0.0
    usage = resource.getrusage(resource.RUSAGE_SELF)
    wall, cpu = time.perf_counter(), time.process_time()
    value = asyncio.run(run())
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    after = resource.getrusage(resource.RUSAGE_SELF)
    server = fake.cpu_seconds() - server if fake else 0.0
    user, system = after.ru_utime - usage.ru_utime, after.ru_stime - usage.ru_stime
    return Timing(wall, cpu, server, value, user, system)


def median(values: Sequence[float]) -> float:
    """The median of ``values``."""
    return statistics.median(values)


def peak_rss_mb() -> float:
    """This process's peak resident set size so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_peak_rss() -> bool:
    """Reset this process's RSS high-water mark (VmHWM) to its current RSS (Linux).

    ``ru_maxrss`` cannot be reset, and in a child process it starts at the parent's RSS
    at spawn (Linux carries the high-water mark across ``exec``); VmHWM after this reset
    is the process's own peak from now on. Returns whether the reset worked.
    """
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
    except OSError:
        return False
    return True


def high_water_rss_mb() -> float:
    """VmHWM, this process's peak RSS since start or :func:`reset_peak_rss`, in MiB."""
    try:
        with open("/proc/self/status") as status:
            found = re.search(r"^VmHWM:\s+(\d+) kB", status.read(), re.MULTILINE)
    except OSError:
        return 0.0
    return int(found.group(1)) / 1024 if found else 0.0


def current_rss_mb() -> float:
    """This process's resident set size now, in MiB (from /proc; 0 where unavailable)."""
    try:
        with open("/proc/self/statm") as statm:
            pages = int(statm.read().split()[1])
    except (OSError, IndexError, ValueError):
        return 0.0
    return pages * resource.getpagesize() / 2**20


class StatusCounter(logging.Handler):
    """Counts the SDK's per-attempt DEBUG lines (``GET /path -> 200 attempt=1 ...``).

    Use as a context manager: it attaches to the ``smarterproctoring_async`` logger at
    DEBUG level (without propagating, so nothing is printed) and restores it on exit.
    """

    _LINE = re.compile(r" -> (\d+) .*elapsed=([0-9.]+)s")

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statuses: Counter[int] = Counter()
        #: Seconds each attempt held its concurrency slot (request sent to body read).
        self.elapsed: list[float] = []
        #: ``time.time()`` of each attempt answered 429.
        self.throttled_at: list[float] = []
        self._saved = (logging.NOTSET, True)

    def emit(self, record: logging.LogRecord) -> None:
        found = self._LINE.search(record.getMessage())
        if found:
            status = int(found.group(1))
            self.statuses[status] += 1
            self.elapsed.append(float(found.group(2)))
            if status == 429:
                self.throttled_at.append(record.created)

    @property
    def attempts(self) -> int:
        """Every attempt seen, whatever its status."""
        return sum(self.statuses.values())

    def __enter__(self) -> StatusCounter:
        sdk = logging.getLogger("smarterproctoring_async")
        self._saved = (sdk.level, sdk.propagate)
        sdk.setLevel(logging.DEBUG)
        sdk.propagate = False
        sdk.addHandler(self)
        return self

    def __exit__(self, *exc_info: object) -> None:
        sdk = logging.getLogger("smarterproctoring_async")
        sdk.removeHandler(self)
        sdk.setLevel(self._saved[0])
        sdk.propagate = self._saved[1]


def run_child(script: str, args: Sequence[str], *, python_prelude: str = "") -> Any:
    """Run ``script`` in a fresh interpreter and return the JSON of its last stdout line.

    ``python_prelude`` is Python run before the script (e.g. an import blocker).
    """
    script = os.path.abspath(script)
    runner = "\n".join(
        [
            "import runpy, sys",
            python_prelude,
            f"sys.path.insert(0, {os.path.dirname(script)!r})",
            f"sys.argv = [{script!r}, *sys.argv[1:]]",
            f"runpy.run_path({script!r}, run_name='__main__')",
        ]
    )
    done = subprocess.run(
        [sys.executable, "-c", runner, *args], stdout=subprocess.PIPE, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


@contextlib.contextmanager
def exported_package(revision: str) -> Iterator[str]:
    """A temporary directory holding ``smarterproctoring_async`` as of git ``revision``.

    Read with ``git archive`` (nothing in the checkout changes). Put the directory first
    on a child's ``sys.path`` (:func:`import_from`) to import that version.
    """
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with tempfile.TemporaryDirectory(prefix="sp-reference-") as directory:
        archive = os.path.join(directory, "package.tar")
        command = ["git", "-C", root, "archive", "--format=tar", f"--output={archive}"]
        subprocess.run([*command, revision, "smarterproctoring_async"], check=True)
        with tarfile.open(archive) as tar:
            if hasattr(tarfile, "data_filter"):  # 3.10.12+, 3.11.4+
                tar.extractall(directory, filter="data")
            else:
                tar.extractall(directory)  # our own repository's archive
        os.remove(archive)
        yield directory


def import_from(directory: str) -> str:
    """A :func:`run_child` prelude importing the SDK from ``directory`` first."""
    return f"sys.path.insert(0, {directory!r})"


def package_revision(revision: str) -> str:
    """``revision`` as a short commit hash (as given if git cannot resolve it)."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    done = subprocess.run(
        ["git", "-C", root, "rev-parse", "--short", revision],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        check=False,
    )
    return done.stdout.strip() or revision


def parser(doc: str | None) -> argparse.ArgumentParser:
    """An argument parser whose help is the script's docstring."""
    return argparse.ArgumentParser(
        description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """Print rows as an aligned text table (floats with 3 decimals)."""
    cells = [[_cell(value) for value in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in cells:
        # The first column names the row: left-aligned; figures are right-aligned.
        first, *rest = (
            c.rjust(w) if i else c.ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        )
        print("  ".join([first, *rest]))


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def verdict(target: str, met: bool) -> bool:
    """Print one target line, MET or MISSED; return ``met``."""
    print(f"  [{'MET   ' if met else 'MISSED'}] {target}")
    return met
