"""The pytest plugin as a user meets it: the README's test file and ini lines, run by
pytest itself (``pytester``) in pytest-asyncio's strict mode, auto mode and on a
session-scoped loop, plus the mistakes that used to hang or confuse.

``.ci/run`` also runs this file under the oldest pytest-asyncio the package claims
(pyproject's ``test`` extra) and the newest, so the README's range is the tested one.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_blocks(language: str) -> list[str]:
    """The fenced blocks of ``language`` in the README's "The pytest fixtures" section."""
    text = README.read_text(encoding="utf-8")
    start = text.index("### The pytest fixtures")
    section = text[start : text.index("\n### ", start + 1)]
    return re.findall(rf"^```{language}\n(.*?)^```", section, re.DOTALL | re.MULTILINE)


def readme_toml(*needles: str) -> str:
    """The one toml block of the section holding every one of ``needles`` (and no other)."""
    found = [b for b in readme_blocks("toml") if all(n in b for n in needles)]
    assert len(found) == 1, (needles, found)
    return found[0]


def user_test() -> str:
    """The README's test file, verbatim."""
    return readme_blocks("python")[0]


def without_markers(code: str) -> str:
    """The same file as an auto-mode user would write it: no asyncio marker."""
    stripped = re.sub(r"^@pytest\.mark\.asyncio.*\n", "", code, flags=re.MULTILINE)
    assert stripped != code
    return stripped


def run(pytester: pytest.Pytester, toml: str, *args: str, **files: str) -> pytest.RunResult:
    pytester.makepyprojecttoml(toml)
    pytester.makepyfile(**files)
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", *args)


STRICT_WARNINGS = """[tool.pytest.ini_options]
asyncio_default_fixture_loop_scope = "function"
filterwarnings = ["error"]
"""


def test_readme_test_passes_in_strict_mode_with_no_configuration(
    pytester: pytest.Pytester,
) -> None:
    ran = run(pytester, "", test_user=user_test())
    ran.assert_outcomes(passed=1)


def test_readme_test_passes_in_strict_mode_with_warnings_as_errors(
    pytester: pytest.Pytester,
) -> None:
    """Recent pytest-asyncio (1.5) warns at start-up when no fixture loop scope is set, which
    ``-W error`` turns into an INTERNALERROR: the README's strict-mode line prevents it."""
    strict = next(b for b in readme_blocks("toml") if "asyncio_mode" not in b)
    ran = run(pytester, strict, "-W", "error", test_user=user_test())
    ran.assert_outcomes(passed=1)


def test_readme_claims_the_tested_pytest_asyncio_minimum() -> None:
    """The README's "pytest-asyncio (X or newer" is the test extra's floor, which CI runs."""
    pyproject = (README.parent / "pyproject.toml").read_text(encoding="utf-8")
    floor = re.search(r'"pytest-asyncio>=([0-9.]+)"', pyproject)
    claimed = re.search(r"pytest-asyncio \(([0-9.]+) or newer", README.read_text(encoding="utf-8"))
    assert floor and claimed and claimed[1] == floor[1], (floor, claimed)


def test_readme_test_passes_in_auto_mode_with_the_readme_lines(
    pytester: pytest.Pytester,
) -> None:
    auto = readme_toml('asyncio_mode = "auto"', 'asyncio_default_fixture_loop_scope = "function"')
    toml = auto + 'filterwarnings = ["error"]\n'
    ran = run(pytester, toml, test_marked=user_test(), test_unmarked=without_markers(user_test()))
    ran.assert_outcomes(passed=2)


SAME_LOOP = """
import asyncio

import smarterproctoring_async as sp
from smarterproctoring_async.testing import FakeAPI

seen = []


async def test_first(smarterproctoring_fake: FakeAPI, smarterproctoring_client: sp.Client) -> None:
    seen.append((asyncio.get_running_loop(), smarterproctoring_fake.base_url))
    assert await smarterproctoring_client.check() is not None


async def test_second(smarterproctoring_fake: FakeAPI, smarterproctoring_client: sp.Client) -> None:
    loop, url = seen[0]
    assert asyncio.get_running_loop() is loop  # one session-scoped loop
    assert smarterproctoring_fake.base_url != url  # but a fresh fake per test
    assert await smarterproctoring_client.check() is not None
"""


def test_readme_session_loop_lines_run_everything_on_one_loop(pytester: pytest.Pytester) -> None:
    session = readme_toml('asyncio_default_test_loop_scope = "session"')
    toml = session + 'filterwarnings = ["error"]\n'
    ran = run(pytester, toml, test_user=without_markers(user_test()), test_same_loop=SAME_LOOP)
    ran.assert_outcomes(passed=3)


LOOP_MISMATCH = """
import pytest

import smarterproctoring_async as sp


@pytest.mark.asyncio(loop_scope="session")
async def test_on_the_session_loop(smarterproctoring_client: sp.Client) -> None:
    await smarterproctoring_client.check()
"""


OWN_SESSION_FAKE = """
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

import smarterproctoring_async as sp
from smarterproctoring_async.testing import FakeAPI, FakeLoopError, generate_data


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def shared_fake() -> AsyncIterator[FakeAPI]:
    async with FakeAPI(generate_data(seed=1, exams=1, sessions_per_exam=2)) as fake:
        yield fake


@pytest.mark.asyncio
async def test_function_loop_reads_the_session_fake(shared_fake: FakeAPI) -> None:
    with pytest.raises(FakeLoopError, match="started on another event loop"):
        sp.Client(shared_fake.token, base_url=shared_fake.base_url)


@pytest.mark.asyncio(loop_scope="session")
async def test_its_own_loop_is_served(shared_fake: FakeAPI) -> None:
    async with sp.Client(shared_fake.token, base_url=shared_fake.base_url) as client:
        assert await client.check() is not None
"""


def test_loop_mistakes_fail_at_once_with_the_fix(pytester: pytest.Pytester) -> None:
    """Strict mode without a marker, a test on another loop than the fixtures, and a
    fake of the user's own read from another loop: each a clear error, none a hang; the
    README's module-scoped fake of one's own works."""
    started = time.monotonic()
    ran = run(pytester, STRICT_WARNINGS, test_unmarked=without_markers(user_test()),
              test_mismatch=LOOP_MISMATCH, test_own=OWN_SESSION_FAKE,
              test_module_fake=readme_blocks("python")[1])  # fmt: skip
    ran.assert_outcomes(passed=3, errors=2)  # the errors at setup, before any request
    ran.stdout.fnmatch_lines_random([
        "*test_my_sync is an async test*mark it @pytest.mark.asyncio (strict mode)*"
        "asyncio_mode = auto*",
        "*test_on_the_session_loop runs on the session-scoped event loop*"
        "set `smarterproctoring_loop_scope = session`*",
    ])  # fmt: skip
    assert time.monotonic() - started < 25  # a hang would be 4 attempts of 30 s


def test_an_unknown_loop_scope_option_is_a_usage_error(pytester: pytest.Pytester) -> None:
    ran = run(pytester, '[tool.pytest.ini_options]\nsmarterproctoring_loop_scope = "forever"\n',
              test_x="def test_x():\n    pass\n")  # fmt: skip
    assert ran.ret == pytest.ExitCode.USAGE_ERROR
    ran.stderr.fnmatch_lines(["*smarterproctoring_loop_scope = 'forever'*"])
