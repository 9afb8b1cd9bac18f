"""A 3-node cluster of real ``vaultroom serve`` processes, and chat clients that use it.

One cluster serves the whole package: three nodes on different ports sharing one fresh
PostgreSQL database (created here, dropped at the end) and the shared Redis under a key
prefix of their own (its keys deleted at the end). The nodes reach both through TCP
proxies of the tests' own (``tcp_proxy.py``, a process of its own), which a test can
cut to take "PostgreSQL" or "Redis" down without touching the real servers. Heartbeats
are short (1 s, dead after 3 s) so that a killed node's users are reaped quickly.

Before each test every node is alive and ready and both proxies forward again (a test
that killed a node gets it restarted for the next one).

``ChatClient`` behaves like a real client of docs/protocol.md: websocket transport,
Bearer token, retries a send with the same ``client_msg_id`` after an ``unavailable``
ack, a timeout or a lost connection, reconnects to another node when its node goes
away, and runs the resync recipe after a reconnect and on ``resync``. It holds each
conversation's messages by seq (merged by ``change_seq``) and records every event it
received, for the tests to compare with the database.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

import asyncpg
import httpx
import pytest
import redis
import socketio
from redis.exceptions import RedisError
from sqlalchemy.engine import make_url
from tests import waiting
from tests.conftest import POSTGRES_URL, service_unavailable
from tests.factories import DEFAULT_PASSWORD, RegisteredUser
from tests.integration.shared_state.conftest import REDIS_URL, delete_prefixed
from tests.servers import Node, Nodes, base_env, free_ports

from vaultroom.migrations.runner import upgrade_to_head

Json = dict[str, Any]
NODE_COUNT = 3
HEARTBEAT_SECONDS = 1.0
NODE_TIMEOUT_SECONDS = 3.0
PRESENCE_GRACE_SECONDS = 1.0
# Bounds for waiting (never asserted on): a send's ack, anything in the background.
ACK_SECONDS = 10.0
WAIT_SECONDS = 30.0
POLL_SECONDS = 0.05
# A client waits this long before fetching a gap (the missing events may be on their way).
GAP_GRACE_SECONDS = 1.0
REPO = Path(__file__).resolve().parents[3]


async def wait_until(
    condition: Callable[[], bool],
    what: str | Callable[[], str],
    within: float = WAIT_SECONDS,
    every: float = POLL_SECONDS,
) -> None:
    """Poll ``condition`` until it holds; fail saying ``what`` if it never does."""
    await waiting.wait_until(condition, what, within=within, every=every)


def asyncpg_dsn(url: str) -> str:
    """A SQLAlchemy URL as asyncpg wants it."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _admin(sql: str) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(POSTGRES_URL), timeout=5)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


# --- the proxies: "PostgreSQL" and "Redis" as the nodes see them ---------------------------


