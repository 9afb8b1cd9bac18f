"""What the nodes of a cluster share through Redis, tested piece by piece against a real Redis.

Every test gets its own key prefix on the shared Redis (``VAULTROOM_TEST_REDIS_URL``,
default 127.0.0.1:6379) and deletes exactly the keys under it afterwards; nothing
else on that Redis is read or touched. Redis "going down" is a TCP proxy of the
test's own (``RedisProxy``) that refuses and cuts connections, or a closed port.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import urlsplit

import pytest
import redis
import redis.asyncio as aioredis
import socketio
from redis.exceptions import RedisError

from tests import waiting
from tests.conftest import service_unavailable
from tests.servers import free_ports
from vaultroom.cluster import Broker, ClusterFanout, ClusterPresence
from vaultroom.services.presence import PresenceChange
from vaultroom.settings import Settings

REDIS_URL = os.environ.get("VAULTROOM_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
# Bounds for waiting on things that happen in the background (never asserted on).
WAIT_SECONDS = 20.0
POLL_SECONDS = 0.02


async def wait_until(
    condition: Callable[[], bool], what: str, *, within: float = WAIT_SECONDS
) -> None:
    """Poll ``condition`` until it holds; fail with ``what`` if it never does."""
    await waiting.wait_until(condition, what, within=within, every=POLL_SECONDS)


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The shared Redis (skipped, or failed in CI, when it does not answer)."""
    try:
        with redis.Redis.from_url(REDIS_URL, socket_connect_timeout=5, socket_timeout=5) as r:
            r.ping()
    except (RedisError, OSError) as exc:
        service_unavailable(f"Redis at {REDIS_URL}", repr(exc))
    return REDIS_URL


def delete_prefixed(url: str, prefix: str) -> int:
    """Delete every key under ``prefix`` (SCAN + DEL); how many there were."""
    deleted = 0
    with redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5) as r:
        batch: list[bytes] = []
        for key in r.scan_iter(match=f"{prefix}*", count=500):
            batch.append(key)
            if len(batch) >= 500:
                deleted += r.delete(*batch)
                batch.clear()
        if batch:
            deleted += r.delete(*batch)
    return deleted


def prefixed_keys(url: str, prefix: str) -> list[str]:
    """The keys under ``prefix`` right now."""
    with redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5) as r:
        return sorted(key.decode() for key in r.scan_iter(match=f"{prefix}*", count=500))


@pytest.fixture
def prefix(redis_url: str) -> Iterator[str]:
    """A key prefix of this test's own on the shared Redis, emptied at the end."""
    name = f"vrtest:{uuid.uuid4().hex[:12]}:"
    yield name
    delete_prefixed(redis_url, name)


@pytest.fixture
def closed_redis_url() -> str:
    """A Redis URL where nothing listens (connections are refused at once)."""
    (port,) = free_ports(1)
    return f"redis://127.0.0.1:{port}/0"


