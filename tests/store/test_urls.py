"""Store URLs, passwords and the optional extra: checked before I/O, never shown."""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
import time
import traceback
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

import smarterproctoring_async as sp

from .._postgres_server import fresh_database

PASSWORD = "Pw-7f3a9c-not-to-be-seen"


def shown(error: BaseException) -> str:
    """Everything a traceback of the error would print, its chain included."""
    return "".join(traceback.format_exception(type(error), error, error.__traceback__))


@pytest.mark.parametrize(
    "url",
    [
        f"mysql://root:{PASSWORD}@localhost/db",
        f"postgresql+asyncpg://u:{PASSWORD}@localhost/db",
        f"postgresql://u:{PASSWORD}@localhost",  # no database
        "sqlite://",
        "sqlite:///:memory:",
        "not a url at all",
        f"://{PASSWORD}@",
        "",
    ],
)
def test_an_unusable_url_is_refused_before_any_io(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(sp.ConfigurationError) as caught:
        sp.Store(url)
    assert PASSWORD not in shown(caught.value)
    assert list(tmp_path.iterdir()) == []


def test_not_a_str_is_refused() -> None:
    with pytest.raises(sp.ConfigurationError):
        sp.Store(42)  # type: ignore[arg-type]


def test_urls_are_normalised_without_io(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    default = sp.Store()
    assert default.url == f"sqlite:///{tmp_path / 'smarterproctoring.db'}"
    assert sp.Store("sqlite:///rel/x.db").url == f"sqlite:///{tmp_path / 'rel' / 'x.db'}"
    store = sp.Store(f"postgresql://sync:{PASSWORD}@db.internal:5433/proctoring")
    assert store.url == "postgresql+psycopg://sync@db.internal:5433/proctoring"
    assert repr(store) == "<Store postgresql+psycopg://sync@db.internal:5433/proctoring closed>"
    in_query = sp.Store(f"postgresql://sync@db/p?password={PASSWORD}&sslmode=require")
    assert in_query.url == "postgresql+psycopg://sync@db/p?sslmode=require"
    assert list(tmp_path.iterdir()) == []


async def test_the_default_store_is_a_file_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    async with sp.Store() as store:
        assert "open" in repr(store)
        await store.counts()
    assert (tmp_path / "smarterproctoring.db").is_file()


async def test_an_unreachable_server_error_names_the_store_but_no_password(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    for url in (
        f"postgresql://sync:{PASSWORD}@127.0.0.1:1/proctoring",
        f"postgresql://sync@127.0.0.1:1/proctoring?password={PASSWORD}",
    ):
        store = sp.Store(url)
        with pytest.raises(sp.StoreError) as caught:
            async with store:
                pass
        assert str(caught.value).startswith(
            "opening failed on the store postgresql+psycopg://sync@127.0.0.1:1/proctoring"
        )
        assert PASSWORD not in shown(caught.value) + repr(store) + str(store.__dict__.get("url"))
        assert "\n" not in str(caught.value)
    assert PASSWORD not in caplog.text


@pytest.fixture
def postgres_with_password(postgres_server_url: str) -> Iterator[str]:
    """A fresh database's URL carrying a password (trust authentication ignores it)."""
    with fresh_database(postgres_server_url) as url:
        parts = urlsplit(url)
        netloc = parts.netloc.replace("@", f":{PASSWORD}@", 1)
        yield urlunsplit(parts._replace(netloc=netloc))


async def test_a_password_never_shows_in_use(
    postgres_with_password: str,
    results: list[sp.SessionResult],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []
    async with sp.Store(postgres_with_password) as first, sp.Store(postgres_with_password) as other:
        seen += [repr(first), first.url]
        await first.save(results[0], version="v", run_id=1)
        async with first.lock("AI1"):
            with pytest.raises(sp.StoreBusyError) as busy:
                async with other.lock("AI1", wait=0):
                    pass
        seen.append(shown(busy.value))
        with pytest.raises(sp.StoreError) as unknown:
            await first.finish_run(
                12345, status="ok", stored=0, unchanged=0, skipped=0, failed=0,
                events=0, annotations=0, requests=0, errors=[],
            )  # fmt: skip
        seen.append(shown(unknown.value))
    assert all(PASSWORD not in text for text in seen)
    assert PASSWORD not in caplog.text


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)


def test_importing_the_package_loads_no_sqlalchemy() -> None:
    ran = run_python(
        "import sys, smarterproctoring_async as sp\n"
        "assert 'sqlalchemy' not in sys.modules\n"
        "assert 'smarterproctoring_async.store' not in sys.modules\n"
        "sp.Store, sp.StoreError, sp.StoreBusyError\n"
        "assert 'sqlalchemy' in sys.modules and 'psycopg' not in sys.modules\n"
    )
    assert ran.returncode == 0, ran.stderr


def test_without_sqlalchemy_the_message_names_the_extra() -> None:
    ran = run_python(
        "import sys\n"
        "sys.modules['sqlalchemy'] = None\n"
        "import smarterproctoring_async as sp\n"
        "sp.StoreError\n"  # the errors need no extra
        "try:\n"
        "    sp.Store\n"
        "except ImportError as error:\n"
        "    print(error)\n"
    )
    assert ran.returncode == 0, ran.stderr
    assert "pip install 'smarterproctoring-async[store]'" in ran.stdout


def test_without_psycopg_a_postgresql_store_names_the_extra() -> None:
    ran = run_python(
        "import sys, anyio\n"
        "sys.modules['psycopg'] = None\n"
        "import smarterproctoring_async as sp\n"
        "async def main():\n"
        "    async with sp.Store('postgresql://u@127.0.0.1:1/db'):\n"
        "        pass\n"
        "try:\n"
        "    anyio.run(main)\n"
        "except ImportError as error:\n"
        "    print(error)\n"
    )
    assert ran.returncode == 0, ran.stderr
    assert "pip install 'smarterproctoring-async[postgres]'" in ran.stdout


async def test_a_postgresql_server_that_never_answers_fails_the_open_in_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("psycopg")
    from smarterproctoring_async.store import _db

    monkeypatch.setattr(_db, "CONNECT_TIMEOUT", 1)
    with socket.socket() as silent:  # accepts connections (the backlog) and says nothing
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        started = time.monotonic()
        with pytest.raises(sp.StoreError, match="opening failed"):
            async with sp.Store(f"postgresql://sync@127.0.0.1:{port}/proctoring"):
                pass
        assert time.monotonic() - started < 8
