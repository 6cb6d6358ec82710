"""RedisRateLimiter against a real Redis: one schedule, one pause and one slow-down for
every holder of a key, slots given back, bounded keys.

Several limiters on one key in one process stand for several processes (each has its
own connection); test_processes.py runs real ones. Schedules are checked on the slots
Redis granted (its own clock), not on when sleepers woke.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio
import pytest
import redis.asyncio

from smarterproctoring_async import errors
from smarterproctoring_async._ratelimit import Limiter, PausedError
from smarterproctoring_async._redis_script import IDLE_EXPIRY, Answer, Exchange, keys
from smarterproctoring_async.redis_limiter import RedisRateLimiter


class Recording(RedisRateLimiter):
    """Keeps the answer of every slot it booked (Redis server time)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.booked: list[Answer] = []
        self.on_book: Callable[[], object] | None = None  # called after each slot booked

    async def _book(self, deadline: float | None, max_pause: float | None) -> Exchange:
        answer, sent, received = await super()._book(deadline, max_pause)
        if answer.status == "ok":
            self.booked.append(answer)
            if self.on_book is not None:
                self.on_book()
        return answer, sent, received


Make = Callable[..., Recording]


@pytest.fixture
async def make(redis_url: str, key: str) -> AsyncIterator[Make]:
    """Build limiters on the test's key (each with its own connection); closed after."""
    made: list[Recording] = []

    def build(**options: Any) -> Recording:
        options.setdefault("key", key)
        limiter = Recording(redis_url, **options)
        made.append(limiter)
        return limiter

    yield build
    for limiter in made:
        await limiter.aclose()


@pytest.fixture
async def server(redis_url: str) -> AsyncIterator[redis.asyncio.Redis]:
    """A plain client, to look at what the limiters left in Redis."""
    client = redis.asyncio.Redis.from_url(redis_url, decode_responses=True)
    yield client
    await client.aclose()


async def state(server: redis.asyncio.Redis, key: str) -> dict[str, float]:
    """The budget's state hash, as numbers."""
    return {str(k): float(v) for k, v in (await server.hgetall(keys(key)[0])).items()}


async def eventually(check: Callable[[], Any]) -> None:
    """Wait until the coroutine function ``check`` returns true (background pushes reach
    Redis within milliseconds; 5 s at most)."""
    for _ in range(500):
        if await check():
            return
        await anyio.sleep(0.01)
    raise AssertionError("still not so after 5 s")


async def fill_up(*limiters: Recording) -> None:
    """Start the key's state and wait until its bucket is full: a new key starts empty.

    Every limiter books once first, so that each has its connection and script before
    the test proper: a connection made during it would spread the arrivals out."""
    for limiter in limiters:
        await limiter.acquire()
    first = limiters[0]
    assert first.rate is not None
    await anyio.sleep((first.burst + len(limiters)) / first.rate)
    for limiter in limiters:
        limiter.booked.clear()


def max_in_window(times: list[float], window: float) -> int:
    best, first = 0, 0
    for i, t in enumerate(times):
        while times[first] < t - window + 1e-9:
            first += 1
        best = max(best, i - first + 1)
    return best


async def test_limiters_on_one_key_share_one_schedule(make: Make) -> None:
    rate, burst, n = 40.0, 4, 30
    limiters = [make(rate=rate, burst=burst) for _ in range(3)]
    with anyio.fail_after(10):
        await fill_up(*limiters)
        async with anyio.create_task_group() as tg:
            for i in range(n):
                tg.start_soon(limiters[i % 3].acquire)
    booked = [a for limiter in limiters for a in limiter.booked]
    starts = sorted(a.start for a in booked)
    assert len(starts) == n
    for window in (0.05, 0.1, 0.25, 0.5, 1.0):
        assert max_in_window(starts, window) <= rate * window + burst
    # The burst is there, once: that many slots start when asked for. The slack, the
    # jitter this machine measured, takes its share of the burst off (all of it on a
    # loaded machine), so the count expected is what the slack in force leaves.
    slack = max(a.slack for a in booked)
    at_once = sum(a.start <= a.now + 1e-6 for a in booked)
    assert at_once >= 1 + int(max(0.0, (burst - 1) / rate - slack) * rate + 1e-9)
    assert starts[-1] - starts[0] >= (n - burst) / rate - 0.01  # then the rate, for all


async def test_a_pause_by_one_holder_holds_back_the_others(
    make: Make, server: redis.asyncio.Redis, key: str
) -> None:
    pausing, other = make(rate=20.0, burst=1), make(rate=20.0, burst=1)
    pausing.pause(3600)  # sync: reaches Redis from the limiter's background task
    await eventually(lambda: _paused_for(server, key, more_than=3000))
    with anyio.fail_after(2), pytest.raises(PausedError) as info:
        await other.acquire(max_pause=60)
    assert info.value.remaining == pytest.approx(3600, abs=5)
    assert other.booked == []  # nothing booked
    assert other.paused_until > time.monotonic() + 3000  # and now it knows

    pausing, other = (
        make(rate=20.0, burst=1, key=key + "2"),
        make(rate=20.0, burst=1, key=key + "2"),
    )
    pausing.pause(0.4)
    await eventually(lambda: _paused_for(server, key + "2", more_than=0))
    with anyio.fail_after(3):
        await other.acquire()
    # The first booking saw the pause; the slot used is the last booked (under load a
    # waiter whose answer came later than the slack after its slot books again) and
    # starts after the pause either way.
    assert other.booked
    first, used = other.booked[0], other.booked[-1]
    assert first.start >= first.paused_until > first.now + 0.2
    assert used.start >= first.paused_until


