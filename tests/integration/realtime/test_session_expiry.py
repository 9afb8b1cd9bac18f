"""Sockets of sessions that expire while connected are told and disconnected by the sweep."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

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


async def test_a_session_with_an_open_socket_is_kept_in_use_by_the_sweep(
    live_server: LiveServer, live_users: UserFactory, sockets: SocketClients
) -> None:
    alice = await live_users.create()
    await sockets.connect(auth={"token": alice.token})
    long_ago = utcnow() - timedelta(days=13)
    async with live_server.services.db.transaction() as session:
        await session.execute(
            update(AuthSession).where(AuthSession.user_id == alice.id).values(last_used_at=long_ago)
        )

    assert await live_server.app.session_sweeper.sweep_once() == []

    async with live_server.services.db.snapshot() as session:
        used = await session.scalar(
            select(AuthSession.last_used_at).where(AuthSession.user_id == alice.id)
        )
    assert used is not None
    assert used > long_ago + timedelta(days=1)
