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
  ``slowed``, climbing back from there), ``epoch`` (when this state was created: a
  holder whose slot belongs to another epoch books again) and ``slack``/``slack_at``
  (the largest jitter a holder reported lately, and when);
- ``<prefix>:free``, a sorted set of slots given back, scored by ``start - shift`` at
  booking time, so that later pauses move them like every booked slot.

A missing state (first use, a minute idle, ``FLUSHALL``, a restart without
persistence) starts as a bucket just emptied: the holders may have sent a full burst
a moment ago, so the next slot is one interval (plus the slack) away.

Both keys expire :data:`IDLE_EXPIRY` seconds after the last moment their state matters
(the end of the schedule, of the pause, of the slow-down's recovery, of the last slot
given back), so an abandoned key does not linger.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "IDLE_EXPIRY",
    "SCRIPT",
    "SLACK_MEMORY",
    "Answer",
    "Exchange",
    "Op",
    "Pending",
    "keys",
    "read_answer",
    "script_args",
    "still_useful",
    "to_send",
]

#: Seconds the keys outlive the last moment their state matters.
IDLE_EXPIRY = 60.0
#: Seconds a holder's reported jitter stays in force for every holder of the key.
SLACK_MEMORY = 10.0

SCRIPT = """
local state, free = KEYS[1], KEYS[2]
local interval = tonumber(ARGV[1])
local spare = tonumber(ARGV[2])
local reserve = ARGV[3] == '1'
local deadline = tonumber(ARGV[4])
local max_pause = tonumber(ARGV[5])
local min_factor = tonumber(ARGV[6])
local recovery = tonumber(ARGV[7])
local keep = tonumber(ARGV[8])
local slack = tonumber(ARGV[9])
local memory = tonumber(ARGV[10])

local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000

local function fmt(x)
  return string.format('%.17g', x)
end

local saved = redis.call('HMGET', state, 'tat', 'paused', 'shift', 'low', 'slowed',
  'epoch', 'slack', 'slack_at')
local epoch = saved[6]
local tat, paused, shift, low, slowed
if epoch then
  tat, paused, shift = tonumber(saved[1]), tonumber(saved[2]), tonumber(saved[3])
  low, slowed = tonumber(saved[4]), tonumber(saved[5])
else
  -- No state: holders may have spent a whole burst just before it was lost, and a
  -- first use cannot be told from a loss. The bucket counts as just emptied.
  epoch = fmt(now)
  tat, paused, shift, low, slowed = now + spare + interval, 0, 0, 1, 0
end

-- The largest jitter any holder reported within `memory` seconds covers them all.
local known, known_at = tonumber(saved[7]) or 0, tonumber(saved[8]) or 0
if now - known_at > memory then known = 0 end
if slack >= known then
  known, known_at = slack, now
end
local tolerance = math.max(0, spare - known)

local function factor(at)
  if low >= 1 then return 1 end
  return math.min(1, low + recovery * math.max(0, at - slowed))
end

-- What the caller did since its last call, in the order it did it.
for i = 11, #ARGV - 2, 3 do
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
    -- A slot of a lost schedule means nothing in this one.
    if interval > 0 and ARGV[i + 2] == epoch and value + shift > now then
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
  'low', fmt(low), 'slowed', fmt(slowed), 'epoch', epoch, 'slack', fmt(known),
  'slack_at', fmt(known_at))
local horizon = math.max(tat, paused)
if low < 1 then horizon = math.max(horizon, slowed + (1 - low) / recovery) end
local last = redis.call('ZRANGE', free, -1, -1, 'WITHSCORES')
if #last > 0 then horizon = math.max(horizon, tonumber(last[2]) + shift) end
local ttl = math.ceil((math.max(horizon, now) - now + keep) * 1000)
redis.call('PEXPIRE', state, ttl)
redis.call('PEXPIRE', free, ttl)
return {status, fmt(now), fmt(start), fmt(paused), fmt(shift), epoch, fmt(known)}
"""


@dataclass(frozen=True)
class Op:
    """Something a holder did that the script applies before booking.

    ``kind`` is ``"p"`` (pause: ``value`` seconds still to pause), ``"s"`` (slow down)
    or ``"g"`` (give back the slot whose ``start - shift`` is ``value``, booked in
    ``epoch``).
    """

    kind: str
    value: float = 0.0
    epoch: str = ""


@dataclass(frozen=True)
class Answer:
    """What the script said, in seconds of the Redis server's clock.

    ``status`` is ``"ok"`` (a slot at ``start`` is booked), ``"late"`` (the next slot,
    at ``start``, is after the deadline: nothing booked), ``"paused"`` (the pause lasts
    past ``max_pause``: nothing booked) or ``"none"`` (nothing was asked for).
    ``epoch`` names the state the slot belongs to, and ``slack`` is the jitter
    allowance in force (the largest any holder reported lately).
    """

    status: str
    now: float
    start: float
    paused_until: float
    shift: float
    epoch: str = ""
    slack: float = 0.0

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


#: The script's answer and the local times its call left and came back.
Exchange = tuple[Answer, float, float]


def keys(key: str) -> list[str]:
    """The Redis keys of a budget named ``key``: its state hash and its free set."""
    prefix = f"smarterproctoring:{{{key}}}"
    return [f"{prefix}:state", f"{prefix}:free"]


def script_args(
    *,
    interval: float,
    spare: float,
    slack: float,
    reserve: bool,
    deadline: float | None,
    max_pause: float | None,
    min_factor: float,
    recovery: float,
    ops: Sequence[Op],
) -> list[str]:
    """The script's ARGV. ``deadline`` is in seconds from now, as is every pause;
    ``spare`` is ``burst - 1`` intervals, of which the script takes the slack off."""
    args = [
        repr(interval),
        repr(spare),
        "1" if reserve else "0",
        "" if deadline is None else repr(deadline),
        "" if max_pause is None else repr(max_pause),
        repr(min_factor),
        repr(recovery),
        repr(IDLE_EXPIRY),
        repr(slack),
        repr(SLACK_MEMORY),
    ]
    for op in ops:
        args += [op.kind, repr(op.value), op.epoch]
    return args


def read_answer(reply: object) -> Answer:
    """The script's reply (bytes, or str for a client that decodes responses)."""
    if not isinstance(reply, list) or len(reply) != 7:
        raise ValueError("unexpected reply from the rate limiter's script")
    status, *figures, epoch, slack = (x.decode() if isinstance(x, bytes) else str(x) for x in reply)
    now, start, paused_until, shift = (float(x) for x in figures)
    return Answer(status, now, start, paused_until, shift, epoch, float(slack))


#: Something a holder did and has not told Redis yet: kind, value (a pause holds its
#: end as a ``time.monotonic()`` value) and the epoch of a slot given back.
Pending = tuple[str, float, str]


def to_send(pending: list[Pending], now: float) -> list[Op]:
    """The ops for ``pending``: each pause becomes the seconds it has left, if any."""
    ops = [Op(kind, until - now if kind == "p" else until, epoch) for kind, until, epoch in pending]
    return [op for op in ops if op.kind != "p" or op.value > 0]


def still_useful(pending: list[Pending], now: float) -> list[Pending]:
    """What to send again after a failed exchange, of ``pending``: one slow-down and
    the longest pause still on. Slots given back are dropped: left booked, they spend
    less of the budget, never more."""
    pauses = [until for kind, until, _ in pending if kind == "p" and until > now]
    kept = [("s", 0.0, "")] if any(kind == "s" for kind, _, _ in pending) else []
    return kept + ([("p", max(pauses), "")] if pauses else [])
