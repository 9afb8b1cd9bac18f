"""Rate limits on what users do, with the ``limits`` library (memory storage on one node).

The sliding-window-counter strategy keeps two counters per key; the moving
window would keep one entry per hit and sweep them all in threads.
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter

from vaultroom.services.errors import RateLimited


class RateLimit:
    """One limit, e.g. ``"30/10 seconds"`` of message sends per user."""

    def __init__(self, spec: str, what: str, storage: Storage | None = None) -> None:
        self._item: RateLimitItem = parse(spec)
        self._what = what
        self._limiter = SlidingWindowCounterRateLimiter(storage or MemoryStorage())

    async def hit(self, key: str) -> None:
        """Count one use by ``key``; raise ``RateLimited`` when over the limit."""
        if await self._limiter.hit(self._item, self._what, key):
            return
        stats = await self._limiter.get_window_stats(self._item, self._what, key)
        retry_after = max(1, math.ceil(stats.reset_time - time.time()))
        raise RateLimited(
            f"Too many {self._what}; try again in {retry_after} s.", retry_after=retry_after
        )