async def _paused_for(server: redis.asyncio.Redis, key: str, *, more_than: float) -> bool:
    seconds, micros = await server.time()
    paused = (await state(server, key)).get("paused", 0.0)
    return paused - (seconds + micros / 1e6) > more_than


async def test_a_waiter_booked_before_a_pause_elsewhere_waits_it_out(make: Make) -> None:
    waiter, pausing = make(rate=10.0, burst=1), make(rate=10.0, burst=1)

    booked = anyio.Event()

    async def pause_once_booked() -> None:
        # Once the waiter's slot (0.1 s ahead) is booked, not after a fixed delay: a
        # loaded machine may take longer than that to book it.
        await booked.wait()
        pausing.pause(0.5)

    with anyio.fail_after(5):
        await waiter.acquire()
        before = len(waiter.booked)  # under load the first acquire may book twice
        waiter.on_book = booked.set
        async with anyio.create_task_group() as tg:
            tg.start_soon(pause_once_booked)
            await waiter.acquire()  # booked 0.1 s ahead, before the pause
            done = time.monotonic()
    # It asked Redis again when its slot came, and slept the pause too.
    assert done >= pausing.paused_until - 0.05
    slot = waiter.booked[before]
    assert slot.paused_until < slot.now  # booked before the pause, 0.1 s ahead


async def test_a_slow_down_is_shared_and_counted_once_per_wave(
    make: Make, server: redis.asyncio.Redis, key: str
) -> None:
    rate = 50.0
    slowing, other = make(rate=rate, burst=1), make(rate=rate, burst=1)
    slowing.pause(0.05)
    slowing.slow_down()
    slowing.slow_down()  # the same wave of 429s: counted once
    await eventually(lambda: _field(server, key, "low", 0.5))
    with anyio.fail_after(5):
        for _ in range(5):
            await other.acquire()
    starts = [a.start for a in other.booked]
    # Half the rate (recovering 5 % a second: a little less than two intervals).
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert min(gaps) >= 1.8 / rate


async def _field(server: redis.asyncio.Redis, key: str, name: str, value: float) -> bool:
    return (await state(server, key)).get(name) == value


async def test_cancelled_waiters_give_their_slots_to_every_holder(
    make: Make, server: redis.asyncio.Redis, key: str
) -> None:
    waiting, other = make(rate=10.0, burst=1), make(rate=10.0, burst=1)
    free = keys(key)[1]
    with anyio.fail_after(15):
        await waiting.acquire()
        async with anyio.create_task_group() as tg:
            for _ in range(40):
                tg.start_soon(waiting.acquire)
            await eventually(lambda: _booked(waiting, 41))  # four seconds of slots
            tg.cancel_scope.cancel()
        # Given back to Redis from the background, where every holder sees them.
        await eventually(lambda: _at_least(server.zcard(free), 35))
        booked = (await state(server, key))["tat"]
        await other.acquire()
    slot = other.booked[0]
    assert slot.start - slot.now < 0.5  # an abandoned slot, not one 4 s away
    if len(other.booked) == 1:  # not booked again (a confirmation later than the slack)
        assert (await state(server, key))["tat"] == booked  # the schedule did not grow


async def _booked(limiter: Recording, count: int) -> bool:
    return len(limiter.booked) >= count


async def _at_least(count: Any, least: int) -> bool:
    return int(await count) >= least


async def test_a_deadline_before_the_next_slot_fails_at_once_and_books_nothing(
    make: Make, server: redis.asyncio.Redis, key: str
) -> None:
    limiter = make(rate=1.0, burst=1)
    with anyio.fail_after(5):
        await limiter.acquire()
        booked = (await state(server, key))["tat"]
        # Counted here: under load the first acquire may book twice (its slot confirmed
        # later than the slack is booked again), which is not what this test is about.
        slots = len(limiter.booked)
        start = time.monotonic()
        with pytest.raises(errors.TimeoutError, match="after the deadline"):
            await limiter.acquire(deadline=start + 0.05)
        assert time.monotonic() - start < 0.5
    assert (await state(server, key))["tat"] == booked
    assert len(limiter.booked) == slots


