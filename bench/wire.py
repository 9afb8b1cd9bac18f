"""A lean Socket.IO 5 / Engine.IO 4 client over a raw WebSocket (asyncio protocol).

The load generator must cost far less than the server it measures: python-socketio's
own client spends about a core by itself at a few thousand messages per second. This
one speaks just what a bench needs: the websocket transport, the default namespace,
events, acks and pings, with no compression and no binary attachments. Frames are
parsed in place; events reach ``on_event`` as the raw packet text (``42[...]``), so a
handler that ignores an event (a presence broadcast) never pays for decoding it.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import struct
from collections.abc import Callable
from typing import Any, cast

from websockets.speedups import apply_mask

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_TEXT, _BINARY, _CLOSE, _PING, _PONG, _CONTINUATION = 1, 2, 8, 9, 10, 0


class ConnectRefused(Exception):
    """The server refused the Socket.IO handshake (``44{...}``) or the upgrade."""


def _frame(opcode: int, payload: bytes) -> bytes:
    """A masked client frame (RFC 6455 requires clients to mask)."""
    mask = os.urandom(4)
    size = len(payload)
    if size < 126:
        header = struct.pack("!BB", 0x80 | opcode, 0x80 | size)
    elif size < 65536:
        header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, size)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, size)
    return header + mask + apply_mask(payload, mask)


def _ignore(_packet: str) -> None:
    return None


class SioSocket(asyncio.Protocol):
    """One Socket.IO connection. Build it with :func:`connect`."""

    def __init__(self, host: str, auth: dict[str, Any]) -> None:
        self.on_event: Callable[[str], None] = _ignore
        self.closed = asyncio.get_running_loop().create_future()
        self._host = host
        self._auth = json.dumps(auth, separators=(",", ":"))
        self._key = base64.b64encode(os.urandom(16)).decode()
        self._transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._upgraded = False
        self._fragments: list[bytes] = []
        self._acks: dict[int, asyncio.Future[str]] = {}
        self._next_ack = 0
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    # -- asyncio.Protocol ---------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)
        request = (
            "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
            f"Host: {self._host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {self._key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        self._transport.write(request.encode())

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        if not self._upgraded and not self._read_upgrade():
            return
        self._read_frames()

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail(ConnectionError("connection closed"))
        if not self.closed.done():
            self.closed.set_result(None)

    # -- sending ------------------------------------------------------------------------
    def send_text(self, text: str) -> None:
        """One Engine.IO packet in one text frame."""
        if self._transport is not None and not self._transport.is_closing():
            self._transport.write(_frame(_TEXT, text.encode()))

    def emit(self, event: str, data: object) -> None:
        """An event without an ack."""
        self.send_text("42" + json.dumps([event, data], separators=(",", ":")))

    def call(self, event: str, data: object) -> asyncio.Future[str]:
        """An event with an ack; the future holds the raw ack arguments (``[...]``)."""
        self._next_ack += 1
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._acks[self._next_ack] = future
        packet = json.dumps([event, data], separators=(",", ":"))
        self.send_text(f"42{self._next_ack}{packet}")
        return future

    def close(self) -> None:
        if self._transport is not None and not self._transport.is_closing():
            self._transport.write(_frame(_CLOSE, struct.pack("!H", 1000)))
            self._transport.close()

    # -- receiving ----------------------------------------------------------------------
    def _read_upgrade(self) -> bool:
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0:
            return False
        head = bytes(self._buffer[:end]).decode("latin-1")
        del self._buffer[: end + 4]
        accept = base64.b64encode(hashlib.sha1(self._key.encode() + _GUID).digest()).decode()  # noqa: S324 - RFC 6455
        if not head.startswith("HTTP/1.1 101") or accept not in head:
            self._fail(ConnectRefused(head.split("\r\n", 1)[0]))
            self.close()
            return False
        self._upgraded = True
        return True

    def _read_frames(self) -> None:
        buffer = self._buffer
        while len(buffer) >= 2:
            first, second = buffer[0], buffer[1]
            size, offset = second & 0x7F, 2
            if size == 126:
                if len(buffer) < 4:
                    return
                size, offset = struct.unpack_from("!H", buffer, 2)[0], 4
            elif size == 127:
                if len(buffer) < 10:
                    return
                size, offset = struct.unpack_from("!Q", buffer, 2)[0], 10
            if len(buffer) < offset + size:
                return
            payload = bytes(buffer[offset : offset + size])
            del buffer[: offset + size]
            self._on_frame(first & 0x80 != 0, first & 0x0F, payload)

    def _on_frame(self, fin: bool, opcode: int, payload: bytes) -> None:
        if opcode in (_TEXT, _BINARY, _CONTINUATION):
            self._fragments.append(payload)
            if not fin:
                return
            message, self._fragments = b"".join(self._fragments), []
            if opcode != _BINARY and (opcode == _TEXT or message[:1] != b"\x00"):
                self._on_packet(message.decode())
        elif opcode == _PING and self._transport is not None:
            self._transport.write(_frame(_PONG, payload))
        elif opcode == _CLOSE:
            self.close()

    def _on_packet(self, packet: str) -> None:
        kind = packet[:2]
        if kind == "42":
            self.on_event(packet)
        elif kind == "43":
            start = packet.index("[")
            future = self._acks.pop(int(packet[2:start]), None)
            if future is not None and not future.done():
                future.set_result(packet[start:])
        elif packet == "2":
            self.send_text("3")
        elif kind == "40":
            if not self.ready.done():
                self.ready.set_result(None)
        elif kind == "44":
            self._fail(ConnectRefused(packet[2:]))
            self.close()
        elif packet[:1] == "0":
            self.send_text("40" + self._auth)
        elif kind == "41" or packet[:1] == "1":
            self.close()

    def _fail(self, error: Exception) -> None:
        # Marked as retrieved: a socket that dies after its handshake (or with acks
        # nobody awaits any more) is counted by the caller, not logged by asyncio.
        futures: list[asyncio.Future[Any]] = [self.ready, *self._acks.values()]
        for future in futures:
            if not future.done():
                future.set_exception(error)
                future.exception()
        self._acks.clear()


async def connect(host: str, port: int, auth: dict[str, Any], within: float = 60) -> SioSocket:
    """An open, authenticated Socket.IO connection to ``host:port``."""
    loop = asyncio.get_running_loop()
    _transport, sock = await loop.create_connection(
        lambda: SioSocket(f"{host}:{port}", auth), host, port
    )
    try:
        await asyncio.wait_for(asyncio.shield(sock.ready), within)
    except BaseException:
        sock.close()
        raise
    return sock


def ack_arguments(raw: str) -> Any:
    """The decoded first argument of an ack (VaultRoom answers with one object)."""
    return json.loads(raw)[0]
