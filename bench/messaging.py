"""Messaging throughput of one node: concurrent pairs chatting over Socket.IO.

Starts a real ``vaultroom serve`` process on a fresh database (SQLite by default,
``--database-url`` for PostgreSQL), registers ``--pairs`` pairs of users, gives each
pair a direct conversation, and has one side of every pair send ``--messages``
messages in a row (each waits for its ack) while the other side receives them.
Prints messages per second (delivered to the recipient), ack latency percentiles,
and checks that every recipient got every message exactly once, in seq order.

    .venv/bin/python bench/messaging.py --pairs 100 --messages 50
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import socketio

PASSWORD = "a long and unusual passphrase"  # noqa: S105 - throwaway bench accounts


def start_server(
    database_url: str, port: int, workdir: Path, **settings: str
) -> subprocess.Popen[bytes]:
    """``vaultroom serve`` with bench settings plus ``settings`` (VAULTROOM_* names)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VAULTROOM_")}
    env.update(
        VAULTROOM_DATABASE_URL=database_url,
        VAULTROOM_PORT=str(port),
        VAULTROOM_SEND_RATE_LIMIT="1000000/second",
        VAULTROOM_LOG_LEVEL="warning",
        **settings,
    )
    log = (workdir / f"serve-{port}.log").open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "vaultroom", "serve"],
        cwd=workdir,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


async def wait_ready(url: str) -> None:
    async with httpx.AsyncClient(base_url=url) as http:
        for _ in range(300):
            try:
                if (await http.get("/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise SystemExit("server never became ready")


async def register(http: httpx.AsyncClient, prefix: str) -> tuple[int, str]:
    name = f"{prefix}{uuid.uuid4().hex[:10]}"
    response = await http.post(
        "/api/auth/register",
        json={"username": name, "email": f"{name}@example.com", "password": PASSWORD},
    )
    response.raise_for_status()
    http.cookies.clear()
    data = response.json()
    return data["user"]["id"], data["token"]


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def run(
    url: str,
    pairs: int,
    messages: int,
    server_pids: list[int],
    receiver_url: str | None = None,
) -> dict[str, object]:
    """Senders connect to ``url``, receivers to ``receiver_url`` (default: the same node)."""
    receiver_url = receiver_url or url
    limits = httpx.Limits(max_connections=20)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as http:
        senders = await asyncio.gather(*(register(http, "s") for _ in range(pairs)))
        receivers = await asyncio.gather(*(register(http, "r") for _ in range(pairs)))
        conversations = []
        for (_sid, token), (rid, _rtoken) in zip(senders, receivers, strict=True):
            response = await http.post(
                "/api/conversations/direct",
                json={"user_id": rid},
                headers={"Authorization": f"Bearer {token}"},
            )
            response.raise_for_status()
            conversations.append(response.json()["id"])

    received: list[list[int]] = [[] for _ in range(pairs)]
    done = asyncio.Event()
    expected = pairs * messages
    count = 0

    def on_new(index: int) -> Callable[[dict[str, dict[str, int]]], None]:
        def handler(data: dict[str, dict[str, int]]) -> None:
            nonlocal count
            received[index].append(data["message"]["seq"])
            count += 1
            if count == expected:
                done.set()

        return handler

    clients = []
    for index, (_rid, token) in enumerate(receivers):
        client = socketio.AsyncClient()
        client.on("message:new", on_new(index))
        await client.connect(receiver_url, auth={"token": token}, transports=["websocket"])
        clients.append(client)
    sending = []
    for _sid, token in senders:
        client = socketio.AsyncClient()
        await client.connect(url, auth={"token": token}, transports=["websocket"])
        sending.append(client)

    latencies: list[float] = []

    async def send_all(client: socketio.AsyncClient, conversation_id: int) -> None:
        for i in range(messages):
            started = time.perf_counter()
            ack = await client.call(
                "message:send",
                {
                    "conversation_id": conversation_id,
                    "client_msg_id": uuid.uuid4().hex,
                    "body": f"message {i}",
                },
                timeout=60,
            )
            latencies.append(time.perf_counter() - started)
            if not ack["ok"]:
                raise SystemExit(f"send refused: {ack}")

    started = time.perf_counter()
    node_cpu, client_cpu = [cpu_seconds(pid) for pid in server_pids], time.process_time()
    await asyncio.gather(*(send_all(c, cid) for c, cid in zip(sending, conversations, strict=True)))
    await asyncio.wait_for(done.wait(), timeout=120)
    elapsed = time.perf_counter() - started
    node_cpu = [
        cpu_seconds(pid) - before for pid, before in zip(server_pids, node_cpu, strict=True)
    ]
    client_cpu = time.process_time() - client_cpu
    for client in clients + sending:
        await client.disconnect()

    in_order = all(seqs == list(range(1, messages + 1)) for seqs in received)
    latencies.sort()
    return {
        "pairs": pairs,
        "messages": expected,
        "seconds": round(elapsed, 2),
        "delivered_per_second": round(expected / elapsed),
        "ack_ms_p50": round(statistics.median(latencies) * 1000, 1),
        "ack_ms_p99": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 1),
        "exactly_once_in_order": in_order,
        # Where the time went: the server's and this load generator's CPU (2 cores shared).
        "server_cpu_ms_per_message": round(sum(node_cpu) * 1000 / expected, 3),
        "server_cpu_ms_per_message_by_node": [round(cpu * 1000 / expected, 3) for cpu in node_cpu],
        "client_cpu_ms_per_message": round(client_cpu * 1000 / expected, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=100)
    parser.add_argument("--messages", type=int, default=50)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        url = args.database_url or f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
        server = start_server(url, args.port, workdir)
        try:
            asyncio.run(wait_ready(f"http://127.0.0.1:{args.port}"))
            result = asyncio.run(
                run(f"http://127.0.0.1:{args.port}", args.pairs, args.messages, [server.pid])
            )
        finally:
            server.terminate()
            server.wait(timeout=30)
    result["database"] = url.split(":", 1)[0]
    print(json.dumps(result))


if __name__ == "__main__":
    main()
