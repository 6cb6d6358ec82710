"""Start-up: what importing the package and running the command line load, and Ctrl-C.

Every check runs in a fresh interpreter (a subprocess): ``sys.modules`` of this test
process has long been filled by the other tests.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

MESSAGE = "smarterproctoring-async: error: interrupted; run the same command again to resume"
#: Loaded on first need only: the CLI, the fake, the optional extras and their modules.
NEVER_ON_IMPORT = (
    "smarterproctoring_async.cli",
    "smarterproctoring_async.testing",
    "smarterproctoring_async.redis_limiter",
    "smarterproctoring_async.frames",
    "smarterproctoring_async.progress",
    "smarterproctoring_async.plots",
    "pandas",
    "matplotlib",
    "pyarrow",
    "tqdm",
    "redis",
    "opentelemetry",
)
SCRIPT = Path(sys.executable).with_name("smarterproctoring-async")
CLI = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "smarterproctoring_async"]


def _loaded_after(code: str) -> set[str]:
    """The modules (and their packages) a fresh interpreter holds after running ``code``."""
    shown = "import sys, json; print(json.dumps(sorted(sys.modules)))"
    ran = subprocess.run([sys.executable, "-c", f"{code}\n{shown}"], capture_output=True,
                         text=True, timeout=60, check=True)  # fmt: skip
    return set(json.loads(ran.stdout.splitlines()[-1]))


def _among(loaded: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(m for m in loaded if any(m == n or m.startswith(n + ".") for n in names))


def test_import_loads_no_cli_fake_extras_or_aiohttp() -> None:
    loaded = _loaded_after("import smarterproctoring_async")
    assert _among(loaded, (*NEVER_ON_IMPORT, "aiohttp")) == []


def test_the_client_loads_no_cli_fake_or_extras_and_generates_no_decoder() -> None:
    code = (
        "import smarterproctoring_async as sp\n"
        "sp.Client, sp.FanOut, sp.RateLimiter, sp.Paginator\n"
        "from smarterproctoring_async.models import _converter\n"
        "assert not _converter._TOP_LEVEL, _converter._TOP_LEVEL  # made on first decode\n"
    )
    loaded = _loaded_after(code)
    assert "aiohttp" in loaded  # the client itself did load
    assert _among(loaded, NEVER_ON_IMPORT) == []


def test_every_public_name_loads_and_dir_lists_them_all() -> None:
    code = (
        "import smarterproctoring_async as sp\n"
        "assert sp.errors.APIError is sp.APIError  # the module first, before any name\n"
        "assert set(sp.__all__) <= set(dir(sp))\n"
        "for name in sp.__all__: getattr(sp, name)\n"
        "from smarterproctoring_async import Client, errors, TimeoutError\n"
        "assert TimeoutError is errors.TimeoutError and Client is sp.Client\n"
        "try: sp.Clinet\n"
        "except AttributeError: pass\n"
        "else: raise AssertionError('sp.Clinet')\n"
    )
    _loaded_after(code)


def test_help_imports_no_aiohttp() -> None:
    ran = subprocess.run([sys.executable, "-X", "importtime", *CLI, "--help"],
                         capture_output=True, text=True, timeout=60)  # fmt: skip
    assert ran.returncode == 0 and "usage: smarterproctoring-async" in ran.stdout
    imported = [line.rsplit("|", 1)[-1].strip() for line in ran.stderr.splitlines()]
    assert "smarterproctoring_async.cli.app" in imported  # the parser was built here
    assert [m for m in imported if m.split(".")[0] == "aiohttp"] == []
    code = (
        "import sys; from smarterproctoring_async.cli import main\n"
        "for argv in (['--help'], ['report', '--help'], ['sync', '--help'], ['export', '--help'],"
        " ['demo', '--help'], ['fake-api', '--help']):\n"
        "    assert main(argv) == 0, argv\n"
    )
    assert _among(_loaded_after(code), ("aiohttp", "smarterproctoring_async.testing")) == []


def _stderr_lines(text: str) -> list[str]:
    """stderr without ``-X importtime`` lines and the demo's progress lines."""
    return [
        line
        for line in text.splitlines()
        if line.strip() and not line.startswith(("import time:", "syncing closed sessions"))
    ]


