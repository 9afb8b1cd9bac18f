"""What a closed socket leaves behind on the server: nothing."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.factories import UserFactory
from tests.integration.realtime.conftest import WAIT_SECONDS, LiveServer, SocketClients, wait_until


def server_state(live_server: LiveServer) -> dict[str, Any]:
    """The sizes of every per-socket structure of the node's Socket.IO server."""
    sio = live_server.app.sio
    manager = sio.manager
    rooms = manager.rooms.get("/", {})
    return {
        "engine.io sockets": len(sio.eio.sockets),
        "socket.io environ": len(sio.environ),
        "rooms": sorted(str(room) for room in rooms if room is not None),
        "namespace members": len(rooms.get(None, {})),
        "rooms kept per socket": len(manager._rooms_of),
        "callbacks": len(manager.callbacks),
        "presence counts": sum(live_server.services.presence._sockets.values()),
    }


async def test_sockets_that_watched_presence_and_closed_leave_no_state(
    live_server: LiveServer, sockets: SocketClients, live_users: UserFactory
) -> None:
    people = [await live_users.create() for _ in range(3)]
    before = server_state(live_server)
    clients = []
    for round_ in range(4):
        for person in people:
            client = await sockets.connect(auth={"token": person.token})
            watched = [other.id for other in people]
            ack = await client.call("presence:watch", {"user_ids": watched}, timeout=WAIT_SECONDS)
            assert ack["ok"] is True, (round_, ack)
            clients.append(client)
    during = server_state(live_server)
    assert during["engine.io sockets"] == during["namespace members"] == len(clients)
    assert during["presence counts"] == len(clients)
    assert len(during["rooms"]) > len(before["rooms"])  # each socket's own, users', watches

    await asyncio.gather(*(client.disconnect() for client in clients))
    await wait_until(
        lambda: server_state(live_server)["engine.io sockets"] == 0, "every socket is gone"
    )
    await wait_until(lambda: server_state(live_server) == before, "the state is as before")
