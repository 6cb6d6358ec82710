"""Run the README's Python examples against the embedded fake API.

``readme_types.py`` checks that the examples type-check; this checks that they work.
Each fenced ``python`` block runs, in README order, as the body of its own ``async def``
(so top-level ``await`` and ``async with`` work as in a notebook), in one temporary
working directory (a block may read a file an earlier one wrote), with the names the
examples take as given (``PRELUDE`` in ``readme_types.py``) bound to the fake's data: a
client of the fake, an install, a closed session, SIDs, dates within the data. The
placeholder SIDs ``"AI…"``, ``"EX…"`` and ``"ES…"`` become the fake's, the Redis URL
the test Redis (``SMARTERPROCTORING_TEST_REDIS_URL``), and ``SMARTERPROCTORING_TOKEN``
and ``SMARTERPROCTORING_BASE_URL`` point at the fake, so ``sp.Client(token)`` reaches it.

A block fails the run if it raises, takes over a minute, warns, or leaves an unclosed
session or a task error behind. Blocks defining pytest tests are left to
``tests/fake/test_pytest_plugin.py``, which runs them with pytester. An example needing
a name bound nowhere yet: declare its type in ``readme_types.PRELUDE`` and its value in
``given()`` below. Run from the repository root: ``python .ci/readme_run.py [README]``.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import io
import os
import re
import sys
import tempfile
import textwrap
import time
import traceback
import warnings
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from readme_types import BLOCK  # the same blocks the type check reads

import smarterproctoring_async as sp
from smarterproctoring_async.testing import FakeAPI

#: The README's placeholder for a reader's own Redis.
REDIS_EXAMPLE_URL = "redis://redis.internal:6379/0"
BLOCK_TIMEOUT = 60.0
#: What examples left behind: task errors, and warnings from ``__del__`` (an unclosed
#: session or connector), which cannot raise there.
PROBLEMS: list[str] = []


def given(fake: FakeAPI, client: sp.Client) -> dict[str, Any]:
    """The values of ``readme_types.PRELUDE``'s names, taken from the fake's data."""
    closed = [s for s in fake.data.sessions if s.status == "Closed" and s.events]
    chosen = max(closed, key=lambda s: len(s.events))
    install = client.install(chosen.install_sid)
    return {
        "sp": sp,
        "FakeAPI": FakeAPI,
        "date": date,
        "datetime": datetime,
        "timezone": timezone,
        "token": fake.token,
        "client": client,
        "install": install,
        "session": install.exam(chosen.exam_sid).session(chosen.sid),
        "refs": [sp.SessionRef(s.install_sid, s.exam_sid, s.sid) for s in closed[:3]],
        "install_sid": chosen.install_sid,
        "exam_sid": chosen.exam_sid,
        "session_sid": chosen.sid,
        "course_sid": fake.data.courses[0]["sid"],
        # The fake's data is dated early 2025 (appointments from 6 January).
        "a": datetime(2024, 12, 1, tzinfo=timezone.utc),
        "b": datetime(2025, 3, 1, tzinfo=timezone.utc),
        "monday": date(2025, 1, 6),
        "sunday": date(2025, 1, 12),
        "by_session": {},
        "bar": lambda done, total, failed: None,
        "log": lambda *args: None,
        "store": lambda *args: None,
    }


def prepared(code: str, names: dict[str, Any]) -> str | None:
    """The block with the reader's placeholders replaced; None if it cannot run here."""
    for placeholder, name in (('"AI…"', "install_sid"), ('"EX…"', "exam_sid"),
                              ('"ES…"', "session_sid")):  # fmt: skip
        code = code.replace(placeholder, repr(names[name]))
    if REDIS_EXAMPLE_URL in code:
        redis_url = os.environ.get("SMARTERPROCTORING_TEST_REDIS_URL")
        if not redis_url:
            if os.environ.get("SMARTERPROCTORING_REQUIRE_REDIS") == "1":
                sys.exit("a README example needs Redis: SMARTERPROCTORING_TEST_REDIS_URL is unset")
            return None
        code = code.replace(REDIS_EXAMPLE_URL, redis_url)
    return code


async def run_block(number: int, line: int, code: str, names: dict[str, Any]) -> str:
    """Run one block; what it printed. Raises what the block raised."""
    where = f"README.md, python block {number} (line {line})"
    namespace = dict(names)
    if re.search(r"^(async )?def ", code, re.MULTILINE):
        exec(compile(code, where, "exec"), namespace)  # definitions only, nothing to await
        return ""
    source = "async def _example() -> None:\n" + textwrap.indent(code, "    ")
    exec(compile(source, where, "exec"), namespace)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
        await asyncio.wait_for(namespace["_example"](), BLOCK_TIMEOUT)
    return printed.getvalue()


async def run_all(readme: str) -> int:
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(lambda _, context: PROBLEMS.append(str(context.get("message"))))
    failed = 0
    async with FakeAPI() as fake, sp.Client(fake.token, base_url=fake.base_url,
                                            rate_limit=None) as client:  # fmt: skip
        os.environ["SMARTERPROCTORING_TOKEN"] = fake.token
        os.environ["SMARTERPROCTORING_BASE_URL"] = fake.base_url
        names = given(fake, client)
        for number, match in enumerate(BLOCK.finditer(readme), 1):
            line = readme.count("\n", 0, match.start()) + 2
            code = match.group(1)
            if re.search(r"^(async )?def test_", code, re.MULTILINE):
                print(f"block {number} (line {line}): a pytest example, run by "
                      "tests/fake/test_pytest_plugin.py")  # fmt: skip
                continue
            runnable = prepared(code, names)
            if runnable is None:
                print(f"block {number} (line {line}): skipped, no test Redis here")
                continue
            started = time.monotonic()
            try:
                printed = await run_block(number, line, runnable, names)
                gc.collect()  # an unclosed session or connector reports itself now
            except Exception as error:
                failed += 1
                print(f"block {number} (line {line}): FAILED")
                print(textwrap.indent("".join(traceback.format_exception(error)), "  | "))
                print(textwrap.indent(code, "  > "))
                continue
            if PROBLEMS:
                failed += 1
                print(f"block {number} (line {line}): left behind: {PROBLEMS}")
                PROBLEMS.clear()
                continue
            output = f", printed {len(printed.splitlines())} lines" if printed else ""
            print(f"block {number} (line {line}): ok, {time.monotonic() - started:.1f} s{output}")
    return failed


def main() -> int:
    readme = Path(sys.argv[1] if len(sys.argv) > 1 else "README.md").read_text(encoding="utf-8")
    sys.unraisablehook = lambda hook: PROBLEMS.append(f"{hook.exc_type.__name__}: {hook.exc_value}")
    warnings.simplefilter("error")
    with tempfile.TemporaryDirectory() as folder:
        os.chdir(folder)
        failed = asyncio.run(run_all(readme))
        gc.collect()
    if PROBLEMS:
        print(f"README examples left behind: {PROBLEMS}")
        failed += 1
    print("README examples: ok" if not failed else f"README examples: {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
