"""VaultRoom's WebSocket protocol (realtime/wsprotocol.py) and the immediate writes
of engine.io sockets (realtime/transport.py), through a live node and raw clients:
read back-pressure, order under write back-pressure, and what a socket keeps of
its handshake."""

from __future__ import annotations

import asyncio
import base64
import json
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.factories import RegisteredUser, UserFactory
from tests.integration.realtime.conftest import WAIT_SECONDS, LiveServer, wait_until
from vaultroom.realtime.server import HANDSHAKE_ENVIRON_KEYS
from vaultroom.realtime.transport import LeanSocket
from vaultroom.realtime.wsprotocol import LeanWebSocketProtocol
from vaultroom.settings import Settings

pytestmark = pytest.mark.timeout(300)


async def next_packet(websocket: ClientConnection) -> str:
    """The next Socket.IO packet from the server, answering Engine.IO pings on the way."""
    async with asyncio.timeout(WAIT_SECONDS):
        while True:
            frame = await websocket.recv()
            assert isinstance(frame, str)
            if frame == "2":
                await websocket.send("3")
                continue
            return frame


async def namespace_connect(websocket: ClientConnection, auth: dict[str, str] | None) -> str:
    """Send a Socket.IO CONNECT; the socket's sid (fails on a refusal)."""
    await websocket.send("40" + (json.dumps(auth) if auth else ""))
    reply = await next_packet(websocket)
    assert reply.startswith("40{"), reply
    sid: str = json.loads(reply[2:])["sid"]
    return sid


@asynccontextmanager
async def raw_socket(
    live_server: LiveServer,
    *,
    token: str | None = None,
    headers: dict[str, str] | None = None,
    max_queue: int = 16,
    compression: str | None = None,
) -> AsyncIterator[tuple[ClientConnection, str]]:
    """A WebSocket speaking Engine.IO 4 / Socket.IO 5 by hand, connected to ``/``
    (``compression="deflate"``: permessage-deflate, as browsers ask for)."""
    url = f"ws://127.0.0.1:{live_server.port}/socket.io/?EIO=4&transport=websocket"
    async with connect(
        url, additional_headers=headers, max_queue=max_queue, compression=compression
    ) as websocket:
        opened = await websocket.recv()
        assert isinstance(opened, str) and opened.startswith("0{")
        sid = await namespace_connect(websocket, {"token": token} if token else None)
        yield websocket, sid


def server_side(live_server: LiveServer) -> tuple[LeanSocket, LeanWebSocketProtocol]:
    """The only engine.io socket of the node, and the protocol of its connection."""
    [socket] = live_server.app.sio.eio.sockets.values()
    assert isinstance(socket, LeanSocket)
    assert socket._direct is not None  # the WebSocket loop runs with immediate writes
    protocol = socket._direct.__self__  # type: ignore[attr-defined]
    assert isinstance(protocol, LeanWebSocketProtocol)
    return socket, protocol


async def direct_conversation(users: UserFactory, alice: RegisteredUser) -> int:
    bob = await users.create()
    response = await users.client.post(
        "/api/conversations/direct", json={"user_id": bob.id}, headers=alice.headers
    )
    assert response.status_code in (200, 201), response.text
    conversation_id: int = response.json()["id"]
    return conversation_id


