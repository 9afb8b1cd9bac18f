"""``vaultroom serve --workers N``: refused without Redis; with it, the worker processes are
nodes of one cluster, and a message reaches its recipients whichever worker holds them."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
import socketio

from tests.factories import RegisteredUser, UserFactory
from tests.integration.shared_state.conftest import WAIT_SECONDS, wait_until
from tests.servers import CLEAN_EXITS, Node, Nodes, base_env, free_ports

COMMAND_TIMEOUT_SECONDS = 120
# Sockets of one user opened until two of them are held by different workers (a bound:
# an idle worker tends to accept every connection; opening several at once spreads them).
MAX_SOCKETS = 60
SOCKETS_AT_ONCE = 4
Json = dict[str, Any]


def start_serve(nodes: Nodes, *args: str, port: int, cwd: Path, env: dict[str, str]) -> Node:
    """``python -m vaultroom serve ARGS`` on ``port``, stopped with the other ``nodes``."""
    log = nodes.log_dir / f"serve-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and fixed arguments
            [sys.executable, "-m", "vaultroom", "serve", *args],
            cwd=cwd,
            env={**env, "VAULTROOM_PORT": str(port)},
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    node = Node(process=process, url=f"http://127.0.0.1:{port}", log=log)
    nodes.started.append(node)
    return node


@pytest.mark.parametrize("redis_url", [None, ""], ids=["unset", "empty"])
def test_several_workers_are_refused_without_redis(
    tmp_path: Path, nodes: Nodes, redis_url: str | None
) -> None:
    variables = {"VAULTROOM_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'vaultroom.db'}"}
    if redis_url is not None:
        variables["VAULTROOM_REDIS_URL"] = redis_url
    (port,) = free_ports(1)
    server = start_serve(
        nodes, "--workers", "2", port=port, cwd=tmp_path, env=base_env(**variables)
    )

    # It must exit; if it serves instead, its workers are separate single nodes.
    deadline = time.monotonic() + COMMAND_TIMEOUT_SECONDS
    while server.process.poll() is None:
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{server.url}/healthz", timeout=1).status_code == 200:
                pytest.fail(f"serve --workers 2 started without Redis:\n{server.output()}")
        assert time.monotonic() < deadline, "serve neither exited nor served"
        time.sleep(0.1)

    assert server.process.returncode == 2, server.output()
    assert "--workers needs VAULTROOM_REDIS_URL" in server.output()
    assert "Traceback" not in server.output()


def test_zero_workers_is_a_usage_error(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "vaultroom", "serve", "--workers", "0"],
        cwd=tmp_path,
        env=base_env(VAULTROOM_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'v.db'}"),
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT_SECONDS,
        check=False,
    )
    assert result.returncode == 2
    assert "--workers must be at least 1" in result.stderr


class Recorder:
    """A Socket.IO client of a user and the ``message:new`` it received."""

    def __init__(self, user: RegisteredUser) -> None:
        self.user = user
        self.client = socketio.AsyncClient(reconnection=False)
        self.messages: list[Json] = []

        async def on_message(data: Json) -> None:
            self.messages.append(data["message"])

        self.client.on("message:new", on_message)

    def got(self, message_id: int) -> bool:
        """Whether this socket received the message."""
        return any(message["id"] == message_id for message in self.messages)


@pytest.fixture
async def recorders() -> AsyncIterator[list[Recorder]]:
    """Socket clients, all disconnected at the end."""
    made: list[Recorder] = []
    try:
        yield made
    finally:
        for recorder in made:
            await recorder.client.disconnect()


async def every_socket_got(sockets: list[Recorder], message_id: int) -> None:
    """Wait until each socket received the message."""
    for recorder in sockets:
        await wait_until(
            lambda: recorder.got(message_id),  # noqa: B023 - awaited before the next iteration
            f"a socket of {recorder.user.username} received message {message_id}",
        )


def holders(redis_url: str, prefix: str, user_id: int) -> set[str]:
    """The nodes that hold the user's sockets, as the cluster's presence map says."""
    with redis.Redis.from_url(redis_url, socket_timeout=5) as r:
        return {node.decode() for node in r.smembers(f"{prefix}user:{user_id}:nodes")}


def live_nodes(redis_url: str, prefix: str) -> int:
    """How many nodes are registered in the cluster."""
    with redis.Redis.from_url(redis_url, socket_timeout=5) as r:
        return int(r.zcard(f"{prefix}nodes"))


async def test_the_workers_of_one_serve_are_one_cluster(
    tmp_path: Path, nodes: Nodes, redis_url: str, prefix: str, recorders: list[Recorder]
) -> None:
    (port,) = free_ports(1)
    env = base_env(
        VAULTROOM_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'vaultroom.db'}",
        VAULTROOM_REDIS_URL=redis_url,
        VAULTROOM_REDIS_PREFIX=prefix,
        VAULTROOM_SEND_RATE_LIMIT="1000/second",
        VAULTROOM_PRESENCE_GRACE_SECONDS="0",
        VAULTROOM_WEB_DIR=str(tmp_path / "web"),
    )
    server = start_serve(nodes, "--workers", "2", port=port, cwd=tmp_path, env=env)
    try:
        await asyncio.to_thread(server.wait_ready)
        # Both workers registered as nodes (so each one's sockets can be reached).
        await wait_until(lambda: live_nodes(redis_url, prefix) == 2, "two nodes registered")

        async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
            users = UserFactory(http)
            alice, bob = await users.create(), await users.create()
            response = await http.post(
                "/api/conversations/direct", json={"user_id": bob.id}, headers=alice.headers
            )
            assert response.status_code in {200, 201}, response.text
            conversation_id: int = response.json()["id"]

        async def connect(user: RegisteredUser) -> Recorder:
            recorder = Recorder(user)
            recorders.append(recorder)
            await recorder.client.connect(
                server.url,
                auth={"token": user.token},
                transports=["websocket"],
                wait_timeout=WAIT_SECONDS,
            )
            return recorder

        bob_sockets = [await connect(bob)]
        alice_sockets: list[Recorder] = []
        # Open Alice's sockets until some land on a worker that does not hold Bob's.
        while not holders(redis_url, prefix, alice.id) - holders(redis_url, prefix, bob.id):
            assert len(alice_sockets) < MAX_SOCKETS, "every socket landed on the same worker"
            alice_sockets += await asyncio.gather(*(connect(alice) for _ in range(SOCKETS_AT_ONCE)))

        # Each of Alice's sockets sends; the message reaches Bob and Alice's other sockets
        # (not the sender: it has the message in its ack).
        for number, sender in enumerate(alice_sockets):
            ack = await sender.client.call(
                "message:send",
                {
                    "conversation_id": conversation_id,
                    "client_msg_id": uuid.uuid4().hex,
                    "body": f"hello {number}",
                },
                timeout=WAIT_SECONDS,
            )
            assert ack["ok"] is True, ack
            others = [r for r in bob_sockets + alice_sockets if r is not sender]
            await every_socket_got(others, ack["message"]["id"])
        # And back: Bob's message reaches every socket of Alice's, on both workers.
        ack = await bob_sockets[0].client.call(
            "message:send",
            {"conversation_id": conversation_id, "client_msg_id": "reply", "body": "hi"},
            timeout=WAIT_SECONDS,
        )
        assert ack["ok"] is True, ack
        await every_socket_got(alice_sockets, ack["message"]["id"])
        # Nothing twice.
        for recorder in bob_sockets + alice_sockets:
            ids = [message["id"] for message in recorder.messages]
            assert len(ids) == len(set(ids)), recorder.user.username
    finally:
        for recorder in recorders:
            await recorder.client.disconnect()
        status = await asyncio.to_thread(server.stop)

    assert status in CLEAN_EXITS, server.output()
    # The workers left the cluster as they stopped.
    assert live_nodes(redis_url, prefix) == 0
    assert holders(redis_url, prefix, alice.id) == set()
