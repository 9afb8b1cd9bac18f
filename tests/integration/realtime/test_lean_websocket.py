"""The WebSocket loop of engine.io sockets (realtime/transport.py): its idle watchdog."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import socketio
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.factories import UserFactory
from tests.integration.realtime.conftest import (
    WAIT_SECONDS,
    LiveServer,
    SocketClients,
    wait_until,
)
from vaultroom.realtime.transport import LeanSocket


async def frames_until_closed(websocket: ClientConnection, within: float) -> list[str | bytes]:
    """Every frame received until the server closes the WebSocket (fails after ``within``)."""
    received: list[str | bytes] = []
    async with asyncio.timeout(within):
        while True:
            try:
                received.append(await websocket.recv())
            except ConnectionClosed:
                return received


@pytest.fixture
def short_pings(live_server: LiveServer) -> float:
    """A ping every second, answered within a second: a ping cycle of 2 s."""
    eio = live_server.app.sio.eio
    eio.ping_interval, eio.ping_timeout = 1, 1
    return float(eio.ping_interval + eio.ping_timeout)


async def test_a_websocket_silent_for_a_ping_cycle_is_closed_by_the_server(
    live_server: LiveServer, short_pings: float
) -> None:
    url = f"ws://127.0.0.1:{live_server.port}/socket.io/?EIO=4&transport=websocket"
    async with connect(url) as websocket:
        opened = await websocket.recv()
        assert isinstance(opened, str) and opened.startswith("0{")
        eio = live_server.app.sio.eio
        assert [type(socket) for socket in eio.sockets.values()] == [LeanSocket]
        # Never answer the pings: the server must give up and close the socket.
        received = await frames_until_closed(websocket, WAIT_SECONDS + short_pings)

    assert "2" in received  # it was pinged first
    assert not eio.sockets


async def test_a_socket_that_answers_pings_stays_open_and_keeps_receiving(
    live_server: LiveServer,
    short_pings: float,
    sockets: SocketClients,
    live_users: UserFactory,
) -> None:
    alice = await live_users.create()
    client = await sockets.connect(auth={"token": alice.token})

    await asyncio.sleep(3 * short_pings)  # three idle ping cycles, pongs only

    assert client.connected
    ack = await client.call("presence:watch", {"user_ids": [alice.id]}, timeout=WAIT_SECONDS)
    assert ack["ok"] is True
    assert [type(socket) for socket in live_server.app.sio.eio.sockets.values()] == [LeanSocket]


async def test_a_client_that_starts_with_long_polling_upgrades_and_chats(
    live_server: LiveServer, live_users: UserFactory
) -> None:
    # Socket.IO's default client starts with long-polling and upgrades to a
    # WebSocket mid-life: the socket becomes a LeanSocket then, queue and all.
    alice, bob = await live_users.create(), await live_users.create()
    conversation = await live_users.client.post(
        "/api/conversations/direct", json={"user_id": bob.id}, headers=alice.headers
    )
    assert conversation.status_code in (200, 201), conversation.text
    conversation_id = conversation.json()["id"]
    received: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    sender, receiver = (
        socketio.AsyncClient(reconnection=False),
        socketio.AsyncClient(reconnection=False),
    )
    receiver.on("message:new", received.put_nowait)
    try:
        for client, user in ((sender, alice), (receiver, bob)):
            await client.connect(
                live_server.url,
                auth={"token": user.token},
                transports=["polling", "websocket"],
                wait_timeout=WAIT_SECONDS,
            )
        await wait_until(
            lambda: sender.transport() == "websocket" and receiver.transport() == "websocket",
            "both clients upgraded to a WebSocket",
        )
        ack = await sender.call(
            "message:send",
            {"conversation_id": conversation_id, "client_msg_id": "up-1", "body": "upgraded"},
            timeout=WAIT_SECONDS,
        )
        event = await asyncio.wait_for(received.get(), WAIT_SECONDS)
        kinds = [type(socket) for socket in live_server.app.sio.eio.sockets.values()]
    finally:
        await asyncio.gather(sender.disconnect(), receiver.disconnect())

    assert ack["ok"] is True, ack
    assert event["message"] == ack["message"]
    assert kinds == [LeanSocket, LeanSocket]