async def test_a_waiter_out_of_time_gives_its_slot_back(
    make: Make, server: redis.asyncio.Redis, key: str
) -> None:
    limiter = make(rate=2.0, burst=1)

    async def pause_soon() -> None:
        await anyio.sleep(0.03)
        limiter.pause(5)

    with anyio.fail_after(5):
        await limiter.acquire()
        start = time.monotonic()
        async with anyio.create_task_group() as tg:
            tg.start_soon(pause_soon)
            with pytest.raises(errors.TimeoutError, match="after the deadline"):
                await limiter.acquire(deadline=start + 0.8)  # the slot is 0.5 s away
        assert time.monotonic() - start < 0.8 + 0.3  # by the deadline, not 5 s later
        await eventually(lambda: _at_least(server.zcard(keys(key)[1]), 1))


async def test_without_a_rate_only_pauses_are_shared(
    make: Make, server: redis.asyncio.Redis, key: str
) -> None:
    pausing, other = make(rate=None), make(rate=None)
    with anyio.fail_after(5):
        for _ in range(20):
            await other.acquire()
        assert all(a.start == a.now for a in other.booked)  # nobody waits
        pausing.pause(0.3)
        await eventually(lambda: _paused_for(server, key, more_than=0))
        await other.acquire()
    slot = other.booked[-1]
    assert slot.start >= slot.paused_until > slot.now


async def test_the_keys_expire(make: Make, server: redis.asyncio.Redis, key: str) -> None:
    limiter = make(rate=10.0, burst=1)
    with anyio.fail_after(5):
        await limiter.acquire()
        limiter.pause(30)
        await eventually(lambda: _paused_for(server, key, more_than=20))
        with anyio.move_on_after(0.05):
            await limiter.acquire()  # a slot given back: the free set exists too
        await eventually(lambda: _at_least(server.zcard(keys(key)[1]), 1))
    for name in keys(key):
        ttl = await server.pttl(name) / 1000
        # Past the pause's end (its state still matters), not much longer.
        assert 30 + IDLE_EXPIRY - 5 < ttl <= 31 + IDLE_EXPIRY


async def test_the_script_is_loaded_again_after_a_flush(
    make: Make, server: redis.asyncio.Redis
) -> None:
    limiter = make(rate=100.0)
    with anyio.fail_after(5):
        await limiter.acquire()
        await server.script_flush()  # a restarted or failed-over Redis forgets scripts
        await limiter.acquire()
    # Both went through the script (a slot confirmed later than the slack is booked
    # again, so there may be more than two bookings).
    assert len(limiter.booked) >= 2


async def test_it_closes_the_connection_it_made_and_never_yours(
    redis_url: str, server: redis.asyncio.Redis, key: str
) -> None:
    async def connected(name: str) -> bool:
        clients = await server.client_list()
        return any(c.get("name") == name for c in clients)

    separator = "&" if "?" in redis_url else "?"
    async with RedisRateLimiter(f"{redis_url}{separator}client_name={key}-own", key=key) as own:
        await own.acquire()
        assert await connected(f"{key}-own")
    assert not await connected(f"{key}-own")
    with pytest.raises(errors.ClientStateError, match="closed"):
        await own.acquire()

    yours = redis.asyncio.Redis.from_url(redis_url, decode_responses=True, client_name=key)
    try:
        limiter = RedisRateLimiter(yours, key=key)
        assert isinstance(limiter, Limiter)  # what Client(rate_limiter=...) takes
        await limiter.acquire()  # a client that decodes responses works too
        await limiter.aclose()
        assert await yours.ping()
        assert await connected(key)
    finally:
        await yours.aclose()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"key": ""}, "key must be"),
        ({"key": "a{b}"}, "key must be"),
        ({"key": 3}, "key must be"),
        ({"key": "k", "rate": 0}, "rate must be"),
        ({"key": "k", "burst": 0}, "burst must be"),
        ({"key": "k", "fallback": 0}, "fallback must be"),
        ({"key": "k", "fallback": 1.5}, "fallback must be"),
        ({"key": "k", "fallback": True}, "fallback must be"),
        ({"key": "k", "fallback": "0.5"}, "fallback must be"),
    ],
)
def test_bad_settings(options: dict[str, Any], message: str) -> None:
    with pytest.raises(errors.ConfigurationError, match=f"^{message}"):
        RedisRateLimiter("redis://127.0.0.1:1/0", **options)


def test_a_bad_redis_argument_is_refused_without_echo() -> None:
    with pytest.raises(errors.ConfigurationError, match="URL") as info:
        RedisRateLimiter("redis://:s3cret@127.0.0.1:port/0", key="k")
    assert "s3cret" not in str(info.value)
    with pytest.raises(errors.ConfigurationError, match=r"redis\.asyncio\.Redis"):
        RedisRateLimiter(42, key="k")  # type: ignore[arg-type]


async def test_hundreds_of_waiters_queue_instead_of_exhausting_the_connection_pool(
    make: Make,
) -> None:
    # redis-py's pool refuses a 101st connection ("Too many connections"): that must
    # not pass for Redis being unreachable.
    limiter = make(rate=None)
    with anyio.fail_after(20):
        waited = await asyncio.gather(*(limiter.acquire() for _ in range(300)))
    assert len(waited) == 300
