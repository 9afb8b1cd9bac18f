"""Rate limits and throttles on what users do, shared through Redis in a cluster.

On one node, counters live in memory; in a cluster they live in Redis, so a
user's limit is the same whichever node they reach. If Redis fails, each node
falls back to counting in memory (limits per node) rather than refusing or
waving everything through. Both use the sliding-window-counter arithmetic of
the ``limits`` library (which also parses the limits' notation): this window's
count plus the previous window's, weighted by how much of it the sliding
window still covers, rounded up (rounding down, as ``limits`` does, let a burst
that straddles two windows through one hit over the limit).

The counters are kept by hand rather than in ``limits``' storages, for speed:
its Redis storage makes one round trip per hit, which cost a sending node about
a third of its CPU at a thousand messages per second (here the hits of one tick
go to Redis together, in one script call), and its memory storage cost about
5 % of the server's CPU per message where a dictionary lookup does.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time

import redis.asyncio as redis
from limits import RateLimitItem, parse
from redis.commands.core import AsyncScript
from redis.exceptions import RedisError

from vaultroom.services.errors import RateLimited

logger = logging.getLogger(__name__)

# Forget local throttle entries older than the interval once the table grows this big.
_PRUNE_AT = 10_000
# After Redis fails, count in memory this long before trying it again (so that an
# unreachable Redis does not add a connection timeout to every request).
_SHARED_RETRY_SECONDS = 1.0


class _SharedHealth:
    """Whether to try the shared storage now (it failed less than a second ago: no)."""

    def __init__(self) -> None:
        self._retry_at = 0.0

    def usable(self) -> bool:
        return time.monotonic() >= self._retry_at

    def failed(self, what: str) -> None:
        if self.usable():
            logger.warning("%s storage in Redis unavailable; counting in memory", what)
        self._retry_at = time.monotonic() + _SHARED_RETRY_SECONDS


# Local counters kept beyond this many keys are pruned of windows that ended.
_LOCAL_KEYS_PRUNE_AT = 100_000
# ARGV: key prefix, limit, window ms, keys... -> per key: 0 (counted) or ms until retry.
_SLIDING_WINDOW_HITS = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit, window = tonumber(ARGV[2]), tonumber(ARGV[3])
local index = math.floor(now / window)
local weight = (window - (now - index * window)) / window
local out = {}
for i = 4, #ARGV do
  local current = ARGV[1] .. ARGV[i] .. ':' .. index
  local count = tonumber(redis.call('GET', current) or '0')
  local previous = tonumber(redis.call('GET', ARGV[1] .. ARGV[i] .. ':' .. (index - 1)) or '0')
  if count + 1 + math.ceil(previous * weight) > limit then
    table.insert(out, math.max(1, (index + 1) * window - now))
  else
    redis.call('INCR', current)
    redis.call('PEXPIRE', current, 2 * window)
    table.insert(out, 0)
  end
end
return out
"""
# ARGV: key prefix, window ms, key -> takes back one hit of this window (or, just after
# a window ended, of the previous one).
_SLIDING_WINDOW_REFUND = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local index = math.floor(now / tonumber(ARGV[2]))
for _, i in ipairs({index, index - 1}) do
  local key = ARGV[1] .. ARGV[3] .. ':' .. i
  if tonumber(redis.call('GET', key) or '0') > 0 then
    redis.call('DECR', key)
    return 1
  end
