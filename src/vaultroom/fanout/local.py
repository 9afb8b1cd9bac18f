"""Fan-out within one process: emit straight to the rooms of this node's Socket.IO server."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import socketio

from vaultroom.fanout.base import Delivery
from vaultroom.fanout.rooms import SIGNED_IN_ROOM, session_room, user_room
from vaultroom.schemas.events import SessionRevokedEvent

logger = logging.getLogger(__name__)


class LocalFanout:
    """Delivers to the sockets this process holds (the single-node default)."""

    def __init__(self, sio: socketio.AsyncServer) -> None:
        self._sio = sio

    async def publish(self, deliveries: Sequence[Delivery]) -> None:
        """Emit each delivery; a failure to reach a socket never fails the caller."""
        for delivery in deliveries:
            data = delivery.data()
            rooms: str | list[str]
            if delivery.user_ids is not None:
                rooms = [user_room(user_id) for user_id in delivery.user_ids]
            elif delivery.rooms is not None:
                rooms = list(delivery.rooms)
            else:
                rooms = SIGNED_IN_ROOM
            if rooms == []:
                continue
            try:
                await self._sio.emit(delivery.event, data, to=rooms, skip_sid=delivery.skip_sid)
            except Exception:  # a dead socket must not stop the others; clients resync
                logger.exception("could not emit %s", delivery.event)

    async def revoke_sessions(self, session_ids: Sequence[int]) -> None:
        """Tell each revoked session's sockets, then disconnect them."""
        for session_id in session_ids:
            room = session_room(session_id)
            payload = SessionRevokedEvent(session_id=session_id).model_dump(mode="json")
            await self._sio.emit("session:revoked", payload, to=room)
            sids = [sid for sid, _eio_sid in self._sio.manager.get_participants("/", room)]
            for sid in sids:
                await self._sio.disconnect(sid)
