"""Type-check the README's Python examples with ``mypy --strict``.

Each fenced ``python`` block becomes the body of its own ``async def`` (so top-level
``await`` and ``async with`` work as in a notebook), after a prelude that declares
the names the examples take as given (a client, a session, SIDs, dates...). A block
that defines functions itself (the pytest example) is kept at module level. Run from
the repository root: ``python .ci/readme_types.py``; exits with mypy's status.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

PRELUDE = """\
from collections.abc import Callable
from datetime import date, datetime, timezone
from typing import Any

import smarterproctoring_async as sp
from smarterproctoring_async.testing import FakeAPI

token: str
client: sp.Client
install: sp.Install
session: sp.Session
refs: list[sp.SessionRef]
install_sid: str
exam_sid: str
session_sid: str
course_sid: str
a: datetime
b: datetime
monday: date
sunday: date
by_session: dict[sp.SessionRef, list[Any]]
bar: Callable[[int, int | None, int], object]


def log(*args: object) -> None: ...
def store(*args: object) -> None: ...
"""

BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def module_of(readme: str) -> str:
    """The README's examples as one module mypy can check."""
    parts = [PRELUDE]
    for number, match in enumerate(BLOCK.finditer(readme), 1):
        code = match.group(1)
        if re.search(r"^(async )?def ", code, re.MULTILINE):
            parts.append(code)
        else:
            parts.append(
                f"async def _example_{number}() -> None:\n" + textwrap.indent(code, "    ")
            )
    return "\n\n".join(parts)


def main() -> int:
    readme = Path("README.md").read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "readme_examples.py"
        target.write_text(module_of(readme), encoding="utf-8")
        # The package itself is checked by its own mypy run; report only the examples.
        command = [sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent"]
        command += ["--python-version", "3.10", str(target)]
        done = subprocess.run(command, check=False, capture_output=True, text=True)
        print(done.stdout.replace(str(target), "README example module"), end="")
        if done.returncode:
            print(textwrap.indent(target.read_text(encoding="utf-8"), "  | "))
        return done.returncode


if __name__ == "__main__":
    raise SystemExit(main())
