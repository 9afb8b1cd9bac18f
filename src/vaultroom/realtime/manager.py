"""python-socketio's client manager with a cheaper emit to many sockets.

The stock ``AsyncManager.emit`` creates one asyncio task per recipient and waits
for all of them. Sending to a socket is a put on that socket's unbounded queue
(its writer task does the I/O), which does not suspend, so the tasks buy no
concurrency: they are pure cost, and for an event sent to every signed-in socket
(``presence``) they were most of it, since N users connecting send N events to up
to N sockets each. This emit encodes the packet once, as the stock one does, and
puts it on each recipient's queue in turn. Emits that ask for a callback keep the
stock path (VaultRoom's server never asks for one).

It also keeps the rooms of each socket: the stock manager finds them (``rooms(sid)``,
and on every disconnect) by testing every room of the namespace, and each socket
has a room of its own, so with N sockets open each of these cost O(N): connecting
or closing N sockets that watch presence cost O(N²).
"""

from __future__ import annotations

import logging
from typing import Any

import socketio
from engineio import packet as eio_packet
from socketio import packet

logger = logging.getLogger(__name__)


class DirectSendManager(socketio.AsyncManager):  # type: ignore[misc]  # socketio is untyped
    """``AsyncManager`` whose callback-less emits send without a task per recipient,
    and that knows each socket's rooms without walking every room."""

    def __init__(self) -> None:
        super().__init__()
        # (namespace, sid) -> its rooms, in the order entered (None: the namespace).
        self._rooms_of: dict[tuple[str, str], dict[Any, None]] = {}

    def basic_enter_room(self, sid: str, namespace: str, room: Any, eio_sid: Any = None) -> None:
        super().basic_enter_room(sid, namespace, room, eio_sid=eio_sid)
        self._rooms_of.setdefault((namespace, sid), {})[room] = None

    def basic_leave_room(self, sid: str, namespace: str, room: Any) -> None:
        super().basic_leave_room(sid, namespace, room)
        rooms = self._rooms_of.get((namespace, sid))
        if rooms is not None:
            rooms.pop(room, None)
            if not rooms:
                del self._rooms_of[(namespace, sid)]

    def get_rooms(self, sid: str, namespace: str) -> list[Any]:
        """The rooms a socket is in (as the stock manager, without testing every room)."""
        return [room for room in self._rooms_of.get((namespace, sid), ()) if room is not None]

    def basic_disconnect(self, sid: str, namespace: str, **kwargs: Any) -> None:
        """The stock disconnect, leaving the socket's own rooms rather than testing all."""
        if namespace not in self.rooms:
            return
        for room in list(self._rooms_of.get((namespace, sid), ())):
            self.basic_leave_room(sid, namespace, room)
        self.callbacks.pop(sid, None)
        for pending in (self.pending_connect, self.pending_disconnect):
            if namespace in pending and sid in pending[namespace]:
                pending[namespace].remove(sid)
                if not pending[namespace]:
                    del pending[namespace]

    async def emit(
        self,
        event: str,
        data: Any,
        namespace: str,
        room: Any = None,
        skip_sid: Any = None,
        callback: Any = None,
        to: Any = None,
        **kwargs: Any,
    ) -> None:
        """Emit ``event`` to a socket, a room, several rooms or the whole namespace."""
        if callback is not None:
            await super().emit(
                event, data, namespace, room=room, skip_sid=skip_sid, callback=callback, to=to
            )
            return
        room = to or room
        if namespace not in self.rooms:
            return
        # A tuple is several arguments, as in python-socketio.
        args = list(data) if isinstance(data, tuple) else [] if data is None else [data]
        skip = skip_sid if isinstance(skip_sid, list) else [skip_sid]
        encoded = self.server.packet_class(
            packet.EVENT, namespace=namespace, data=[event, *args]
        ).encode()
        packets = [
            eio_packet.Packet(eio_packet.MESSAGE, part)
            for part in (encoded if isinstance(encoded, list) else [encoded])
        ]
        # Listed first: a send may close a socket whose pings timed out, which
        # changes the rooms being walked.
        recipients = [
            eio_sid for sid, eio_sid in self.get_participants(namespace, room) if sid not in skip
        ]
        for eio_sid in recipients:
            for eio_pkt in packets:
                try:
                    await self.server._send_eio_packet(eio_sid, eio_pkt)
                except Exception:  # one broken socket must not stop the others
                    logger.exception("could not send %s to a socket", event)
