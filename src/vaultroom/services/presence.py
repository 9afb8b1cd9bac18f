"""Who is online, with a grace period so that a page reload does not flicker.

A user is online while at least one of their sockets is open. When the last one
closes they stay online for ``presence_grace_seconds``; if a socket opens again
meanwhile nothing changes for anyone. Each change is stored (``last_seen_at``)
and announced (``presence``), once, in order, to the sockets that watch the user
(every socket, until it says which users it shows with ``presence:watch``).

This node counts its own sockets; a ``PresenceBackend`` says whether a change
here is a change for everyone: on one node it always is (``LocalPresence``); in
a cluster, Redis decides (``vaultroom.cluster.ClusterPresence``).
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Collection, Coroutine, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from vaultroom.db import Database, database_unavailable
from vaultroom.fanout import Delivery, Fanout
from vaultroom.fanout.rooms import presence_rooms
from vaultroom.models.base import utcnow
from vaultroom.schemas.events import PresenceEvent
from vaultroom.store import users as users_store

logger = logging.getLogger(__name__)
# A registration that failed (Redis unreachable or slow) is tried again after this.
_REGISTER_RETRY_SECONDS = 1.0


@dataclass(frozen=True)
class PresenceChange:
    """A user came online or went offline for the whole deployment; ``version`` orders changes."""

    user_id: int
    online: bool
    version: int


class PresenceBackend(Protocol):
    """Turns this node's changes into deployment-wide ones and announces them."""

    # Whether fan-out finds this node's users through the backend (then a new
    # socket's handshake waits for its registration).
    routes: bool

    def online_elsewhere(self, user_id: int) -> bool:
        """Whether the user is online through another node."""
        ...

    async def join(self, user_id: int) -> PresenceChange | None:
        """This node now holds the user's sockets; the change, if it is one for everyone."""
        ...

    async def leave(self, user_id: int) -> PresenceChange | None:
        """This node no longer holds any; the change, if it is one for everyone."""
        ...

    async def leave_all(self) -> list[PresenceChange]:
        """This node stops: the users who go offline with it."""
        ...

    async def announce(self, changes: Sequence[PresenceChange], last_seen_at: datetime) -> None:
        """Tell every signed-in socket of the deployment."""
        ...


class LocalPresence:
    """The backend of a single node: every change here is a change for everyone."""

    routes = False

    def __init__(self, fanout: Fanout) -> None:
        self._fanout = fanout
        self._online: set[int] = set()
        self._version = 0

    def online_elsewhere(self, user_id: int) -> bool:
        """There is nowhere else."""
        return False

    async def join(self, user_id: int) -> PresenceChange | None:
        """Online now."""
        self._online.add(user_id)
        return self._change(user_id, online=True)

    async def leave(self, user_id: int) -> PresenceChange | None:
        """Offline now."""
        self._online.discard(user_id)
        return self._change(user_id, online=False)

    async def leave_all(self) -> list[PresenceChange]:
        """Everyone still online goes offline."""
        users, self._online = self._online, set()
        return [self._change(user_id, online=False) for user_id in sorted(users)]

    async def announce(self, changes: Sequence[PresenceChange], last_seen_at: datetime) -> None:
        """Emit to this node's sockets watching the users."""
        await self._fanout.publish(
            [
                Delivery(
                    "presence",
                    PresenceEvent(user_id=c.user_id, online=c.online, last_seen_at=last_seen_at),
                    user_ids=None,
                    rooms=presence_rooms(c.user_id),
                )
                for c in changes
            ]
        )

    def _change(self, user_id: int, *, online: bool) -> PresenceChange:
        self._version += 1
        return PresenceChange(user_id, online, self._version)