class Proxies:
    """``tcp_proxy.py`` running as a child process: named proxies that can be cut and restored."""

    def __init__(self, targets: dict[str, str]) -> None:
        self._process = subprocess.Popen(  # noqa: S603 - our own interpreter and script
            [
                sys.executable,
                "-m",
                "tests.integration.cluster.tcp_proxy",
                *(f"{name}={address}" for name, address in targets.items()),
            ],
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.ports: dict[str, int] = json.loads(self._stdout.readline())
        self.cut_now: set[str] = set()

    @property
    def _stdout(self) -> IO[str]:
        assert self._process.stdout is not None
        return self._process.stdout

    def _command(self, line: str) -> None:
        assert self._process.stdin is not None
        self._process.stdin.write(line + "\n")
        self._process.stdin.flush()
        answer = self._stdout.readline().strip()
        assert answer == "ok", f"proxy answered {answer!r} to {line!r}"

    def cut_sync(self, name: str) -> None:
        """Abort every connection through ``name`` and refuse new ones."""
        self._command(f"cut {name}")
        self.cut_now.add(name)

    def restore_sync(self, name: str) -> None:
        """Accept connections through ``name`` again (same port)."""
        self._command(f"restore {name}")
        self.cut_now.discard(name)

    async def cut(self, name: str) -> None:
        """``cut_sync`` without blocking the event loop."""
        await asyncio.to_thread(self.cut_sync, name)

    async def restore(self, name: str) -> None:
        """``restore_sync`` without blocking the event loop."""
        await asyncio.to_thread(self.restore_sync, name)

    def close(self) -> None:
        """End the proxy process (closing its stdin ends it)."""
        assert self._process.stdin is not None
        self._process.stdin.close()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._stdout.close()


# --- the cluster ---------------------------------------------------------------------------


@dataclass
class Cluster:
    """Three ``serve`` processes; ``nodes[i]`` is the current process on ``ports[i]``."""

    processes: Nodes
    ports: list[int]
    env: dict[str, str]
    cwd: Path
    proxies: Proxies
    database_dsn: str  # the real database (not through the proxy), for the tests' reads
    redis_url: str
    prefix: str
    nodes: list[Node] = field(default_factory=list)

    @property
    def urls(self) -> list[str]:
        """The base URL of each node."""
        return [f"http://127.0.0.1:{port}" for port in self.ports]

    def start(self, index: int) -> Node:
        """Start (or restart) the node on ``ports[index]``; it is not ready yet."""
        node = self.processes.start(port=self.ports[index], cwd=self.cwd, env=self.env)
        if index < len(self.nodes):
            self.nodes[index] = node
        else:
            self.nodes.append(node)
        return node

    def kill(self, index: int) -> None:
        """SIGKILL the node: no shutdown, no goodbye to the cluster."""
        process = self.nodes[index].process
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    def heal(self) -> None:
        """Both proxies forwarding, every node alive and ready."""
        for name in list(self.proxies.cut_now):
            self.proxies.restore_sync(name)
        restarted = [
            self.start(index)
            for index, node in enumerate(self.nodes)
            if node.process.poll() is not None
        ]
        for node in restarted or self.nodes:
            node.wait_ready()

    def registered_nodes(self) -> int:
        """How many nodes the presence map in Redis counts as alive."""
        with redis.Redis.from_url(self.redis_url, socket_timeout=5) as r:
            return int(r.zcard(f"{self.prefix}nodes"))

    def online_users(self) -> set[int]:
        """The users the presence map in Redis says are online."""
        with redis.Redis.from_url(self.redis_url, socket_timeout=5) as r:
            return {int(member) for member in r.smembers(f"{self.prefix}online")}

    def logs(self) -> str:
        """The output of every node process so far (for failure messages)."""
        return "\n".join(f"--- {node.url}:\n{node.output()[-4000:]}" for node in self.nodes)


@pytest.fixture(scope="package")
def running_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """The package's cluster (see the module docstring), torn down after its last test."""
    try:
        with redis.Redis.from_url(REDIS_URL, socket_connect_timeout=5, socket_timeout=5) as r:
            r.ping()
    except (RedisError, OSError) as exc:
        service_unavailable(f"Redis at {REDIS_URL}", repr(exc))
    name = f"vaultroom_cluster_{uuid.uuid4().hex[:12]}"
    try:
        asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        service_unavailable(f"PostgreSQL at {make_url(POSTGRES_URL).host}", repr(exc))
    database = make_url(POSTGRES_URL).set(database=name)
    prefix = f"vrtest:{uuid.uuid4().hex[:12]}:"
    redis_target = urlsplit(REDIS_URL)
    proxies = Proxies(
        {
            "postgres": f"{database.host or '127.0.0.1'}:{database.port or 5432}",
            "redis": f"{redis_target.hostname or '127.0.0.1'}:{redis_target.port or 6379}",
        }
    )
    workdir = tmp_path_factory.mktemp("cluster")
    log_dir = workdir / "logs"
    log_dir.mkdir()
    processes = Nodes(log_dir=log_dir)
    try:
        upgrade_to_head(database.render_as_string(hide_password=False))
        through_proxy = database.set(host="127.0.0.1", port=proxies.ports["postgres"])
        redis_db = redis_target.path.strip("/") or "0"
        env = base_env(
            VAULTROOM_DATABASE_URL=through_proxy.render_as_string(hide_password=False),
            VAULTROOM_REDIS_URL=f"redis://127.0.0.1:{proxies.ports['redis']}/{redis_db}",
            VAULTROOM_REDIS_PREFIX=prefix,
            VAULTROOM_NODE_HEARTBEAT_SECONDS=str(HEARTBEAT_SECONDS),
            VAULTROOM_NODE_TIMEOUT_SECONDS=str(NODE_TIMEOUT_SECONDS),
            VAULTROOM_PRESENCE_GRACE_SECONDS=str(PRESENCE_GRACE_SECONDS),
            VAULTROOM_SEND_RATE_LIMIT="100000/second",
            VAULTROOM_WEB_DIR=str(workdir / "web"),
            VAULTROOM_LOG_LEVEL="warning",
        )
        cluster = Cluster(
            processes=processes,
            ports=free_ports(NODE_COUNT),
            env=env,
            cwd=workdir,
            proxies=proxies,
            database_dsn=asyncpg_dsn(database.render_as_string(hide_password=False)),
            redis_url=REDIS_URL,
            prefix=prefix,
        )
        for index in range(NODE_COUNT):
            cluster.start(index)
        for node in cluster.nodes:
            node.wait_ready()
        yield cluster
    finally:
        processes.stop_all()
        proxies.close()
        delete_prefixed(REDIS_URL, prefix)
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def cluster(running_cluster: Cluster) -> Cluster:
    """The cluster, healed: every node alive and ready, PostgreSQL and Redis reachable."""
    running_cluster.heal()
    return running_cluster


# --- users, REST ---------------------------------------------------------------------------

_names = itertools.count(1)


async def register(http: httpx.AsyncClient, tag: str) -> RegisteredUser:
    """A new user registered over REST (on whichever node ``http`` talks to)."""
    username = f"{tag}_{next(_names):04d}"
    body = {"username": username, "email": f"{username}@example.com", "password": DEFAULT_PASSWORD}
    response = await http.post("/api/auth/register", json=body)
    assert response.status_code == 201, response.text
    data = response.json()
    return RegisteredUser(
        id=data["user"]["id"],
        username=username,
        email=body["email"],
        password=DEFAULT_PASSWORD,
        token=data["token"],
    )


async def register_many(urls: list[str], count: int, tag: str) -> list[RegisteredUser]:
    """``count`` users, registered a few at a time on every node."""
    gate = asyncio.Semaphore(2 * len(urls))
    clients = [httpx.AsyncClient(base_url=url, timeout=60) for url in urls]
    try:

        async def one(index: int) -> RegisteredUser:
            async with gate:
                return await register(clients[index % len(clients)], tag)

        return list(await asyncio.gather(*(one(index) for index in range(count))))
    finally:
        for client in clients:
            await client.aclose()


@dataclass
class Rest:
    """One HTTP client per node (the tests pick the node of each request)."""

    clients: list[httpx.AsyncClient]

    def on(self, node: int) -> httpx.AsyncClient:
        """The client of one node."""
        return self.clients[node]

    async def ok(
        self, node: int, method: str, path: str, user: RegisteredUser, **kwargs: Any
    ) -> Any:
        """A request that must succeed (2xx); its JSON body (``None`` for 204)."""
        response = await self.clients[node].request(method, path, headers=user.headers, **kwargs)
        assert response.is_success, f"{method} {path} on node {node}: {response.text}"
        return response.json() if response.content else None


async def readiness(rest: Rest, node: int) -> tuple[int, Json]:
    """``/readyz`` of a node: status and body."""
    response = await rest.on(node).get("/readyz")
    body: Json = response.json()
    return response.status_code, body


async def every_node_reports(rest: Rest, status: int, checks: dict[str, str]) -> None:
    """Wait until every node's ``/readyz`` answers ``status`` with ``checks`` among its checks."""
    loop = asyncio.get_running_loop()
    for node in range(NODE_COUNT):
        deadline = loop.time() + WAIT_SECONDS
        while True:
            code, body = await readiness(rest, node)
            if code == status and checks.items() <= body["checks"].items():
                break
            if loop.time() > deadline:
                pytest.fail(f"node {node} /readyz never said {status} {checks}: {code} {body}")
            await asyncio.sleep(0.1)


@pytest.fixture
async def rest(cluster: Cluster) -> AsyncIterator[Rest]:
    """HTTP clients of the nodes, closed at the end."""
    clients = [httpx.AsyncClient(base_url=url, timeout=30) for url in cluster.urls]
    try:
        yield Rest(clients)
    finally:
        for client in clients:
            await client.aclose()


# --- chat clients ----------------------------------------------------------------------------


class ConnectionLost(Exception):
    """The socket closed before the ack came."""


class SendFailed(Exception):
    """A send was refused for good (not a retryable error)."""


class RetryLater(Exception):
    """The node answered 503 (its database is down): the client tries again."""


def contiguous(held: dict[int, Json]) -> int:
    """The highest seq up to which nothing is missing (0 when seq 1 is missing)."""
    seq = 0
    while seq + 1 in held:
        seq += 1
    return seq


def merge(held: dict[int, Json], message: Json) -> bool:
    """Keep one copy per seq: a copy replaces the held one unless its change_seq is lower.
    Whether the seq was new."""
    current = held.get(message["seq"])
    if current is None or message["change_seq"] >= current["change_seq"]:
        held[message["seq"]] = message
    return current is None


class ChatClient:
    """One user's Socket.IO client (a browser tab) that behaves like a real one."""

    def __init__(
        self,
        user: RegisteredUser,
        cluster: Cluster,
        node: int,
        rest: Rest,
        *,
        reconnect: bool,
        fill_gaps: bool,
    ) -> None:
        self.user = user
        self.urls = cluster.urls
        self.node = node
        self.rest = rest
        self.reconnect = reconnect
        self.fill_gaps = fill_gaps
        self._filling: set[int] = set()  # conversations whose gap is being fetched
        self.sio: socketio.AsyncClient | None = None
        self.all_sockets: list[socketio.AsyncClient] = []
        self.connected = asyncio.Event()
        self._gone = asyncio.Event()
        self.closing = False
        # What it received and holds.
        self.events: list[tuple[str, Any]] = []
        self.held: dict[int, dict[int, Json]] = {}
        self.change_seqs: dict[int, int] = {}
        self.acked: dict[str, Json] = {}
        # Counters of what happened to it.
        self.connects = 0
        self.disconnects = 0
        self.disconnect_reasons: list[str] = []
        self.resyncs_done = 0
        self.fetched = 0  # messages a resync brought that it did not hold
        self.gap_fetched = 0  # messages a gap fetch brought that it did not hold
        self.resync_times: list[tuple[float, float]] = []  # wall-clock start and end of each
        self.retries = 0
        self.unavailable_acks = 0
        self.errors: list[str] = []
        self._resync_task: asyncio.Task[None] | None = None
        self._resync_again = False
        self._tasks: set[asyncio.Task[None]] = set()

    def __repr__(self) -> str:
        gone = f", disconnected: {self.disconnect_reasons}" if self.disconnect_reasons else ""
        return f"<{self.user.username} (user {self.user.id}) on node {self.node}{gone}>"

    # connection -------------------------------------------------------------------------

    async def connect(self, *, resync: bool = False) -> None:
        """Open a socket to the current node (raises if the handshake is refused)."""
        sio = socketio.AsyncClient(reconnection=False)
        self.all_sockets.append(sio)
        gone = asyncio.Event()

        async def on_any(event: str, *args: Any) -> None:
            self._received(event, args[0] if len(args) == 1 else list(args))

        async def on_disconnect(*args: Any) -> None:
            gone.set()
            if self.sio is sio:
                self.connected.clear()
                self.disconnects += 1
                self.disconnect_reasons.append(str(args[0]) if args else "?")
                if self.reconnect and not self.closing:
                    self._spawn(self._reconnect())

        sio.on("*", on_any)
        sio.on("disconnect", on_disconnect)
        await sio.connect(
            self.urls[self.node],
            auth={"token": self.user.token},
            transports=["websocket"],
            wait_timeout=WAIT_SECONDS,
        )
        self.sio, self._gone = sio, gone
        self.connects += 1
        self.connected.set()
        if resync:
            self.request_resync()

    async def _reconnect(self) -> None:
        """Connect to the next node that accepts, then resync (after every reconnect)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WAIT_SECONDS
        while not self.closing:
            self.node = (self.node + 1) % len(self.urls)
            try:
                await self.connect(resync=True)
                return
            except socketio.exceptions.ConnectionError as exc:
                if loop.time() > deadline:
                    self.errors.append(f"could not reconnect: {exc!r}")
                    return
                await asyncio.sleep(0.2)

    async def close(self) -> None:
        """Disconnect for good and stop everything in the background."""
        self.closing = True
        for task in [*self._tasks, *([self._resync_task] if self._resync_task else [])]:
            task.cancel()
        for sio in self.all_sockets:
            await sio.disconnect()
            http = sio.eio.http
            if http is not None and not http.closed:
                await http.close()

    def _spawn(self, work: Any) -> None:
        task: asyncio.Task[None] = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # receiving ---------------------------------------------------------------------------

    def _received(self, event: str, data: Any) -> None:
        self.events.append((event, data))
        if event in {"message:new", "message:updated"}:
            message = data["message"]
            held = self.held.setdefault(message["conversation_id"], {})
            merge(held, message)
            if self.fill_gaps and message["seq"] > contiguous(held) + 1:
                self._fill_gap(message["conversation_id"])
        elif event == "resync":
            self.request_resync()

    def of(self, event: str, since: int = 0) -> list[Any]:
        """Payloads of ``event`` received (from the ``since``-th event on)."""
        return [data for name, data in self.events[since:] if name == event]

    def conversations_heard_of(self) -> set[int]:
        """Every conversation id any event it received was about."""
        found: set[int] = set()
        for _event, data in self.events:
            if not isinstance(data, dict):
                continue
            if "message" in data:
                found.add(data["message"]["conversation_id"])
            elif "conversation" in data:
                found.add(data["conversation"]["id"])
            elif "conversation_id" in data:
                found.add(data["conversation_id"])
        return found

    # resync (docs/protocol.md, "Delivery guarantees and resync") --------------------------

    def _fill_gap(self, conversation_id: int) -> None:
        if conversation_id not in self._filling and not self.closing:
            self._filling.add(conversation_id)
            self._spawn(self._fetch_gap(conversation_id))

    async def _fetch_gap(self, conversation_id: int) -> None:
        """A message arrived more than one seq past what it holds: fetch what is missing
        (after a moment: events from different nodes may simply arrive out of order)."""
        held = self.held[conversation_id]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WAIT_SECONDS
        try:
            await asyncio.sleep(GAP_GRACE_SECONDS)
            while contiguous(held) < max(held):
                try:
                    page = await self._get(
                        f"/api/conversations/{conversation_id}/messages",
                        after_seq=contiguous(held),
                        limit=200,
                    )
                except (httpx.HTTPError, RetryLater) as exc:
                    if loop.time() > deadline:
                        self.errors.append(f"gap fetch failed: {exc!r}")
                        return
                    await asyncio.sleep(0.3)
                    continue
                for message in page["messages"]:
                    self.gap_fetched += merge(held, message)
                if not page["has_more"]:
                    return
        finally:
            self._filling.discard(conversation_id)

    def request_resync(self) -> None:
        """Run the resync now, or once more after the one running."""
        if self._resync_task is not None and not self._resync_task.done():
            self._resync_again = True
            return
        self._resync_task = asyncio.create_task(self._resync_loop())

    @property
    def resyncing(self) -> bool:
        """Whether a resync (or a gap fetch) is running or asked for."""
        return bool(self._filling) or (
            self._resync_task is not None and not self._resync_task.done()
        )

    async def _resync_loop(self) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WAIT_SECONDS
        self._resync_again = True
        while self._resync_again:
            self._resync_again = False
            try:
                started = time.time()
                await self._resync_once()
                self.resync_times.append((started, time.time()))
                self.resyncs_done += 1
            except (httpx.HTTPError, RetryLater) as exc:  # node down or database down: retry
                if loop.time() > deadline:
                    self.errors.append(f"resync failed: {exc!r}")
                    return
                self._resync_again = True
                await asyncio.sleep(0.3)

    async def _get(self, path: str, **params: Any) -> Json:
        response = await self.rest.on(self.node).get(path, params=params, headers=self.user.headers)
        if response.status_code == 503:
            raise RetryLater(response.text)
        assert response.status_code == 200, f"{self}: GET {path}: {response.text}"
        body: Json = response.json()
        return body

    async def _resync_once(self) -> None:
        listing = await self._get("/api/conversations")
        for conversation in listing["conversations"]:
            cid = conversation["id"]
            held = self.held.setdefault(cid, {})
            after = contiguous(held)
            while conversation["last_seq"] > after:
                page = await self._get(
                    f"/api/conversations/{cid}/messages", after_seq=after, limit=200
                )
                for message in page["messages"]:
                    self.fetched += merge(held, message)
                after = contiguous(held)
                if not page["has_more"]:
                    break
            previous = self.change_seqs.get(cid, 0)
            while conversation["last_change_seq"] > previous:
                page = await self._get(
                    f"/api/conversations/{cid}/messages", changed_after=previous, limit=200
                )
                for message in page["messages"]:
                    merge(held, message)
                    previous = max(previous, message["change_seq"])
                if not page["has_more"]:
                    break
            self.change_seqs[cid] = conversation["last_change_seq"]

    # sending ----------------------------------------------------------------------------

    async def call(self, event: str, data: Any) -> Json:
        """Emit with an ack on the current socket; ``ConnectionLost`` if it closes first."""
        if not self.connected.is_set() or self.sio is None:
            raise ConnectionLost("not connected")
        sio, gone = self.sio, self._gone
        call = asyncio.ensure_future(sio.call(event, data, timeout=ACK_SECONDS))
        lost = asyncio.ensure_future(gone.wait())
        done, pending = await asyncio.wait({call, lost}, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        if call in done:
            ack: Json = call.result()
            return ack
        raise ConnectionLost("the socket closed before the ack")

    async def send(self, conversation_id: int, body: str, client_msg_id: str) -> Json:
        """``message:send`` until acked, retrying with the same ``client_msg_id`` after
        ``unavailable``, a timeout or a lost connection; the stored message."""
        payload = {"conversation_id": conversation_id, "client_msg_id": client_msg_id, "body": body}
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 2 * WAIT_SECONDS
        while True:
            if loop.time() > deadline:
                raise SendFailed(f"{self}: {client_msg_id} never acked")
            try:
                await asyncio.wait_for(self.connected.wait(), WAIT_SECONDS)
                ack = await self.call("message:send", payload)
            except (ConnectionLost, socketio.exceptions.SocketIOError, TimeoutError):
                self.retries += 1
                await asyncio.sleep(0.1)
                continue
            if ack.get("ok"):
                message: Json = ack["message"]
                self.acked[client_msg_id] = message
                merge(self.held.setdefault(conversation_id, {}), message)
                return message
            if ack["error"]["code"] == "unavailable":
                self.unavailable_acks += 1
                self.retries += 1
                await asyncio.sleep(0.2)
                continue
            raise SendFailed(f"{self}: {client_msg_id} refused: {ack}")


@dataclass
class ChatClients:
    """Makes chat clients; closes every one of them at the end."""

    cluster: Cluster
    rest: Rest
    made: list[ChatClient] = field(default_factory=list)

    async def open(
        self, user: RegisteredUser, node: int, *, reconnect: bool = False, fill_gaps: bool = False
    ) -> ChatClient:
        """A connected client of ``user`` on node ``node``; ``reconnect``: to another node
        when its own goes away; ``fill_gaps``: fetch the seqs missing below one received."""
        client = ChatClient(
            user, self.cluster, node, self.rest, reconnect=reconnect, fill_gaps=fill_gaps
        )
        self.made.append(client)
        await client.connect()
        return client

    async def open_many(
        self,
        placements: Iterable[tuple[RegisteredUser, int]],
        *,
        reconnect: bool = False,
        fill_gaps: bool = False,
        at_once: int = 20,
    ) -> list[ChatClient]:
        """Clients of ``(user, node)`` pairs, connected ``at_once`` at a time."""
        gate = asyncio.Semaphore(at_once)

        async def one(user: RegisteredUser, node: int) -> ChatClient:
            async with gate:
                return await self.open(user, node, reconnect=reconnect, fill_gaps=fill_gaps)

        return list(await asyncio.gather(*(one(user, node) for user, node in placements)))

    async def close_all(self) -> None:
        """Disconnect every client."""
        await asyncio.gather(*(client.close() for client in self.made))


@pytest.fixture
async def chat(cluster: Cluster, rest: Rest) -> AsyncIterator[ChatClients]:
    """Chat clients of the cluster's nodes, all closed in teardown."""
    clients = ChatClients(cluster, rest)
    try:
        yield clients
    finally:
        await clients.close_all()