def _assert_interrupted(ran: subprocess.CompletedProcess[str] | subprocess.Popen[str],
                        stderr: str) -> None:  # fmt: skip
    assert "Traceback" not in stderr, stderr
    assert ran.returncode == 130, (ran.returncode, stderr)
    assert _stderr_lines(stderr) == [MESSAGE], stderr


def _after_site(command: list[str], delay: float) -> subprocess.Popen[str]:
    """Start ``command`` under ``-X importtime``; SIGINT ``delay`` s after ``site`` loaded.

    Timed from there, not from the spawn: until ``site`` is done, and for a moment after
    (the check of the script's path as a zip archive), the interpreter runs none of this
    package's code; a Ctrl-C then gets CPython's own traceback ("Fatal Python error:
    init_import_site"), and on a busy machine that phase alone can outlast 0.05 s.
    """
    child = subprocess.Popen([sys.executable, "-X", "importtime", *command], text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    assert child.stderr is not None
    child.seen = []  # type: ignore[attr-defined]
    for line in child.stderr:
        child.seen.append(line)  # type: ignore[attr-defined]
        if line.rsplit("|", 1)[-1].rstrip() == " site":
            break
    time.sleep(delay)
    child.send_signal(signal.SIGINT)
    return child


@pytest.mark.parametrize("delay", [0.03, 0.05, 0.1])
def test_ctrl_c_during_help_is_one_line_or_nothing(delay: float) -> None:
    child = _after_site([*CLI, "--help"], delay)
    out, err = child.communicate(timeout=60)
    err = "".join(child.seen) + err  # type: ignore[attr-defined]
    if child.returncode == 0:  # done before the signal came: the help, nothing else
        assert "usage:" in out and _stderr_lines(err) == [], err
    else:
        _assert_interrupted(child, err)


def _start_demo(*extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*extra, *CLI, "demo", "--sessions", "400", "--latency", "0.02"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _signal_while_importing(signum: int) -> tuple[subprocess.Popen[str], str, str]:
    """The demo sent ``signum`` while the command line imports; (child, stdout, stderr).

    ``-X importtime`` writes a line as each module finishes: once the cli package is
    there, main() is loading the commands' modules (the bulk of the start-up).
    """
    child = _start_demo(sys.executable, "-X", "importtime")
    assert child.stderr is not None
    seen = []
    for line in child.stderr:
        seen.append(line)
        if line.rsplit("|", 1)[-1].strip() == "smarterproctoring_async.cli":
            break
    child.send_signal(signum)
    out, err = child.communicate(timeout=60)
    return child, out, "".join(seen) + err


def test_ctrl_c_while_the_command_line_imports_is_one_line() -> None:
    child, out, err = _signal_while_importing(signal.SIGINT)
    assert out == ""  # interrupted before the demo printed anything
    _assert_interrupted(child, err)


def test_sigterm_while_the_command_line_imports_is_one_line() -> None:
    # Before a command takes SIGTERM over (sync stops cleanly on it), the default would
    # end the process without a word.
    child, out, err = _signal_while_importing(signal.SIGTERM)
    assert out == "" and "Traceback" not in err, err
    assert child.returncode == 143, (child.returncode, err)
    stopped = "smarterproctoring-async: error: stopped by SIGTERM; run the same command again"
    assert _stderr_lines(err) == [f"{stopped} to resume"], err


@pytest.mark.parametrize("delay", [0.05, 0.15, 0.4, 1.0])
def test_ctrl_c_at_any_moment_of_demo_is_one_line(delay: float) -> None:
    child = _after_site([*CLI, "demo", "--sessions", "400", "--latency", "0.02"], delay)
    _, err = child.communicate(timeout=60)
    _assert_interrupted(child, "".join(child.seen) + err)  # type: ignore[attr-defined]


def test_ctrl_c_while_demo_syncs_is_one_line() -> None:
    child = _start_demo()
    assert child.stdout is not None
    first = child.stdout.readline()  # the fake is up: the sync starts now
    assert first.startswith("fake SmarterProctoring API on"), first
    time.sleep(0.3)
    child.send_signal(signal.SIGINT)
    _, err = child.communicate(timeout=60)
    _assert_interrupted(child, err)