@pytest.fixture
async def shared(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    """A client of the shared Redis (one per "node" where a test needs several: ``clients``)."""
    client = aioredis.Redis.from_url(redis_url)
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
async def clients() -> AsyncIterator[Callable[[str], aioredis.Redis]]:
    """Makes Redis clients (each its own pool, like separate nodes); all closed at the end."""
    made: list[aioredis.Redis] = []

    def make(url: str) -> aioredis.Redis:
        client = aioredis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
        made.append(client)
        return client

    try:
        yield make
    finally:
        for client in made:
            await client.aclose()


# --- a Redis that can go down: a TCP proxy in the test's event loop -------------------------


class RedisProxy:
    """Forwards TCP connections to the shared Redis until ``cut``; ``restore`` listens again
    on the same port. Cutting aborts every open connection and refuses new ones."""

    def __init__(self, target_url: str) -> None:
        parts = urlsplit(target_url)
        self._host = parts.hostname or "127.0.0.1"
        self._target_port = parts.port or 6379
        self._db = parts.path or "/0"
        self.port = 0
        self._server: asyncio.Server | None = None
        self._transports: set[asyncio.Transport] = set()
        self._handlers: set[asyncio.Task[Any]] = set()
        # The next this many connections that send a PUBLISH are aborted (a link that
        # breaks at exactly that moment); the command never reaches Redis.
        self.break_publishes = 0

    @property
    def url(self) -> str:
        """The Redis URL to give to what should go through the proxy."""
        return f"redis://127.0.0.1:{self.port}{self._db}"

    async def restore(self) -> None:
        """Accept (and forward) connections."""
        if self._server is None:
            self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
            self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        """Stop listening and abort every forwarded connection."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for transport in list(self._transports):
            transport.abort()
        if self._handlers:
            await asyncio.wait(list(self._handlers), timeout=WAIT_SECONDS)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        self._transports.add(cast(asyncio.Transport, writer.transport))
        try:
            try:
                up_reader, up_writer = await asyncio.open_connection(self._host, self._target_port)
            except OSError:
                return
            self._transports.add(cast(asyncio.Transport, up_writer.transport))
            try:
                await asyncio.gather(
                    self._pipe(reader, up_writer, writer, outgoing=True),
                    self._pipe(up_reader, writer, up_writer, outgoing=False),
                )
            finally:
                up_writer.transport.abort()
                self._transports.discard(cast(asyncio.Transport, up_writer.transport))
        finally:
            writer.transport.abort()
            self._transports.discard(cast(asyncio.Transport, writer.transport))
            self._handlers.discard(task)

    async def _pipe(
        self,
        source: asyncio.StreamReader,
        sink: asyncio.StreamWriter,
        other: asyncio.StreamWriter,
        *,
        outgoing: bool,
    ) -> None:
        try:
            while data := await source.read(65536):
                if outgoing and self.break_publishes and b"PUBLISH" in data.upper():
                    self.break_publishes -= 1
                    return
                sink.write(data)
                await sink.drain()
        except OSError:
            pass
        finally:  # one side ended: end both
            sink.transport.abort()
            other.transport.abort()


@pytest.fixture
async def redis_proxy(redis_url: str) -> AsyncIterator[RedisProxy]:
    """A proxy to the shared Redis, listening; cut at the end."""
    proxy = RedisProxy(redis_url)
    await proxy.restore()
    try:
        yield proxy
    finally:
        await proxy.cut()


# --- cluster nodes without HTTP: broker, presence and fan-out of one node each ----------------


class RecordingServer(socketio.AsyncServer):  # type: ignore[misc]  # socketio is untyped
    """A real Socket.IO server with no clients that remembers what it was asked to emit."""

    def __init__(self) -> None:
        super().__init__(async_mode="asgi")
        self.emitted: list[tuple[str, Any, Any]] = []

    async def emit(
        self, event: str, data: Any = None, to: Any = None, room: Any = None, **kwargs: Any
    ) -> None:
        """Record ``(event, data, rooms)``, then emit for real."""
        self.emitted.append((event, data, to if to is not None else room))
        await super().emit(event, data, to=to, room=room, **kwargs)

    def of(self, event: str) -> list[tuple[Any, Any]]:
        """``(data, rooms)`` of each emit of ``event``, in order."""
        return [(data, rooms) for name, data, rooms in self.emitted if name == event]


@dataclass
class Node:
    """One node's cluster parts, with what its presence backend handed back to the node."""

    name: str
    broker: Broker
    presence: ClusterPresence
    fanout: ClusterFanout
    sio: RecordingServer
    held: set[int] = field(default_factory=set)  # the users this node says it holds
    reaped: list[PresenceChange] = field(default_factory=list)  # via on_changes
    resyncs: list[tuple[set[int], list[PresenceChange]]] = field(default_factory=list)
    stopped: bool = False

    async def wait_synced(self, count: int = 1) -> None:
        """Until the broker (re)connected ``count`` times and re-registered ``held``."""
        await wait_until(
            lambda: len(self.resyncs) >= count and self.broker.up,
            f"{self.name} registered with the cluster ({count})",
        )

    async def die(self) -> None:
        """Stop as a killed process would: no leave, no more heartbeats."""
        if not self.stopped:
            self.stopped = True
            await self.presence.stop()
            await self.fanout.stop()
            await self.broker.stop()


@dataclass
class Cluster:
    """Starts nodes sharing one prefix; stops them all at the end."""

    redis_url: str
    prefix: str
    nodes: list[Node] = field(default_factory=list)

    async def start(
        self,
        name: str,
        *,
        url: str | None = None,
        node_id: str | None = None,
        held: set[int] | None = None,
        heartbeat_seconds: float = 30.0,
        timeout_seconds: float = 60.0,
        beat: bool = False,
        wait: bool = True,
    ) -> Node:
        """A node connected to ``url`` (default the shared Redis), registered with ``held``.
        ``beat`` starts its heartbeat (which also reaps silent nodes); ``wait`` waits until
        the node registered."""
        settings = Settings(
            redis_url=url or self.redis_url,
            redis_prefix=self.prefix,
            node_heartbeat_seconds=heartbeat_seconds,
            node_timeout_seconds=timeout_seconds,
        )
        sio = RecordingServer()
        broker = Broker(settings, node_id or f"{name}-{uuid.uuid4().hex[:6]}")
        presence = ClusterPresence(sio, broker, settings)
        node = Node(name, broker, presence, ClusterFanout(sio, broker, presence), sio)
        node.held = set(held or ())

        async def on_changes(changes: list[PresenceChange]) -> None:
            node.reaped.extend(changes)

        async def on_resync(registered: set[int], changes: list[PresenceChange]) -> None:
            node.resyncs.append((set(registered), list(changes)))

        presence.attach(lambda: set(node.held), on_changes, on_resync)
        self.nodes.append(node)
        node.fanout.start()
        if beat:
            presence.start()
        broker.start()
        if wait:
            await node.wait_synced()
        return node

    async def stop_all(self) -> None:
        """Stop every node still running (without taking its users offline)."""
        for node in self.nodes:
            with contextlib.suppress(Exception):
                await node.die()


@pytest.fixture
async def cluster(redis_url: str, prefix: str) -> AsyncIterator[Cluster]:
    """Nodes on this test's prefix, stopped before the prefix's keys are deleted."""
    started = Cluster(redis_url, prefix)
    try:
        yield started
    finally:
        await started.stop_all()
