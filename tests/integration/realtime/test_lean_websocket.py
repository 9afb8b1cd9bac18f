"""The WebSocket loop of engine.io sockets (realtime/transport.py): its idle watchdog."""

from __future__ import annotations

import asyncio

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.factories import UserFactory
from tests.integration.realtime.conftest import WAIT_SECONDS, LiveServer, SocketClients
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
