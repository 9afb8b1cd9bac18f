"""A real node on a real port: uvicorn serving the app, reached over TCP by httpx and Socket.IO."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import socketio
import uvicorn

from tests.factories import UserFactory
from vaultroom.app import VaultRoomApp, create_app
from vaultroom.services.container import Services
from vaultroom.settings import Settings

# Bounds for waiting on things that happen in the background (never asserted on).
WAIT_SECONDS = 15.0
POLL_SECONDS = 0.02


@dataclass
class LiveServer:
    """A node listening on 127.0.0.1: its URL, its own origin and the app behind it."""

    url: str
    port: int
    app: VaultRoomApp

    @property
    def origin(self) -> str:
        """The ``Origin`` a page served by this node would send."""
        return self.url

    @property
    def services(self) -> Services:
        """The services the node's lifespan built."""
        return self.app.services


async def wait_until(condition: Callable[[], bool], what: str) -> None:
    """Poll ``condition`` until it holds; fail with ``what`` if it never does."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_SECONDS
    while not condition():
        if loop.time() > deadline:
            pytest.fail(f"timed out waiting until {what}")
        await asyncio.sleep(POLL_SECONDS)


@pytest.fixture
async def live_server(settings: Settings) -> AsyncIterator[LiveServer]:
    """The real app under ``uvicorn.Server`` on a free port, in the test's event loop."""
    application = create_app(settings)
    config = uvicorn.Config(
        application,
        host="127.0.0.1",
        port=0,
        log_level="warning",
        lifespan="on",
        timeout_graceful_shutdown=10,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        await wait_until(lambda: server.started or task.done(), "uvicorn started")
        if task.done():
            task.result()  # raises what made start-up fail
            pytest.fail("uvicorn stopped during start-up")
        port: int = server.servers[0].sockets[0].getsockname()[1]
        yield LiveServer(url=f"http://127.0.0.1:{port}", port=port, app=application)
    finally:
        server.should_exit = True
        await task


@pytest.fixture
async def live_http(live_server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the live node over TCP (no cookies kept between calls)."""
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as http:
        yield http


@pytest.fixture
def live_users(live_http: httpx.AsyncClient) -> UserFactory:
    """Registers users on the live node over real HTTP."""
    return UserFactory(live_http)


@dataclass
class SocketClients:
    """Makes Socket.IO clients for a live node and disconnects every one of them at the end."""

    server: LiveServer
    created: list[socketio.AsyncClient]

    def new(self) -> socketio.AsyncClient:
        """A websocket-only client that does not reconnect on its own."""
        client = socketio.AsyncClient(reconnection=False)
        self.created.append(client)
        return client

    async def connect(
        self,
        client: socketio.AsyncClient | None = None,
        *,
        auth: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> socketio.AsyncClient:
        """Open the handshake (raises ``socketio.exceptions.ConnectionError`` if refused)."""
        client = client or self.new()
        await client.connect(
            self.server.url,
            auth=auth,
            headers=dict(headers or {}),
            transports=["websocket"],
            wait_timeout=WAIT_SECONDS,
        )
        return client

    async def close_all(self) -> None:
        """Disconnect every client (also closes their HTTP sessions after a refusal)."""
        for client in self.created:
            await client.disconnect()
            http = client.eio.http
            if http is not None and not http.closed:
                await http.close()


@pytest.fixture
async def sockets(live_server: LiveServer) -> AsyncIterator[SocketClients]:
    """Socket.IO clients of the live node, all disconnected in teardown."""
    clients = SocketClients(server=live_server, created=[])
    try:
        yield clients
    finally:
        await clients.close_all()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """A test node: users go offline as soon as their last socket closes (no grace),
    sends are not rate limited unless a test says so."""
    return Settings(
        database_url=database_url,
        web_dir=tmp_path / "web",
        presence_grace_seconds=0,
        send_rate_limit="10000/second",
    )
