"""The fake's layout rules: handler modules import no other handler module, the fake
imports none of the client's decoding, URL-building, paging or transport code, and the
public names everyone uses stay where they were."""

from __future__ import annotations

import ast
from importlib import resources
from pathlib import Path

import smarterproctoring_async.testing as testing

PACKAGE = Path(testing.__file__).parent
HANDLER_MODULES = ("session", "exam", "install", "discovery", "reports", "summaries", "token")
NOT_HANDLERS = ("base", "filters")


def imported(path: Path) -> set[str]:
    """Every module a source file imports, relative ones resolved against the package."""
    package = ".".join(path.relative_to(PACKAGE.parent.parent).with_suffix("").parts[:-1])
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def test_handler_modules_do_not_import_each_other() -> None:
    handlers = PACKAGE / "handlers"
    on_disk = {p.stem for p in handlers.glob("*.py")} - {"__init__"}
    assert on_disk == set(HANDLER_MODULES) | set(NOT_HANDLERS)
    for name in HANDLER_MODULES:
        found = imported(handlers / f"{name}.py")
        siblings = {
            f"smarterproctoring_async.testing.handlers.{other}" for other in HANDLER_MODULES
        }
        assert not found & siblings, f"handlers/{name}.py imports {found & siblings}"
        assert "smarterproctoring_async.testing.server.app" not in found


def test_the_fake_shares_no_client_machinery() -> None:
    forbidden = ("_transport", "models", "_pagination", "_protocol", "_endpoints", "_filters",
                 "models", "resources")  # fmt: skip
    for path in PACKAGE.rglob("*.py"):
        if path.name == "pytest_plugin.py":
            continue  # glue: builds a real Client, imported inside its fixture
        for name in imported(path):
            assert not any(
                name == f"smarterproctoring_async.{part}"
                or name.startswith(f"smarterproctoring_async.{part}.")
                for part in forbidden
            ), f"{path.relative_to(PACKAGE)} imports {name}"


def test_public_names() -> None:
    assert set(testing.__all__) >= {
        "FakeAPI",
        "FakeData",
        "FakeSession",
        "Fault",
        "RequestRecord",
        "RequestLog",
        "generate_data",
    }
    for name in testing.__all__:
        assert getattr(testing, name).__doc__, name
    plugin = resources.files("smarterproctoring_async.testing").joinpath("pytest_plugin.py")
    assert "smarterproctoring_fake" in plugin.read_text(encoding="utf-8")
