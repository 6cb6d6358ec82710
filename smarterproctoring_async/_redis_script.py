"""The Lua side of ``RedisRateLimiter``: one script, run atomically by Redis, and its answer.

The script keeps :class:`~smarterproctoring_async.RateLimiter`'s schedule in Redis, on
the Redis server's clock (``TIME``), so that every process using one key books slots
on one schedule whatever its own clock says. Each call first applies what the caller
did since its last call, in order (pauses, slow-downs, slots given back), then books
the next slot when asked to. Nothing here talks to Redis: :mod:`.redis_limiter` runs
the script and this module builds its arguments and reads its answer.

State, under the caller's key (both keys share the hash tag ``{key}``, so a Redis
Cluster keeps them on one node):

- ``<prefix>:state``, a hash: ``tat`` (theoretical arrival time of the next request),
  ``paused`` (server time until which nothing starts), ``shift`` (total pause so far),
  ``low`` and ``slowed`` (the slow-down: the rate is ``low`` of the full rate at
  ``slowed``, climbing back from there);
- ``<prefix>:free``, a sorted set of slots given back, scored by ``start - shift`` at
  booking time, so that later pauses move them like every booked slot.

Both expire :data:`IDLE_EXPIRY` seconds after the last moment their state matters (the
end of the schedule, of the pause, of the slow-down's recovery, of the last slot given
back), so an abandoned key does not linger.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "IDLE_EXPIRY",
    "SCRIPT",
    "Answer",
    "Op",
    "keys",
    "read_answer",
    "script_args",
    "still_useful",
    "to_send",
]

#: Seconds the keys outlive the last moment their state matters.
IDLE_EXPIRY = 60.0

SCRIPT = """
local state, free = KEYS[1], KEYS[2]
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local reserve = ARGV[3] == '1'
local deadline = tonumber(ARGV[4])
local max_pause = tonumber(ARGV[5])
local min_factor = tonumber(ARGV[6])
local recovery = tonumber(ARGV[7])
local keep = tonumber(ARGV[8])

local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000

-- Absent fields read as "long ago": server time 0.
local saved = redis.call('HMGET', state, 'tat', 'paused', 'shift', 'low', 'slowed')
local tat = tonumber(saved[1]) or 0
local paused = tonumber(saved[2]) or 0
local shift = tonumber(saved[3]) or 0
local low = tonumber(saved[4]) or 1
local slowed = tonumber(saved[5]) or 0

local function factor(at)
  if low >= 1 then return 1 end
  return math.min(1, low + recovery * math.max(0, at - slowed))
end

local function fmt(x)
  return string.format('%.17g', x)
end

-- What the caller did since its last call, in the order it did it.
for i = 9, #ARGV - 1, 2 do
  local kind, value = ARGV[i], tonumber(ARGV[i + 1])
  if kind == 'p' then
    local untl = now + value
    if value > 0 and untl > paused then
      local delta = untl - math.max(now, paused)
      paused = untl
      shift = shift + delta
      -- No burst right after a 429: the server's own budget is likely still empty.
      tat = math.max(tat + delta, untl + tolerance)
    end
  elseif kind == 's' then
    -- Every 429 of one wave counts once: none during the pause the last one began.
    if interval > 0 and now >= slowed then
      low = math.max(min_factor, factor(now) / 2)
      slowed = math.max(now, paused)
    end
  elseif kind == 'g' then
    if interval > 0 and value + shift > now then
      redis.call('ZADD', free, value, fmt(value))
    end
  end
end

local status, start = 'none', now
if reserve then
  status = 'ok'
  local earliest = math.max(now, paused)
  -- A slot given back and already past would let two requests start back to back.
  redis.call('ZREMRANGEBYSCORE', free, '-inf', '(' .. fmt(earliest - shift))
  local f = factor(now)
  start = math.max(earliest, tat - tolerance / f)
  local first = redis.call('ZRANGE', free, 0, 0, 'WITHSCORES')
  local reuse = false
  if #first > 0 and tonumber(first[2]) + shift <= start then
    start = tonumber(first[2]) + shift
    reuse = true
  end
  if max_pause and paused - now > max_pause then
    status = 'paused'
  elseif deadline and start - now > deadline then
    status = 'late'
  elseif reuse then
    redis.call('ZREM', free, first[1])
  elseif interval > 0 then
    tat = math.max(tat, start) + interval / f
  end
