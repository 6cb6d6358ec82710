"""pytest fixtures for suites that test code built on this SDK (loaded automatically).

With pytest-asyncio installed (1.0 or newer: CI runs the plugin's tests on 1.0 and on the
newest) two fixtures are available in every test:

- ``smarterproctoring_fake``: a running :class:`~smarterproctoring_async.testing.FakeAPI`
  on 127.0.0.1 with the default generated data (``generate_data(seed=0)``) and the
  default knobs (the maker's error shapes among them), fresh for each test; set its
  knobs in the test, they are attributes (``smarterproctoring_fake.error_style =
  "named"``, ``.denied_sids = {...}``, ``.token_ttl = -2``, ...);
- ``smarterproctoring_client``: a :class:`~smarterproctoring_async.Client` of that fake,
  with no rate limit and retries 10 ms apart.

Both are async fixtures made with ``pytest_asyncio.fixture``, so they work in strict mode
(tests marked ``@pytest.mark.asyncio``) and in auto mode. A test and the fixtures it uses
must share one event loop: the fake's server runs on the loop that started it. The
fixtures' loop scope is, in order: the ini option ``smarterproctoring_loop_scope``
(``function``, ``class``, ``module``, ``package`` or ``session``), else pytest-asyncio's
``asyncio_default_test_loop_scope``, else pytest-asyncio's default for fixtures. Each
test still gets its own fake and client; only the loop they run on is shared. A test
whose loop scope differs from the fixtures' fails at setup with a message saying which
option to set, instead of hanging on requests nobody serves. To choose per directory or
another caching scope, re-declare the fixtures in a conftest.py (conftest fixtures
override plugin ones); the check then leaves them alone.
"""

from __future__ import annotations

import types
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, Literal

import pytest

if TYPE_CHECKING:
    from .. import Client
    from . import FakeAPI

__all__ = ["LOOP_SCOPE_OPTION", "fixtures"]

#: The ini option naming the event loop scope of the fixtures.
LOOP_SCOPE_OPTION = "smarterproctoring_loop_scope"
Scope = Literal["function", "class", "module", "package", "session"]
SCOPES: tuple[Scope, ...] = ("function", "class", "module", "package", "session")
NAMES = ("smarterproctoring_fake", "smarterproctoring_client")
# Set on our fixture functions: the setup check knows them (and not a user's overrides).
_TAG = "_smarterproctoring_loop_scope"
_SCOPE_KEY = pytest.StashKey[str]()

try:
    import pytest_asyncio
except ImportError:  # pragma: no cover - the fixtures need pytest-asyncio; without it, none
    HAVE_PYTEST_ASYNCIO = False
else:
    HAVE_PYTEST_ASYNCIO = True


def pytest_addoption(parser: pytest.Parser) -> None:
    """Declare ``smarterproctoring_loop_scope``."""
    parser.addini(
        LOOP_SCOPE_OPTION,
        help="event loop scope of the smarterproctoring_fake and smarterproctoring_client "
        "fixtures (function, class, module, package, session); default: "
        "asyncio_default_test_loop_scope",
        default="",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Register the fixtures on the configured loop scope."""
    if not HAVE_PYTEST_ASYNCIO:  # pragma: no cover
        return
    scope = str(config.getini(LOOP_SCOPE_OPTION) or "").strip() or _default_test_scope(config)
    if scope not in SCOPES:
        raise pytest.UsageError(f"{LOOP_SCOPE_OPTION} = {scope!r}: use one of {SCOPES}")
    config.stash[_SCOPE_KEY] = scope
    config.pluginmanager.register(fixtures(scope), "smarterproctoring-fixtures")


def _default_test_scope(config: pytest.Config) -> str:
    try:  # pytest-asyncio before 0.26 (unsupported) has no such option: per function
        return str(config.getini("asyncio_default_test_loop_scope") or "function")
    except ValueError:
        return "function"


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Fail a test at once, with the fix, when it cannot share a loop with our fixtures."""
    used = [name for name in NAMES if name in getattr(item, "fixturenames", ())]
    ours = [name for name in used if _fixture_scope(item, name) is not None]
    if not ours or not isinstance(item, pytest.Function):
        return
    fixture_scope = item.config.stash.get(_SCOPE_KEY, "function")
    marker = item.get_closest_marker("asyncio")
    if marker is None:
        if _is_async(item.obj):
            pytest.fail(
                f"{item.name} is an async test using {', '.join(ours)} but pytest-asyncio "
                "does not run it: mark it @pytest.mark.asyncio (strict mode) or set "
                "`asyncio_mode = auto` in the pytest ini options",
                pytrace=False,
            )
        return
    test_scope = marker.kwargs.get("loop_scope") or marker.kwargs.get("scope")
    test_scope = test_scope or _default_test_scope(item.config)
    if test_scope != fixture_scope:
        pytest.fail(
            f"{item.name} runs on the {test_scope}-scoped event loop but {', '.join(ours)} "
            f"run on the {fixture_scope}-scoped one, and the fake can only answer on its "
            f"own loop: set `{LOOP_SCOPE_OPTION} = {test_scope}` in the pytest ini options "
            f"(or mark the test @pytest.mark.asyncio(loop_scope={fixture_scope!r}))",
            pytrace=False,
        )


def _fixture_scope(item: pytest.Item, name: str) -> str | None:
    """Our loop scope tag on the fixture ``name`` resolves to for ``item``; None if not ours."""
    info = getattr(item, "_fixtureinfo", None)  # private but long-lived; absent: no check
    definitions = getattr(info, "name2fixturedefs", {}).get(name) if info else None
    if not definitions:
        return None
    found = getattr(definitions[-1].func, _TAG, None)
    return found if isinstance(found, str) else None


def _is_async(function: Any) -> bool:
    import inspect

    return inspect.iscoroutinefunction(function) or inspect.isasyncgenfunction(function)


def fixtures(loop_scope: Scope) -> types.ModuleType:
    """A plugin module holding both fixtures on ``loop_scope``.

    ``pytest_configure`` registers one on the configured scope; nothing else needs it.
    """

    @pytest_asyncio.fixture(loop_scope=loop_scope)
    async def smarterproctoring_fake() -> AsyncIterator[FakeAPI]:
        """A running fake API with the default data set (``generate_data(seed=0)``)."""
        from . import FakeAPI  # imported on use: loading the plugin stays cheap

        async with FakeAPI() as fake:
            yield fake

    @pytest_asyncio.fixture(loop_scope=loop_scope)
    async def smarterproctoring_client(smarterproctoring_fake: FakeAPI) -> AsyncIterator[Client]:
        """A client of ``smarterproctoring_fake``: no rate limit, retries 10 ms apart."""
        from .. import Client, RetryPolicy

        retry = RetryPolicy(base_delay=0.01, max_delay=0.05)
        async with Client(
            smarterproctoring_fake.token,
            base_url=smarterproctoring_fake.base_url,
            rate_limit=None,
            retry=retry,
        ) as client:
            yield client

    holder = types.ModuleType(f"smarterproctoring_async.testing.fixtures[{loop_scope}]")
    for function in (smarterproctoring_fake, smarterproctoring_client):
        setattr(getattr(function, "__wrapped__", function), _TAG, loop_scope)
        setattr(holder, function.__name__, function)
    return holder