async def test_sends_pipelined_in_one_burst_pause_reading_and_are_all_stored_in_order(
    live_server: LiveServer, live_users: UserFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 100 sends written at once reach the server in reads far above the backlog at
    # which it stops reading; each is acked once, numbered in the order sent, and
    # the backlog (counted in characters, whatever the encoding) drains to zero.
    alice = await live_users.create()
    conversation_id = await direct_conversation(live_users, alice)
    paused_after_message: list[bool] = []
    queue_message = LeanWebSocketProtocol.send_receive_event_to_app

    def observed(self: LeanWebSocketProtocol) -> None:
        queue_message(self)
        paused_after_message.append(self.read_paused)

    monkeypatch.setattr(LeanWebSocketProtocol, "send_receive_event_to_app", observed)
    # Three messages over the backlog (64 K by default: a read of 192 KB of this
    # text or more, which loopback does not always give).
    monkeypatch.setattr(LeanWebSocketProtocol, "read_backlog", 4000)
    body = "é" * 1500  # two bytes each in UTF-8
    count = 100

    async with raw_socket(live_server, token=alice.token) as (websocket, _sid):
        _socket, protocol = server_side(live_server)
        for n in range(count):
            send = {"conversation_id": conversation_id, "client_msg_id": f"burst-{n}", "body": body}
            await websocket.send(
                "42" + str(n) + json.dumps(["message:send", send], ensure_ascii=False)
            )
        acks: dict[int, Any] = {}
        while len(acks) < count:
            packet = await next_packet(websocket)
            if packet.startswith("43"):
                digits = len(packet) - len(packet[2:].lstrip("0123456789"))
                acks[int(packet[2:digits])] = json.loads(packet[digits:])[0]
        backlog, paused = protocol._backlog, protocol.read_paused

    assert any(paused_after_message), "reading never paused"
    assert all(ack["ok"] for ack in acks.values()), acks
    assert [acks[n]["message"]["seq"] for n in range(count)] == list(range(1, count + 1))
    assert {acks[n]["message"]["body"] for n in range(count)} == {body}
    assert (backlog, paused) == (0, False)


@pytest.mark.parametrize("compression", [None, "deflate"])
async def test_events_to_a_client_that_stops_reading_queue_and_arrive_all_in_order(
    live_server: LiveServer, live_users: UserFactory, compression: str | None
) -> None:
    # Written at once while the connection takes data; once its buffer is full, the
    # packets wait in the socket's queue for its writer, and the ones sent while
    # the client drains it queue behind them: the client gets every one in order.
    alice = await live_users.create()
    # Random text: compressed or not, it fills the connection's buffers.
    count, pad = 3000, base64.b64encode(random.Random(7).randbytes(6000)).decode()
    sio = live_server.app.sio
    async with raw_socket(live_server, token=alice.token, max_queue=1, compression=compression) as (
        websocket,
        sid,
    ):
        socket, protocol = server_side(live_server)
        for n in range(count):
            await sio.emit("probe", {"n": n, "pad": pad}, to=sid)
        # 24 MB for a client that reads nothing: the transport said "stop".
        assert not protocol.writable.is_set()
        assert socket.queue.qsize() > 0
        received: list[int] = []

        async def read() -> None:
            while len(received) < 2 * count:
                packet = await next_packet(websocket)
                if packet.startswith('42["probe"'):
                    received.append(json.loads(packet[2:])[1]["n"])

        reader = asyncio.create_task(read())
        for n in range(count, 2 * count):
            await sio.emit("probe", {"n": n, "pad": pad}, to=sid)
            await asyncio.sleep(0)  # the writer and the reader run in between
        await asyncio.wait_for(reader, WAIT_SECONDS)

    assert received == list(range(2 * count))


async def test_a_websocket_keeps_only_what_its_connects_read_of_the_handshake(
    live_server: LiveServer, live_users: UserFactory
) -> None:
    alice = await live_users.create()
    headers = {
        "Cookie": f"vaultroom_session={alice.token}",
        "Origin": live_server.origin,
        "X-Padding": "p" * 2000,
    }
    sio = live_server.app.sio
    async with raw_socket(live_server, headers=headers) as (websocket, sid):
        _socket, protocol = server_side(live_server)
        environ = sio.get_environ(sid)
        kept = set(environ)
        # Leaving the namespace and joining it again runs the connect handler on
        # what was kept: the cookie, its origin check, the client's address.
        await websocket.send("41")
        again = await namespace_connect(websocket, None)
        assert again

    assert kept == HANDSHAKE_ENVIRON_KEYS | {"asgi.receive", "asgi.send", "asgi.scope"}
    assert environ["HTTP_COOKIE"] == headers["Cookie"]
    assert protocol.request is None and protocol.response is None
    assert protocol.scope["headers"] == []


async def test_a_frame_larger_than_any_packet_may_be_is_refused_as_it_is_read(
    live_server: LiveServer, live_users: UserFactory, settings: Settings
) -> None:
    # Over 4 bytes for each character a packet may hold: the protocol closes the
    # connection (1009, message too big) without buffering the frame whole.
    alice = await live_users.create()
    async with raw_socket(live_server, token=alice.token) as (websocket, _sid):
        await websocket.send("4" + "x" * (4 * settings.max_socket_message_bytes))
        with pytest.raises(ConnectionClosed) as closed:
            await next_packet(websocket)

    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
    await wait_until(lambda: not live_server.app.sio.eio.sockets, "the socket is gone")


async def test_a_client_that_stops_reading_is_dropped_after_a_ping_cycle(
    live_server: LiveServer, live_users: UserFactory
) -> None:
    # Its socket's writer waits for a transport that never drains, so the end of
    # the queue cannot reach it: the watchdog drops the connection itself.
    eio = live_server.app.sio.eio
    eio.ping_interval, eio.ping_timeout = 1, 1  # a ping cycle of 2 s
    alice = await live_users.create()
    async with raw_socket(live_server, token=alice.token, max_queue=1) as (_websocket, sid):
        _socket, protocol = server_side(live_server)
        for n in range(3000):
            await live_server.app.sio.emit("probe", {"n": n, "pad": "x" * 8000}, to=sid)
        assert not protocol.writable.is_set()
        await wait_until(lambda: protocol.disconnected, "the server dropped the connection")
        await wait_until(lambda: not eio.sockets, "its engine.io socket is gone")


async def test_a_text_frame_that_is_not_utf8_closes_the_connection_with_1007(
    live_server: LiveServer, live_users: UserFactory
) -> None:
    alice = await live_users.create()
    async with raw_socket(live_server, token=alice.token) as (websocket, _sid):
        # websockets sends a str as valid UTF-8; its sans-I/O layer sends these bytes as they are.
        websocket.protocol.send_text(b'42["typing",\xff]')
        websocket.send_data()
        with pytest.raises(ConnectionClosed) as closed:
            await next_packet(websocket)

    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1007
    await wait_until(lambda: not live_server.app.sio.eio.sockets, "the socket is gone")
