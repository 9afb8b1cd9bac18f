"""Ends the sockets of sessions that expired while connected, keeps the others alive.

Revocations (sign-out, a revoked session, a password change) disconnect sockets
at once; expiry happens silently with time, so each node checks the sessions of
its open sockets every ``session_check_interval_seconds``, in one query, and
marks the live ones used (an open socket is use: a tab left open is not idle).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import socketio

from vaultroom.fanout.rooms import SESSION_ROOM_PREFIX
from vaultroom.services.container import Services
from vaultroom.tasks import raise_if_cancel_requested

logger = logging.getLogger(__name__)


class SessionSweeper:
    """A background task that disconnects the sockets of sessions no longer live."""

    def __init__(
        self, sio: socketio.AsyncServer, get_services: Callable[[], Services], interval: float
    ) -> None:
        self._sio = sio
        self._get_services = get_services
        self._interval = interval
        self._task: asyncio.Task[None] | None = None

    def held_sessions(self) -> list[int]:
        """The sessions that have a socket on this node."""
        rooms = self._sio.manager.rooms.get("/", {})
        return [
            int(room.removeprefix(SESSION_ROOM_PREFIX))
            for room in list(rooms)
            if isinstance(room, str) and room.startswith(SESSION_ROOM_PREFIX)
        ]

    async def sweep_once(self) -> list[int]:
        """Disconnect the sockets of every held session that ended (their ids); mark the
        others used."""
        services = self._get_services()
        ended = await services.sessions.check_connected(self.held_sessions())
        if ended:
            await services.fanout.revoke_sessions(ended)
        return ended

    def start(self) -> None:
        """Sweep every interval until stopped."""
        self._task = asyncio.create_task(self._run(), name="session-sweeper")

    async def stop(self) -> None:
        """Stop sweeping."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self.sweep_once()
            except Exception:  # a database blip must not end the sweeping
                raise_if_cancel_requested()
                logger.exception("session sweep failed")
            raise_if_cancel_requested()