end

redis.call('HSET', state, 'tat', fmt(tat), 'paused', fmt(paused), 'shift', fmt(shift),
  'low', fmt(low), 'slowed', fmt(slowed))
local horizon = math.max(tat, paused)
if low < 1 then horizon = math.max(horizon, slowed + (1 - low) / recovery) end
local last = redis.call('ZRANGE', free, -1, -1, 'WITHSCORES')
if #last > 0 then horizon = math.max(horizon, tonumber(last[2]) + shift) end
local ttl = math.ceil((math.max(horizon, now) - now + keep) * 1000)
redis.call('PEXPIRE', state, ttl)
redis.call('PEXPIRE', free, ttl)
return {status, fmt(now), fmt(start), fmt(paused), fmt(shift)}
"""


@dataclass(frozen=True)
class Op:
    """Something a holder did that the script applies before booking.

    ``kind`` is ``"p"`` (pause: ``value`` seconds still to pause), ``"s"`` (slow down)
    or ``"g"`` (give back the slot whose ``start - shift`` is ``value``).
    """

    kind: str
    value: float = 0.0


@dataclass(frozen=True)
class Answer:
    """What the script said, in seconds of the Redis server's clock.

    ``status`` is ``"ok"`` (a slot at ``start`` is booked), ``"late"`` (the next slot,
    at ``start``, is after the deadline: nothing booked), ``"paused"`` (the pause lasts
    past ``max_pause``: nothing booked) or ``"none"`` (nothing was asked for).
    """

    status: str
    now: float
    start: float
    paused_until: float
    shift: float

    @property
    def wait(self) -> float:
        """Seconds from the script's run to the slot."""
        return max(0.0, self.start - self.now)

    @property
    def paused_for(self) -> float:
        """Seconds of pause left when the script ran."""
        return max(0.0, self.paused_until - self.now)

    @property
    def unshifted(self) -> float:
        """The slot as the free set stores it."""
        return self.start - self.shift


def keys(key: str) -> list[str]:
    """The Redis keys of a budget named ``key``: its state hash and its free set."""
    prefix = f"smarterproctoring:{{{key}}}"
    return [f"{prefix}:state", f"{prefix}:free"]


def script_args(
    *,
    interval: float,
    tolerance: float,
    reserve: bool,
    deadline: float | None,
    max_pause: float | None,
    min_factor: float,
    recovery: float,
    ops: Sequence[Op],
) -> list[str]:
    """The script's ARGV. ``deadline`` is in seconds from now, as is every pause."""
    args = [
        repr(interval),
        repr(tolerance),
        "1" if reserve else "0",
        "" if deadline is None else repr(deadline),
        "" if max_pause is None else repr(max_pause),
        repr(min_factor),
        repr(recovery),
        repr(IDLE_EXPIRY),
    ]
    for op in ops:
        args += [op.kind, repr(op.value)]
    return args


def read_answer(reply: object) -> Answer:
    """The script's reply (bytes, or str for a client that decodes responses)."""
    if not isinstance(reply, list) or len(reply) != 5:
        raise ValueError("unexpected reply from the rate limiter's script")
    status, *figures = (x.decode() if isinstance(x, bytes) else str(x) for x in reply)
    now, start, paused_until, shift = (float(x) for x in figures)
    return Answer(status, now, start, paused_until, shift)


def to_send(pending: list[tuple[str, float]], now: float) -> list[Op]:
    """The ops for ``pending`` (kind, value) pairs, whose pauses hold their end as a
    ``time.monotonic()`` value: each pause becomes the seconds it has left, if any."""
    ops = [Op(kind, value - now if kind == "p" else value) for kind, value in pending]
    return [op for op in ops if op.kind != "p" or op.value > 0]


def still_useful(pending: list[tuple[str, float]], now: float) -> list[tuple[str, float]]:
    """What to send again after a failed exchange, of ``pending`` (kind, value) pairs
    whose pauses hold their end as a ``time.monotonic()`` value: one slow-down and the
    longest pause still on. Slots given back are dropped: left booked, they spend less
    of the budget, never more."""
    pauses = [until for kind, until in pending if kind == "p" and until > now]
    kept = [("s", 0.0)] if any(kind == "s" for kind, _ in pending) else []
    return kept + ([("p", max(pauses))] if pauses else [])
