"""Who is online on this node, with a grace period so that a page reload does not flicker.

A user is online while at least one of their sockets is open. When the last one
closes they stay online for ``presence_grace_seconds``; if a socket opens again
meanwhile nothing changes for anyone. Each change is stored (``last_seen_at``)
and announced to every signed-in socket (``presence``), once, in order.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Collection, Coroutine
from datetime import datetime
from typing import Any

from vaultroom.db import Database, database_unavailable
from vaultroom.fanout import Delivery, Fanout
from vaultroom.models.base import utcnow
from vaultroom.schemas.events import PresenceEvent
from vaultroom.store import users as users_store

logger = logging.getLogger(__name__)


class PresenceService:
    """Counts each user's open sockets on this process and announces changes.

    Counting is synchronous (the real-time layer calls it without awaiting, so a
    socket can never be counted without also being uncounted); announcing runs in
    background tasks, one user at a time, and always says the current state, so
    announcements can neither repeat nor arrive out of order.
    """

    def __init__(self, db: Database, fanout: Fanout, *, grace_seconds: float) -> None:
        self._db = db
        self._fanout = fanout
        self._grace = grace_seconds
        self._sockets: Counter[int] = Counter()
        self._going_offline: dict[int, asyncio.Task[None]] = {}
        self._announced_online: set[int] = set()
        self._locks: dict[int, tuple[asyncio.Lock, list[int]]] = {}  # lock, users of it
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False

    def is_online(self, user_id: int) -> bool:
        """Whether the user has an open socket (or closed their last one within the grace)."""
        return self._sockets[user_id] > 0 or user_id in self._going_offline

    def socket_opened(self, user_id: int) -> None:
        """Count a new socket; announce the user online if they were not."""
        if self._closed:
            return
        self._sockets[user_id] += 1
        if self._sockets[user_id] > 1:
            return
        pending = self._going_offline.pop(user_id, None)
        if pending is not None:
            pending.cancel()  # back within the grace period: they never went offline
        self._spawn(self._announce(user_id))

    def socket_closed(self, user_id: int) -> None:
        """Forget a socket; after the last one, go offline once the grace period ends."""
        if self._closed:
            return
        if self._sockets[user_id] > 1:
            self._sockets[user_id] -= 1
            return
        self._sockets.pop(user_id, None)
        if self._grace <= 0:
            self._spawn(self._announce(user_id))
        else:
            self._going_offline[user_id] = self._spawn(self._offline_after_grace(user_id))

    async def settled(self) -> None:
        """Wait until every pending announcement is done (tests, shutdown)."""
        while pending := [task for task in self._tasks if task not in self._going_offline.values()]:
            await asyncio.gather(*pending, return_exceptions=True)

    async def close(self) -> None:
        """At shutdown: stop counting; every user of this node was last seen now
        (one statement; no events, as no socket is left to receive them)."""
        self._closed = True
        for task in self._going_offline.values():
            task.cancel()
        self._going_offline.clear()
        self._sockets.clear()
        await self.settled()
        users, self._announced_online = self._announced_online, set()
        if users:
            await self._store_last_seen(users, utcnow())

    def _spawn(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _offline_after_grace(self, user_id: int) -> None:
        await asyncio.sleep(self._grace)
        if self._going_offline.get(user_id) is asyncio.current_task():
            del self._going_offline[user_id]
            await self._announce(user_id)

    async def _announce(self, user_id: int) -> None:
        """Publish the user's current state if it differs from the last one published."""
        lock, users = self._locks.setdefault(user_id, (asyncio.Lock(), [0]))
        users[0] += 1
        try:
            async with lock:
                online = self.is_online(user_id)
                if online == (user_id in self._announced_online):
                    return
                now = utcnow()
                await self._store_last_seen([user_id], now)
                event = PresenceEvent(user_id=user_id, online=online, last_seen_at=now)
                await self._fanout.publish([Delivery("presence", event, user_ids=None)])
                if online:
                    self._announced_online.add(user_id)
                else:
                    self._announced_online.discard(user_id)
        except Exception:  # a background task: log, the next change announces again
            logger.exception("presence announcement failed")
        finally:
            users[0] -= 1
            if not users[0]:
                del self._locks[user_id]

    async def _store_last_seen(self, user_ids: Collection[int], when: datetime) -> None:
        try:
            async with self._db.transaction() as session:
                await users_store.set_last_seen(session, user_ids, when)
        except Exception as exc:  # presence must not fail; the next change stores it
            if not database_unavailable(exc):
                raise
            logger.warning("could not store last_seen_at: %s", type(exc).__name__)
