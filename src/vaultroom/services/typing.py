"""Typing notices: members only, at most one per user and conversation per interval."""

from __future__ import annotations

from vaultroom.db import Database
from vaultroom.fanout import Delivery, Fanout
from vaultroom.schemas.events import TypingNotice
from vaultroom.services.conversations import NO_SUCH_CONVERSATION
from vaultroom.services.errors import NotFound
from vaultroom.services.rate_limits import Throttle
from vaultroom.store import conversations as conversations_store


class TypingRelay:
    """Relays ``typing`` to the other members, throttled (extra notices are dropped)."""

    def __init__(self, db: Database, fanout: Fanout, throttle: Throttle) -> None:
        self._db = db
        self._fanout = fanout
        self._throttle = throttle

    async def typing(self, user_id: int, conversation_id: int) -> bool:
        """Tell the other members; whether it was relayed (``False``: throttled)."""
        # Membership first: someone removed a moment ago gets not_found, never "throttled".
        async with self._db.snapshot() as session:
            members = await conversations_store.member_ids(session, [conversation_id])
        if user_id not in members[conversation_id]:
            raise NotFound(NO_SUCH_CONVERSATION)
        if not await self._throttle.allow(f"typing:{user_id}:{conversation_id}"):
            return False
        notice = TypingNotice(conversation_id=conversation_id, user_id=user_id)
        await self._fanout.publish(
            [Delivery("typing", notice, members[conversation_id] - {user_id})]
        )
        return True
