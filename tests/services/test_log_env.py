"""SMARTERPROCTORING_LOG: one stderr handler per process at the level asked for."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

import smarterproctoring_async as sp
from smarterproctoring_async import _log_env
from smarterproctoring_async.testing import FakeAPI

from ..conftest import MakeClient, handle

LOGGER = logging.getLogger("smarterproctoring_async")


@pytest.fixture(autouse=True)
def pristine_logger() -> Iterator[None]:
    handlers, level = list(LOGGER.handlers), LOGGER.level
    _log_env._reset()
    yield
    _log_env._reset()
    LOGGER.handlers[:] = handlers
    LOGGER.setLevel(level)


def added() -> list[logging.Handler]:
    return [h for h in LOGGER.handlers if type(h) is logging.StreamHandler]


async def test_debug_attaches_one_stderr_handler_that_logs_each_attempt(
    fake: FakeAPI,
    make_client: MakeClient,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SMARTERPROCTORING_LOG", "DEBUG")
    client = make_client()
    make_client()  # a second client adds nothing
    assert len(added()) == 1 and added()[0].level == logging.DEBUG
    await handle(client, fake.data.sessions[0]).get()
    err = capsys.readouterr().err
    assert "DEBUG smarterproctoring_async: GET /v1/installs/" in err and "-> 200" in err
    assert fake.token not in err


@pytest.mark.parametrize(
    ("value", "level"), [("info", logging.INFO), (" warning ", logging.WARNING)]
)
def test_each_documented_level(monkeypatch: pytest.MonkeyPatch, value: str, level: int) -> None:
    monkeypatch.setenv("SMARTERPROCTORING_LOG", value)
    sp.Client("a-token-for-the-log-test", base_url="http://127.0.0.1:9")
    assert [h.level for h in added()] == [level] and LOGGER.level == level


def test_an_unknown_level_is_one_warning_and_no_handler(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMARTERPROCTORING_LOG", "verbose")
    with pytest.warns(RuntimeWarning, match="SMARTERPROCTORING_LOG must be one of") as caught:
        sp.Client("a-token-for-the-log-test", base_url="http://127.0.0.1:9")
    assert len(caught) == 1 and caught[0].filename == __file__
    sp.Client("a-token-for-the-log-test", base_url="http://127.0.0.1:9")  # no second warning
    assert added() == []


def test_unset_adds_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SMARTERPROCTORING_LOG", raising=False)
    sp.Client("a-token-for-the-log-test", base_url="http://127.0.0.1:9")
    assert added() == []
