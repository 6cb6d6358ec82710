"""When Redis cannot be used: a typed error by default, or the local fallback (announced
once, at its fraction of the rate) until Redis answers again; never a password or token
in a message, repr or log line; and the package imports without redis-py."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import AsyncIterator

import anyio
import pytest
import redis
import redis.asyncio
import redis.exceptions

import smarterproctoring_async as sp
from smarterproctoring_async import errors
from smarterproctoring_async._redis_failures import failed_exchange
from smarterproctoring_async.redis_limiter import RedisRateLimiter
from smarterproctoring_async.testing import FakeAPI

from .conftest import free_port, redis_server

SECRET = "s3cret-pw"
LOGGER = "smarterproctoring_async.redis_limiter"


@pytest.fixture
def nowhere() -> str:
    """The URL of a Redis that is not there (nothing listens on its port)."""
    return f"redis://:{SECRET}@127.0.0.1:{free_port()}/0"


async def test_unreachable_redis_is_a_typed_error_and_nothing_is_sent(
    nowhere: str, fake: FakeAPI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    port = nowhere.rsplit(":", 1)[1].split("/")[0]
    async with RedisRateLimiter(nowhere, key="k") as limiter:
        with pytest.raises(errors.RateLimiterUnavailableError) as info:
            await limiter.acquire()
        assert f"127.0.0.1:{port}" in str(info.value)
        assert info.value.__context__ is None and info.value.__cause__ is None
        async with sp.Client(fake.token, base_url=fake.base_url, rate_limiter=limiter) as client:
            session = fake.data.sessions[0]
            handle = client.install(session.install_sid).exam(session.exam_sid)
            with pytest.raises(errors.RateLimiterUnavailableError) as through_client:
                await handle.session(session.sid).get()
            shown = [str(info.value), str(through_client.value), repr(limiter), repr(client)]
    assert fake.requests.total == 0
    for text in [*shown, caplog.text]:
        assert SECRET not in text
        assert fake.token not in text


async def test_the_fallback_is_local_at_its_fraction_and_announced_once(
    nowhere: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    # 40 requests/s with bursts of 4 on Redis; 10/s with no burst on the fallback.
    async with RedisRateLimiter(nowhere, key="k", rate=40.0, burst=4, fallback=0.25) as limiter:
        limiter.RECONNECT_INTERVAL = 0.0  # every acquire tries Redis again, and fails
        with anyio.fail_after(5):
            start = time.monotonic()
            for _ in range(6):
                await limiter.acquire()
            elapsed = time.monotonic() - start
    assert elapsed >= 5 / 10 - 0.06  # five intervals of 0.1 s, less the slack
    warnings = [r for r in caplog.records if r.name == LOGGER and r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "0.25" in warnings[0].getMessage()
    assert SECRET not in caplog.text


async def test_the_fallback_ends_when_redis_answers_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    port = free_port()
    key = f"test:comeback:{uuid.uuid4().hex[:8]}"
    async with RedisRateLimiter(
        f"redis://127.0.0.1:{port}/0", key=key, rate=50.0, fallback=0.5
    ) as limiter:
        limiter.RECONNECT_INTERVAL = 0.05
        with anyio.fail_after(10):
            await limiter.acquire()  # on the fallback
            with redis_server(port) as url:
                await anyio.sleep(0.1)
                await limiter.acquire()  # Redis again
                check = redis.asyncio.Redis.from_url(url)
                try:
                    assert await check.exists(f"smarterproctoring:{{{key}}}:state")
                finally:
                    await check.aclose()
                await limiter.aclose()  # while the server is still there
    levels = [r.levelno for r in caplog.records if r.name == LOGGER]
    assert levels == [logging.WARNING, logging.INFO]
    assert "answers again" in caplog.records[-1].getMessage()


def test_a_password_quoted_by_redis_is_scrubbed() -> None:
    # No redis-py message seen so far quotes the password; should one do so, it is cut.
    for quoted in (
        redis.exceptions.ConnectionError(f"cannot log in with {SECRET}"),
        redis.exceptions.ResponseError(f"cannot log in with {SECRET}"),
    ):
        error = failed_exchange(redis, quoted, where="h:1/0", key="k", secret=SECRET)
        assert SECRET not in str(error) and "***" in str(error)


@pytest.fixture
async def user_with_password(redis_url: str) -> AsyncIterator[str]:
    """A Redis user with a password on the test server; its name."""
    name = f"sp-test-{uuid.uuid4().hex[:8]}"
    admin = redis.asyncio.Redis.from_url(redis_url)
    try:
        await admin.acl_setuser(
            name, enabled=True, passwords=[f"+{SECRET}"], keys=["*"], commands=["+@all"]
        )
        yield name
    finally:
        await admin.acl_deluser(name)
        await admin.aclose()


async def test_a_password_is_used_but_never_shown(
    redis_url: str, user_with_password: str, key: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    where = redis_url.split("://", 1)[1]
    good = f"redis://{user_with_password}:{SECRET}@{where}"
    async with RedisRateLimiter(good, key=key) as limiter:
        await limiter.acquire()
        assert SECRET not in repr(limiter)
    # A wrong password is no outage: an error even with a fallback, and no password in it.
    wrong = f"redis://{user_with_password}:not-{SECRET}@{where}"
    async with RedisRateLimiter(wrong, key=key, fallback=0.5) as limiter:
        with pytest.raises(errors.RateLimiterUnavailableError, match="refused") as info:
            await limiter.acquire()
    assert "not-" not in str(info.value) and SECRET not in str(info.value)
    assert SECRET not in caplog.text


def test_the_package_imports_without_redis() -> None:
    script = textwrap.dedent(
        """
        import sys

        class NoRedis:
            def find_spec(self, name, path=None, target=None):
                if name == "redis" or name.startswith("redis."):
                    raise ImportError("No module named " + repr(name))

        sys.meta_path.insert(0, NoRedis())
        import smarterproctoring_async
        from smarterproctoring_async.redis_limiter import RedisRateLimiter
        try:
            RedisRateLimiter("redis://127.0.0.1:1/0", key="k")
        except ImportError as error:
            print(error)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert "pip install 'smarterproctoring-async[redis]'" in done.stdout
