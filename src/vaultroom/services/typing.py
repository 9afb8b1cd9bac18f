"""Typing notices: members only, at most one per user and conversation per interval."""

from __future__ import annotations

import time

from vaultroom.db import Database
from vaultroom.fanout import Delivery, Fanout
from vaultroom.schemas.events import TypingNotice
from vaultroom.services.conversations import NO_SUCH_CONVERSATION
from vaultroom.services.errors import NotFound
from vaultroom.store import conversations as conversations_store

# Forget throttle entries older than this many intervals once the table grows.
_PRUNE_AT = 10_000


class TypingRelay:
    """Relays ``typing`` to the other members, throttled (extra notices are dropped)."""

    def __init__(self, db: Database, fanout: Fanout, *, interval_seconds: float) -> None:
        self._db = db
        self._fanout = fanout
        self._interval = interval_seconds
        self._last: dict[tuple[int, int], float] = {}

    async def typing(self, user_id: int, conversation_id: int) -> bool:
        """Tell the other members; whether it was relayed (``False``: throttled)."""
        # Membership first: someone removed a moment ago gets not_found, never "throttled".
        async with self._db.snapshot() as session:
            members = await conversations_store.member_ids(session, [conversation_id])
        if user_id not in members[conversation_id]:
            raise NotFound(NO_SUCH_CONVERSATION)
        now = time.monotonic()
        key = (user_id, conversation_id)
        if now - self._last.get(key, -self._interval - 1) < self._interval:
            return False
        self._remember(key, now)
        notice = TypingNotice(conversation_id=conversation_id, user_id=user_id)
        await self._fanout.publish(
            [Delivery("typing", notice, members[conversation_id] - {user_id})]
        )
        return True

    def _remember(self, key: tuple[int, int], now: float) -> None:
        if len(self._last) >= _PRUNE_AT:
            self._last = {k: t for k, t in self._last.items() if now - t < self._interval}
        self._last[key] = now