class PresenceService:
    """Counts each user's open sockets on this node and announces changes.

    Counting is synchronous (the real-time layer calls it without awaiting, so a
    socket can never be counted without also being uncounted); registering with
    the backend runs in background tasks, one user at a time, and always moves to
    the current state, so announcements can neither repeat nor arrive out of order.
    """

    def __init__(self, db: Database, backend: PresenceBackend, *, grace_seconds: float) -> None:
        self._db = db
        self._backend = backend
        self._grace = grace_seconds
        self._sockets: Counter[int] = Counter()
        self._going_offline: dict[int, asyncio.Task[None]] = {}
        self._registered: set[int] = set()  # users the backend knows this node holds
        self._latest: dict[int, asyncio.Task[None]] = {}  # each user's newest registration
        self._locks: dict[int, tuple[asyncio.Lock, list[int]]] = {}  # lock, users of it
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False

    def is_online(self, user_id: int) -> bool:
        """Whether the user has an open socket (here, or elsewhere in the cluster)."""
        return self._held_here(user_id) or self._backend.online_elsewhere(user_id)

    def held_here(self) -> set[int]:
        """The users this node holds (open sockets, or within the grace period)."""
        return set(self._sockets) | set(self._going_offline)

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
        self._register(user_id)

    async def registered(self, user_id: int, within_seconds: float) -> None:
        """Wait (at most ``within_seconds``) until the backend knows this node holds the user,
        so events committed from now on are routed here."""
        task = self._latest.get(user_id)
        if task is not None and self._backend.routes:
            await asyncio.wait([task], timeout=within_seconds)

    def socket_closed(self, user_id: int) -> None:
        """Forget a socket; after the last one, go offline once the grace period ends."""
        if self._closed:
            return
        if self._sockets[user_id] > 1:
            self._sockets[user_id] -= 1
            return
        self._sockets.pop(user_id, None)
        if self._grace <= 0:
            self._register(user_id)
        else:
            self._going_offline[user_id] = self._spawn(self._offline_after_grace(user_id))

    async def settled(self) -> None:
        """Wait until every pending announcement is done (tests, shutdown)."""
        while pending := [task for task in self._tasks if task not in self._going_offline.values()]:
            await asyncio.gather(*pending, return_exceptions=True)

    async def close(self) -> None:
        """At shutdown: stop counting; every user who goes offline with this node
        was last seen now (one statement)."""
        self._closed = True
        for task in self._going_offline.values():
            task.cancel()
        self._going_offline.clear()
        self._sockets.clear()
        await self.settled()
        self._registered.clear()
        try:
            changes = await self._backend.leave_all()
        except Exception:  # the cluster reaps this node's users when its heartbeat stops
            logger.warning("could not take this node's users offline", exc_info=True)
            return
        await self.publish_changes(changes)

    async def publish_changes(self, changes: Sequence[PresenceChange]) -> None:
        """Store ``last_seen_at`` of the users concerned and announce the changes."""
        if not changes:
            return
        now = utcnow()
        await self._store_last_seen({change.user_id for change in changes}, now)
        await self._backend.announce(changes, now)

    async def resynced(self, registered: set[int], changes: Sequence[PresenceChange]) -> None:
        """The backend was re-registered with ``registered`` after an outage: adopt that,
        announce what changed meanwhile, and catch up on anything that moved since."""
        self._registered = set(registered)
        await self.publish_changes(changes)
        for user_id in self.held_here() ^ self._registered:
            self._register(user_id)

    def _held_here(self, user_id: int) -> bool:
        return self._sockets[user_id] > 0 or user_id in self._going_offline

    def _spawn(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _register(self, user_id: int) -> None:
        task = self._spawn(self._sync_user(user_id))
        self._latest[user_id] = task
        task.add_done_callback(lambda done: self._forget_latest(user_id, done))

    def _forget_latest(self, user_id: int, task: asyncio.Task[None]) -> None:
        if self._latest.get(user_id) is task:
            del self._latest[user_id]

    async def _register_later(self, user_id: int) -> None:
        # Until it is registered the cluster routes the user's events elsewhere (or shows
        # them online after they left): retry rather than wait for their next change.
        await asyncio.sleep(_REGISTER_RETRY_SECONDS)
        if not self._closed and user_id not in self._latest:
            self._register(user_id)

    async def _offline_after_grace(self, user_id: int) -> None:
        await asyncio.sleep(self._grace)
        if self._going_offline.get(user_id) is asyncio.current_task():
            del self._going_offline[user_id]
            self._register(user_id)

    async def _sync_user(self, user_id: int) -> None:
        """Bring the backend to this node's current state for the user; announce any change."""
        lock, users = self._locks.setdefault(user_id, (asyncio.Lock(), [0]))
        users[0] += 1
        try:
            async with lock:
                here = self._held_here(user_id)
                if here == (user_id in self._registered):
                    return
                change = await (self._backend.join if here else self._backend.leave)(user_id)
                if here:
                    self._registered.add(user_id)
                else:
                    self._registered.discard(user_id)
                if change is not None:
                    await self.publish_changes([change])
        except Exception as exc:  # a background task: log, and try again a moment later
            logger.warning("presence of user %d not registered: %r", user_id, exc)
            if not self._closed:
                self._spawn(self._register_later(user_id))
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
