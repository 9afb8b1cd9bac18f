"""Fan-out across nodes: emit to the users this node holds, publish to the nodes holding others.

Which nodes hold a user is the presence map in Redis (``ClusterPresence``): a
node adds itself to a user's set before that user's handshake completes, so a
client that resyncs after connecting cannot miss an event committed later.

Deliveries are batched: everything published while the previous batch was on
its way to Redis goes out together, in one script call that looks up the
recipients' nodes and publishes one message per node (a pipeline of lookups
parsed in Python cost the sending node about a fifth more CPU per message).
When Redis is unreachable, the local part still happens; the users the other
nodes would have reached are remembered and told to resync once the link is
back (``resync``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Any

import socketio

from vaultroom.cluster.broker import Broker, BrokerDown, Message
from vaultroom.cluster.presence import ClusterPresence
from vaultroom.fanout.base import Delivery
from vaultroom.fanout.local import LocalFanout
from vaultroom.fanout.rooms import SIGNED_IN_ROOM, user_room
from vaultroom.schemas.events import ResyncRequest
from vaultroom.tasks import raise_if_cancel_requested

logger = logging.getLogger(__name__)

# Users remembered for a resync request after an outage; beyond this, everyone resyncs.
_MISSED_USERS_MAX = 10_000
_RESYNC = ResyncRequest().model_dump(mode="json")
# (event, JSON-ready payload, recipient user ids)
Outgoing = tuple[str, Any, list[int]]


class ClusterFanout:
    """The ``Fanout`` of a node in a cluster."""

    def __init__(
        self, sio: socketio.AsyncServer, broker: Broker, presence: ClusterPresence
    ) -> None:
        self._sio = sio
        self._local = LocalFanout(sio)
        self._broker = broker
        self._presence = presence
        self._pending: list[Outgoing] = []
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._missed: set[int] | None = set()  # None: too many, everyone resyncs
        broker.on("deliver", self._on_deliver)
        broker.on("revoke", self._on_revoke)
        broker.on("resync", self._on_resync)
        broker.on_connected(self._after_reconnect)

    def start(self) -> None:
        """Start the task that publishes batches."""
        self._task = asyncio.create_task(self._flush_forever(), name="vaultroom-fanout")

    async def stop(self) -> None:
        """Publish what is pending, then stop."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._pending:
            await self._flush(self._take())

    async def publish(self, deliveries: Sequence[Delivery]) -> None:
        """Emit to this node's sockets now; queue the rest for the other nodes."""
        for delivery in deliveries:
            if delivery.user_ids is None:
                raise ValueError("cluster broadcasts go through their own channel (presence)")
        await self._local.publish(deliveries)
        for delivery in deliveries:
            if delivery.user_ids:
                data = delivery.data()
                self._pending.append((delivery.event, data, list(delivery.user_ids)))
        if self._pending:
            self._wakeup.set()

    async def revoke_sessions(self, session_ids: Sequence[int]) -> None:
        """End the sessions' sockets here and on every other node."""
        if not session_ids:
            return
        await self._local.revoke_sessions(session_ids)
        try:
            await self._broker.publish([(None, {"k": "revoke", "s": list(session_ids)})])
        except BrokerDown:
            # Other nodes still check their sockets' sessions periodically
            # (session_check_interval_seconds) and close revoked ones then.
            logger.warning("broker down: revocation reaches other nodes at their next check")

    def _take(self) -> list[Outgoing]:
        batch, self._pending = self._pending, []
        self._wakeup.clear()
        return batch

    async def _flush_forever(self) -> None:
        while True:
            await self._wakeup.wait()
            await self._flush(self._take())
            raise_if_cancel_requested()

    async def _flush(self, batch: list[Outgoing]) -> None:
        try:
            await self._presence.deliver(batch)
        except Exception as exc:  # the flusher must survive anything; clients resync
            if not isinstance(exc, BrokerDown):
                logger.exception("could not publish to other nodes")
            self._remember_missed({user_id for _e, _d, user_ids in batch for user_id in user_ids})
            if self._broker.up:
                # Missed while the link is up (a timeout, a failed script): no reconnect
                # will come to ask for the resync, so ask now.
                with contextlib.suppress(Exception):
                    await self._request_resync()

    def _remember_missed(self, user_ids: set[int]) -> None:
        if self._missed is not None:
            self._missed |= user_ids
            if len(self._missed) > _MISSED_USERS_MAX:
                self._missed = None

    async def _on_deliver(self, message: Message) -> None:
        for event, data, user_ids in message["d"]:
            rooms = [user_room(int(user_id)) for user_id in user_ids]
            try:
                await self._sio.emit(event, data, to=rooms)
            except Exception:  # a dead socket must not stop the others; clients resync
                logger.exception("could not emit %s", event)

    async def _on_revoke(self, message: Message) -> None:
        await self._local.revoke_sessions([int(session_id) for session_id in message["s"]])

    async def _on_resync(self, message: Message) -> None:
        users = message.get("u")
        rooms = SIGNED_IN_ROOM if users is None else [user_room(int(u)) for u in users]
        if rooms:
            await self._sio.emit("resync", _RESYNC, to=rooms)

    async def _after_reconnect(self) -> None:
        """Whatever this node's clients missed meanwhile, and whatever the other nodes'
        clients missed from this node, is recovered by a resync."""
        await self._sio.emit("resync", _RESYNC, to=SIGNED_IN_ROOM)
        await self._request_resync()

    async def _request_resync(self) -> None:
        """Ask the other nodes to have the users this node could not reach resync."""
        missed, self._missed = self._missed, set()
        if missed is None or missed:
            users = None if missed is None else sorted(missed)
            try:
                await self._broker.publish([(None, {"k": "resync", "u": users})])
            except BaseException:
                # Still owed: asked again at the next reconnect.
                if missed is None:
                    self._missed = None
                else:
                    self._remember_missed(missed)
                raise
