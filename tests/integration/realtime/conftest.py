"""A real node on a real port: uvicorn serving the app, reached over TCP by httpx and Socket.IO."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import socketio
import uvicorn

from tests import waiting
from tests.factories import RegisteredUser, UserFactory
from vaultroom.app import VaultRoomApp, create_app
from vaultroom.realtime.wsprotocol import uvicorn_options
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
    """Poll ``condition`` until it holds (at most ``WAIT_SECONDS``); fail with ``what``."""
    await waiting.wait_until(condition, what, within=WAIT_SECONDS, every=POLL_SECONDS)


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
        **uvicorn_options(settings),  # as `vaultroom serve`
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


def live_settings(database_url: str, tmp_path: Path, **overrides: Any) -> Settings:
    """Settings of a test node: users go offline as soon as their last socket closes
    (no grace), sends are not rate limited; ``overrides`` change either."""
    return Settings(
        database_url=database_url,
        web_dir=tmp_path / "web",
        **{"presence_grace_seconds": 0, "send_rate_limit": "10000/second", **overrides},
    )


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """The settings of the live node (see ``live_settings``)."""
    return live_settings(database_url, tmp_path)


# --- messaging over sockets: tabs that record what they receive, conversations over REST -----

Json = dict[str, Any]


class EventRecorder:
    """Every server event a client received, in arrival order (one catch-all handler)."""

    def __init__(self) -> None:
        self.received: list[tuple[str, Any]] = []

    def attach(self, client: socketio.AsyncClient) -> None:
        """Record everything ``client`` receives from now on (not connect/disconnect)."""

        async def record(event: str, *args: Any) -> None:
            self.received.append((event, args[0] if len(args) == 1 else list(args)))

        client.on("*", record)

    def of(self, event: str) -> list[Any]:
        """The payloads of one event, in arrival order."""
        return [data for name, data in self.received if name == event]

    def messages(
        self, event: str = "message:new", conversation_id: int | None = None
    ) -> list[Json]:
        """The ``message`` of each ``message:new`` (or ``message:updated``), optionally of
        one conversation."""
        found = [data["message"] for data in self.of(event)]
        if conversation_id is None:
            return found
        return [message for message in found if message["conversation_id"] == conversation_id]

    def presence_of(self, user_id: int) -> list[bool]:
        """The ``online`` flags of the presence events about one user, in order."""
        return [data["online"] for data in self.of("presence") if data["user_id"] == user_id]


@dataclass
class Tab:
    """One connected Socket.IO client of a user (a browser tab) and what it received."""

    user: RegisteredUser
    client: socketio.AsyncClient
    events: EventRecorder

    async def call(self, event: str, data: Any = None) -> Any:
        """Emit ``event`` and return the server's ack (``data=None`` sends no payload)."""
        return await self.client.call(event, data, timeout=WAIT_SECONDS)

    async def send(self, conversation_id: int, body: str, client_msg_id: str | None = None) -> Json:
        """``message:send`` that must be accepted; the stored message from the ack."""
        ack = await self.call(
            "message:send",
            {
                "conversation_id": conversation_id,
                "client_msg_id": client_msg_id or uuid.uuid4().hex,
                "body": body,
            },
        )
        assert ack["ok"] is True, ack
        message: Json = ack["message"]
        return message

    async def wait_for(self, event: str, match: Callable[[Any], bool], what: str) -> Any:
        """Wait until an ``event`` whose payload satisfies ``match`` arrived; return it."""
        await wait_until(
            lambda: any(match(data) for data in self.events.of(event)),
            f"{self.user.username} received {event}: {what}",
        )
        return next(data for data in self.events.of(event) if match(data))

    async def wait_for_message(self, message_id: int, event: str = "message:new") -> Json:
        """Wait until ``message:new`` (or ``message:updated``) of one message arrived."""
        data = await self.wait_for(
            event, lambda data: data["message"]["id"] == message_id, f"message {message_id}"
        )
        message: Json = data["message"]
        return message


@dataclass
class Tabs:
    """Opens recording Socket.IO clients (tabs) for users of the live node."""

    sockets: SocketClients

    async def open(self, user: RegisteredUser) -> Tab:
        """A new connected tab of ``user`` (token handshake), recording from the start."""
        client = self.sockets.new()
        events = EventRecorder()
        events.attach(client)
        await self.sockets.connect(client, auth={"token": user.token})
        return Tab(user=user, client=client, events=events)


@pytest.fixture
def tabs(sockets: SocketClients) -> Tabs:
    """Recording tabs, disconnected in teardown with the other sockets."""
    return Tabs(sockets)


async def sentinel(sender: Tab, conversation_id: int, *observers: Tab) -> Json:
    """Send one more message and wait until every observer got it as ``message:new``.

    Each socket receives events in the order the server emitted them, so once the
    sentinel arrived everything emitted before it has arrived too: what an observer
    has not received by then it was never sent.
    """
    message = await sender.send(conversation_id, "sentinel")
    for observer in observers:
        await observer.wait_for_message(message["id"])
    return message


async def open_direct(http: httpx.AsyncClient, user: RegisteredUser, other: RegisteredUser) -> Json:
    """The direct conversation of two users, opened over REST by ``user``."""
    response = await http.post(
        "/api/conversations/direct", json={"user_id": other.id}, headers=user.headers
    )
    assert response.status_code in {200, 201}, response.text
    conversation: Json = response.json()
    return conversation


async def create_group(
    http: httpx.AsyncClient, owner: RegisteredUser, members: list[RegisteredUser], title: str
) -> Json:
    """A group owned by ``owner`` with ``members``, created over REST."""
    response = await http.post(
        "/api/conversations/group",
        json={"title": title, "member_ids": [member.id for member in members]},
        headers=owner.headers,
    )
    assert response.status_code == 201, response.text
    conversation: Json = response.json()
    return conversation


async def history(
    http: httpx.AsyncClient, user: RegisteredUser, conversation_id: int
) -> list[Json]:
    """Every message of a conversation as ``user`` reads it over REST (up to one page of 200)."""
    response = await http.get(
        f"/api/conversations/{conversation_id}/messages",
        params={"limit": 200},
        headers=user.headers,
    )
    assert response.status_code == 200, response.text
    messages: list[Json] = response.json()["messages"]
    return messages


async def conversation_of(
    http: httpx.AsyncClient, user: RegisteredUser, conversation_id: int
) -> Json:
    """A conversation as ``user`` sees it over REST."""
    response = await http.get(f"/api/conversations/{conversation_id}", headers=user.headers)
    assert response.status_code == 200, response.text
    conversation: Json = response.json()
    return conversation
