"""uvicorn's WebSocket protocol, lighter per connection and per message.

VaultRoom serves WebSockets with uvicorn's sans-I/O protocol (the ``websockets``
library's parser and framing). This subclass keeps its behaviour on the wire and
changes what it costs (figures in docs/performance.md):

- **Per connection.** The ASGI receive queue is a :class:`PacketQueue` (an
  ``asyncio.Queue`` is four deques and an ``Event``, about 3 KB), the
  "writable" flag is a bool with a future only while a send waits (an ``Event``
  is another deque), and the handshake's request and response (their header
  maps) are dropped once the WebSocket is accepted.
- **Per message received.** uvicorn stops reading the socket at every message
  and starts again when the app takes it: two changes to the event loop's
  poller per message. Here reading stops only while more than
  ``read_backlog`` characters wait for the app, which keeps the back-pressure (a
  client cannot make the server buffer more than that plus what one read of its
  socket brings, at most 256 KiB, and a frame being received; with uvicorn's
  protocol, one read and a frame).
- **Per message sent.** :meth:`send_text_now` writes a frame at once, without
  the ASGI ``send`` coroutine: engine.io's sockets use it (``LeanSocket``) to
  write a packet from the code that sends it instead of waking the socket's
  writer task, when nothing is queued before it and the transport takes data.

The protocol puts itself in the scope's extensions (``EXTENSION``) so the
engine.io driver of the same connection can find it; the entry is removed when
the connection is lost. WebSocket keep-alive pings are left to Engine.IO (its
ping every ``ping_interval``, and ``LeanSocket``'s watchdog): :func:`uvicorn_options`
turns uvicorn's own off, which saves a timer and a ping frame per socket every
20 s.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.exceptions import InvalidState
from websockets.http11 import Request

from vaultroom.realtime.transport import PROTOCOL_EXTENSION as EXTENSION
from vaultroom.realtime.transport import PacketQueue
from vaultroom.settings import Settings


class _Writable:
    """What the protocol uses of an ``asyncio.Event``: a flag, and a future only
    while a send waits for the transport to drain."""

    __slots__ = ("_value", "_waiters")

    def __init__(self) -> None:
        self._value = True
        self._waiters: list[asyncio.Future[None]] | None = None

    def is_set(self) -> bool:
        return self._value

    def set(self) -> None:
        self._value = True
        waiters, self._waiters = self._waiters, None
        for waiter in waiters or ():
            if not waiter.done():
                waiter.set_result(None)

    def clear(self) -> None:
        self._value = False

    async def wait(self) -> bool:
        if not self._value:
            waiter = asyncio.get_running_loop().create_future()
            if self._waiters is None:
                self._waiters = []
            self._waiters.append(waiter)
            await waiter
        return True


def _size(message: Any) -> int:
    """A received message's size as the backlog counts it (characters of a text)."""
    text = message.get("text")
    return len(text if text is not None else message["bytes"])


class LeanWebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's ``WebSocketsSansIOProtocol`` with the changes the module describes."""

    # Received and not yet taken by the app (characters of text messages, bytes of
    # binary ones) above which reading pauses, until half of it is taken.
    read_backlog = 64 * 1024

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queue = PacketQueue()  # type: ignore[assignment]
        self.writable = _Writable()  # type: ignore[assignment]
        self._backlog = 0  # received, not yet taken by the app (as _size counts)

    def handle_connect(self, event: Request) -> None:
        super().handle_connect(event)
        scope = getattr(self, "scope", None)
        if scope is not None:
            scope["extensions"][EXTENSION] = self

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        scope = getattr(self, "scope", None)
        if scope is not None:
            scope["extensions"].pop(EXTENSION, None)  # no cycle left behind

    def send_receive_event_to_app(self) -> None:
        """uvicorn's, pausing reading only above the backlog (see the module's text)."""
        data = self.frames[0] if len(self.frames) == 1 else b"".join(self.frames)
        self.frames = []
        if self.close_sent:
            return  # as uvicorn: past websocket.close, messages are discarded
        if self.curr_msg_data_type == "text":
            try:
                message: Any = {"type": "websocket.receive", "text": data.decode()}
            except UnicodeDecodeError:
                self.logger.info("Invalid UTF-8 in a WebSocket text message")
                self.conn.send_close(1007)
                self.handle_parser_exception()
                return
        else:
            message = {"type": "websocket.receive", "bytes": data}
        self.queue.put_nowait(message)
        self._backlog += _size(message)
        if self._backlog > self.read_backlog and not self.read_paused:
            self.read_paused = True
            self.transport.pause_reading()

    async def receive(self) -> Any:
        message: Any = await self.queue.get()
        if message["type"] == "websocket.receive":
            self._backlog -= _size(message)
        if self.read_paused and self._backlog <= self.read_backlog // 2:
            self.read_paused = False
            self.transport.resume_reading()
        return message

    async def send(self, message: Any) -> None:
        accepting = not self.handshake_complete and message["type"] == "websocket.accept"
        await super().send(message)
        if accepting and self.handshake_complete:
            # Only the handshake used them; their header maps would live as long
            # as the connection (websockets' parser keeps the request too).
            self.request.headers.clear()
            self.request = self.response = None  # type: ignore[assignment]

    def abort(self) -> None:
        """Drop the connection now, whatever is left to write (a client that
        stopped reading): the app sees it lost, and a send waiting on the
        transport is released."""
        if self.transport is not None:
            self.transport.abort()

    def send_text_now(self, text: str) -> bool:
        """Write ``text`` as one message now; ``False`` (nothing written) if the
        connection cannot take it at once (not open, closing, or its transport
        buffer full): the caller then sends it the ordinary way."""
        if (
            not self.handshake_complete
            or self.close_sent
            or self.disconnected
            or self.initial_response is not None
            or not self.writable.is_set()
            or self.transport.is_closing()
        ):
            return False
        try:
            self.conn.send_text(text.encode())
        except InvalidState:
            return False
        self.transport.write(b"".join(self.conn.data_to_send()))
        return True


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """The uvicorn options that serve VaultRoom's WebSockets with this protocol.

    A frame larger than a Socket.IO packet may be (``max_socket_message_bytes``
    characters, at most 4 bytes each in UTF-8) is refused as the parser reads it
    (close code 1009), not after it was buffered whole (uvicorn's default allows
    16 MiB)."""
    return {
        "ws": LeanWebSocketProtocol,
        "ws_ping_interval": None,
        "ws_ping_timeout": None,
        "ws_max_size": 4 * settings.max_socket_message_bytes,
    }
