"""Who is online on this node, with a grace period so that a page reload does not flicker.

A user is online while at least one of their sockets is open. When the last one
closes they stay online for ``presence_grace_seconds``; if a socket opens again
meanwhile nothing changes for anyone. Each transition is stored (``last_seen_at``)
and announced to every connected user (``presence``).
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from datetime import datetime

from sqlalchemy.exc import SQLAlchemyError

from vaultroom.db import Database
from vaultroom.fanout import Delivery, Fanout
from vaultroom.models.base import utcnow
from vaultroom.schemas.events import PresenceEvent
from vaultroom.store import users as users_store

logger = logging.getLogger(__name__)


class PresenceService:
    """Counts each user's open sockets on this process and announces transitions."""

    def __init__(self, db: Database, fanout: Fanout, *, grace_seconds: float) -> None:
        self._db = db
        self._fanout = fanout
        self._grace = grace_seconds
        self._sockets: Counter[int] = Counter()
        self._going_offline: dict[int, asyncio.Task[None]] = {}

    def is_online(self, user_id: int) -> bool:
        """Whether the user has an open socket (or closed their last one within the grace)."""
        return self._sockets[user_id] > 0 or user_id in self._going_offline

    async def socket_opened(self, user_id: int) -> None:
        """Count a new socket; announce the user online if they were not."""
        self._sockets[user_id] += 1
        if self._sockets[user_id] > 1:
            return
        pending = self._going_offline.pop(user_id, None)
        if pending is not None:
            pending.cancel()  # back within the grace period: they never went offline
            return
        await self._announce(user_id, online=True)

    async def socket_closed(self, user_id: int) -> None:
        """Forget a socket; after the last one, go offline once the grace period ends."""
        if self._sockets[user_id] > 1:
            self._sockets[user_id] -= 1
            return
        self._sockets.pop(user_id, None)
        if self._grace <= 0:
            await self._announce(user_id, online=False)
            return
        task = asyncio.create_task(self._offline_after_grace(user_id))
        self._going_offline[user_id] = task

    async def close(self) -> None:
        """At shutdown: every user of this node goes offline now."""
        for task in self._going_offline.values():
            task.cancel()
        users = set(self._going_offline) | set(self._sockets)
        self._going_offline.clear()
        self._sockets.clear()
        for user_id in users:
            await self._announce(user_id, online=False)

    async def _offline_after_grace(self, user_id: int) -> None:
        await asyncio.sleep(self._grace)
        if self._going_offline.get(user_id) is asyncio.current_task():
            del self._going_offline[user_id]
            await self._announce(user_id, online=False)

    async def _announce(self, user_id: int, *, online: bool) -> None:
        now = utcnow()
        await self._store_last_seen(user_id, now)
        event = PresenceEvent(user_id=user_id, online=online, last_seen_at=now)
        await self._fanout.publish([Delivery("presence", event, user_ids=None)])

    async def _store_last_seen(self, user_id: int, when: datetime) -> None:
        try:
            async with self._db.transaction() as session:
                await users_store.set_last_seen(session, user_id, when)
        except (SQLAlchemyError, OSError) as exc:  # presence must not fail a connect
            logger.warning("could not store last_seen_at: %s", type(exc).__name__)