end
return 0
"""


class _LocalWindows:
    """Sliding-window counters in this process: per key (window index, count, previous count)."""

    def __init__(self, limit: int, window_ms: int) -> None:
        self._limit = limit
        self._window = window_ms
        self._counts: dict[str, tuple[int, int, int]] = {}

    def refund(self, key: str) -> None:
        """Take back one hit of ``key`` (of this window, else of the previous one)."""
        entry = self._counts.get(key)
        index = int(time.time() * 1000 // self._window)
        if entry is None or entry[0] < index - 1:
            return
        entry_index, count, previous = entry
        if count > 0:
            self._counts[key] = (entry_index, count - 1, previous)
        elif entry_index == index and previous > 0:
            self._counts[key] = (entry_index, count, previous - 1)

    def hit(self, key: str) -> int:
        """0 if counted, else the milliseconds until a retry may succeed."""
        now = time.time() * 1000
        index = int(now // self._window)
        count = previous = 0
        entry = self._counts.get(key)
        if entry is not None:
            entry_index, entry_count, entry_previous = entry
            if entry_index == index:
                count, previous = entry_count, entry_previous
            elif entry_index == index - 1:
                previous = entry_count
        weight = (self._window - (now - index * self._window)) / self._window
        if count + 1 + math.ceil(previous * weight) > self._limit:
            return max(1, math.ceil((index + 1) * self._window - now))
        if len(self._counts) >= _LOCAL_KEYS_PRUNE_AT:
            self._counts = {k: v for k, v in self._counts.items() if v[0] >= index - 1}
        self._counts[key] = (index, count + 1, previous)
        return 0


class RateLimit:
    """One limit, e.g. ``"30/10 seconds"`` of message sends per user."""

    def __init__(
        self, spec: str, what: str, shared: redis.Redis | None = None, prefix: str = ""
    ) -> None:
        self._item: RateLimitItem = parse(spec)
        self._what = what
        self._window_ms = self._item.get_expiry() * 1000
        self._local = _LocalWindows(self._item.amount, self._window_ms)
        self._shared = shared
        self._prefix = f"{prefix}limit:{what}:"
        self._script = shared.register_script(_SLIDING_WINDOW_HITS) if shared else None
        self._refund_script = shared.register_script(_SLIDING_WINDOW_REFUND) if shared else None
        self._waiting: list[tuple[str, asyncio.Future[int]]] = []
        self._flushing = False
        self._flush_task: asyncio.Task[None] | None = None
        self._health = _SharedHealth()

    async def hit(self, key: str) -> None:
        """Count one use by ``key``; raise ``RateLimited`` when over the limit."""
        if self._script is None or not self._health.usable():
            retry_ms = self._local.hit(key)
        else:
            future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
            self._waiting.append((key, future))
            if not self._flushing:
                self._flushing = True
                asyncio.get_running_loop().call_soon(self._start_flush)
            retry_ms = await future
        self._raise_if_refused(retry_ms)

    async def refund(self, key: str) -> None:
        """Take back a hit of ``key`` (one that turned out not to count: a reserved
        sign-in failure that was a success)."""
        if self._refund_script is not None and self._health.usable():
            try:
                await self._refund_script(args=[self._prefix, self._window_ms, key])
            except (RedisError, OSError):
                self._health.failed("rate-limit")
            else:
                return
        self._local.refund(key)

    def _raise_if_refused(self, retry_ms: int) -> None:
        if retry_ms:
            retry_after = max(1, math.ceil(retry_ms / 1000))
            raise RateLimited(
                f"Too many {self._what}; try again in {retry_after} s.", retry_after=retry_after
            )

    def _start_flush(self) -> None:
        if self._script is not None:
            self._flush_task = asyncio.get_running_loop().create_task(self._flush(self._script))

    async def _flush(self, script: AsyncScript) -> None:
        """Send every waiting hit in one script call; repeat while more arrived meanwhile."""
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                try:
                    args: list[str | int] = [self._prefix, self._item.amount, self._window_ms]
                    args += [key for key, _ in batch]
                    results = [int(r) for r in await script(args=args)]
                except (RedisError, OSError):
                    self._health.failed("rate-limit")
                    results = [self._local.hit(key) for key, _ in batch]
                for (_key, future), result in zip(batch, results, strict=True):
                    if not future.done():
                        future.set_result(result)
        finally:
            self._flushing = False


class Throttle:
    """Lets one event per key through each ``interval_seconds``; drops the rest."""

    def __init__(
        self, interval_seconds: float, shared: redis.Redis | None = None, prefix: str = ""
    ) -> None:
        self._interval = interval_seconds
        self._shared = shared
        self._prefix = f"{prefix}throttle:"
        self._last: dict[str, float] = {}
        self._health = _SharedHealth()

    async def allow(self, key: str) -> bool:
        """Whether an event for ``key`` may go through now."""
        if self._interval <= 0:
            return True
        if self._shared is not None and self._health.usable():
            try:
                # SET NX PX: only the first caller in the interval creates the key.
                return bool(
                    await self._shared.set(
                        self._prefix + key, b"1", nx=True, px=max(1, int(self._interval * 1000))
                    )
                )
            except (RedisError, OSError):
                self._health.failed("throttle")
        return self._allow_locally(key)

    def _allow_locally(self, key: str) -> bool:
        now = time.monotonic()
        if now - self._last.get(key, -math.inf) < self._interval:
            return False
        if len(self._last) >= _PRUNE_AT:
            self._last = {k: t for k, t in self._last.items() if now - t < self._interval}
        self._last[key] = now
        return True
