"""Sockets of sessions that expire while connected are told and disconnected by the sweep."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import update

from tests.factories import UserFactory
from tests.integration.realtime.conftest import LiveServer, SocketClients, wait_until
from vaultroom.models import AuthSession
from vaultroom.models.base import utcnow


async def test_an_expired_sessions_socket_is_revoked_while_live_ones_stay(
    live_server: LiveServer, live_users: UserFactory, sockets: SocketClients
) -> None:
    alice, bob = await live_users.create(), await live_users.create()
    told: list[Any] = []
    alice_socket = sockets.new()
    alice_socket.on("session:revoked", told.append)
    await sockets.connect(alice_socket, auth={"token": alice.token})
    bob_socket = await sockets.connect(auth={"token": bob.token})
    sweeper = live_server.app.session_sweeper
    assert await sweeper.sweep_once() == []
    async with live_server.services.db.transaction() as session:
        await session.execute(
            update(AuthSession)
            .where(AuthSession.user_id == alice.id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )

    ended = await sweeper.sweep_once()

    assert len(ended) == 1
    await wait_until(lambda: not alice_socket.connected, "alice's socket is disconnected")
    assert told == [{"session_id": ended[0]}]
    assert bob_socket.connected
