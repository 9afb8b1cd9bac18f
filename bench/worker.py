"""A load-generating worker process: one event loop, commands from the coordinator on a pipe.

Each command is ``(name, arguments)`` and is answered with one picklable dict
(``{"error": ...}`` when it failed). The worker keeps its open sockets between
``open``, ``run``, ``verify`` and ``close``, so the coordinator can start every
worker's measured window at the same moment.
"""

from __future__ import annotations

import asyncio
import time
import traceback
import uuid
from multiprocessing.connection import Connection
from typing import Any

import rest_load
import wire
from chat_load import Receiver, ReceiveStats, Sender, SendStats, closed_loop, open_loop, settle

from servers import raise_nofile

CONNECT_CONCURRENCY = 50
CONNECT_ATTEMPTS = 5


class Worker:
    def __init__(self, conn: Connection, host: str, port: int) -> None:
        self.conn = conn
        self.host, self.port = host, port
        self.base_url = f"http://{host}:{port}"
        self.sockets: list[wire.SioSocket] = []
        self.receivers: list[Receiver] = []
        self.senders: list[Sender] = []
        self.receive_stats = ReceiveStats()
        self.send_stats = SendStats()
        self.connect_retries = 0

    async def serve(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            name, arguments = await loop.run_in_executor(None, self.conn.recv)
            if name == "exit":
                await self.do_close()
                return
            try:
                result = await getattr(self, f"do_{name}")(**arguments)
            except Exception:
                result = {"error": traceback.format_exc()}
            self.conn.send(result)

    # -- sockets ------------------------------------------------------------------------
    async def _connect_all(self, specs: list[dict[str, Any]]) -> list[wire.SioSocket | str]:
        async def one(spec: dict[str, Any]) -> wire.SioSocket | str:
            for attempt in range(CONNECT_ATTEMPTS):
                try:
                    sock = await wire.connect(self.host, self.port, spec["auth"])
                    if spec.get("watch") is not None:
                        # As the web app does right after connecting (docs/protocol.md).
                        await sock.call("presence:watch", {"user_ids": spec["watch"]})
                    return sock
                except wire.ConnectRefused as exc:
                    # "unavailable" is retryable (docs/protocol.md): retry as a client would.
                    if "unavailable" not in str(exc) or attempt == CONNECT_ATTEMPTS - 1:
                        return f"{type(exc).__name__}: {exc}"
                    self.connect_retries += 1
                    await asyncio.sleep(1 + attempt)
                except (OSError, TimeoutError, ConnectionError) as exc:
                    return f"{type(exc).__name__}: {exc}"
            return "unreachable"

        return await rest_load.bounded(CONNECT_CONCURRENCY, specs, one)

    async def do_open(
        self, sockets: list[dict[str, Any]], senders: list[dict[str, Any]]
    ) -> dict[str, Any]:
        """Connect ``sockets`` (``{auth, expect}``); ``senders`` name a socket and a pacer."""
        results = await self._connect_all(sockets)
        failures = [r for r in results if isinstance(r, str)]
        if failures:
            for result in results:
                if isinstance(result, wire.SioSocket):
                    result.close()
            return {"error": f"{len(failures)} connections failed, first: {failures[0]}"}
        self.sockets = [r for r in results if isinstance(r, wire.SioSocket)]
        self.receive_stats, self.send_stats = ReceiveStats(), SendStats()
        by_socket: dict[int, Receiver] = {}
        for index, spec in enumerate(sockets):
            if spec.get("expect") is not None:
                receiver = Receiver(self.sockets[index], self.receive_stats)
                receiver.stream(spec["expect"])
                by_socket[index] = receiver
        self.receivers = list(by_socket.values())
        self.senders = [
            Sender(
                self.sockets[spec["socket"]],
                spec["key"],
                spec["conversation_id"],
                by_socket.get(spec["pace"]) if spec.get("pace") is not None else None,
            )
            for spec in senders
        ]
        retries, self.connect_retries = self.connect_retries, 0
        return {"open": len(self.sockets), "connect_retries": retries}

    async def do_run(self, duration: float, acks: bool, rate: float | None) -> dict[str, Any]:
        """Every sender sends until ``duration`` is over; closed loop, or ``rate`` per sender."""
        cpu, started = time.process_time(), time.monotonic()
        deadline = started + duration
        stats = self.send_stats
        if rate is None:
            tasks = [closed_loop(s, stats, deadline, acks) for s in self.senders]
        else:
            tasks = [open_loop(s, stats, deadline, acks, rate) for s in self.senders]
        running = [asyncio.ensure_future(task) for task in tasks]
        stuck = 0
        if running:
            _done, pending = await asyncio.wait(running, timeout=duration + 15)
            stuck = len(pending)
            for task in pending:
                task.cancel()
        return {
            "seconds": time.monotonic() - started,
            "client_cpu": time.process_time() - cpu,
            "sent": stats.sent,
            "acked": stats.acked,
            "refused": dict(stats.refused),
            "stuck_senders": stuck,
            "ack_latency": dict(stats.ack_latency.counts),
        }

    async def do_verify(self, acked: dict[str, list[int]], wait: float) -> dict[str, Any]:
        lost = await settle(self.receivers, acked, wait)
        stats = self.receive_stats
        return {
            "lost": lost,
            "delivered": stats.delivered,
            "stray": stats.stray,
            "duplicated": stats.duplicated,
            "out_of_order": stats.out_of_order,
            "delivery_latency": dict(stats.latency.counts),
        }

    async def do_alive(self) -> dict[str, Any]:
        return {"alive": sum(1 for s in self.sockets if not s.closed.done())}

    async def do_close(self) -> dict[str, Any]:
        for sock in self.sockets:
            sock.close()
        if self.sockets:
            await asyncio.wait([s.closed for s in self.sockets], timeout=10)
        closed = len(self.sockets)
        self.sockets, self.receivers, self.senders = [], [], []
        return {"closed": closed}

    # -- REST ---------------------------------------------------------------------------
    async def do_register(self, usernames: list[str], concurrency: int) -> dict[str, Any]:
        async with rest_load.http_session(self.base_url, concurrency) as http:
            users = await rest_load.bounded(
                concurrency, usernames, lambda name: rest_load.register(http, name)
            )
            return {"users": users}

    async def do_direct(self, pairs: list[tuple[str, int]], concurrency: int) -> dict[str, Any]:
        """A direct conversation per ``(sender token, receiver id)``, ids in order."""
        async with rest_load.http_session(self.base_url, concurrency) as http:
            ids = await rest_load.bounded(
                concurrency, pairs, lambda pair: rest_load.direct(http, *pair)
            )
            return {"ids": ids}

    async def do_group(self, token: str, title: str, members: list[int]) -> dict[str, Any]:
        async with rest_load.http_session(self.base_url, 1) as http:
            return {"id": await rest_load.group(http, token, title, members)}

    async def do_seed(self, targets: list[dict[str, Any]], depth: int) -> dict[str, Any]:
        """Send messages until each target conversation holds ``depth``; their last seqs."""
        async with rest_load.http_session(self.base_url, 8) as http:
            seqs = [
                await rest_load.last_seq(http, t["token"], t["conversation_id"]) for t in targets
            ]
        for target, seq in zip(targets, seqs, strict=True):
            missing = depth - seq
            if missing <= 0:
                continue
            sock = await wire.connect(self.host, self.port, {"token": target["token"]})
            for start in range(0, missing, 100):
                batch = [
                    sock.call(
                        "message:send",
                        {
                            "conversation_id": target["conversation_id"],
                            "client_msg_id": uuid.uuid4().hex,
                            "body": f"history {start + i}",
                        },
                    )
                    for i in range(min(100, missing - start))
                ]
                await asyncio.gather(*batch)
            sock.close()
        async with rest_load.http_session(self.base_url, 8) as http:
            seqs = [
                await rest_load.last_seq(http, t["token"], t["conversation_id"]) for t in targets
            ]
        return {"last_seqs": seqs}

    async def do_history(
        self, targets: list[dict[str, Any]], kind: str, duration: float, concurrency: int
    ) -> dict[str, Any]:
        async with rest_load.http_session(self.base_url, concurrency) as http:
            request = rest_load.history_request(http, targets, kind)
            return await self._timed(duration, concurrency, request)

    async def do_logins(
        self, usernames: list[str], duration: float, concurrency: int
    ) -> dict[str, Any]:
        async with rest_load.http_session(self.base_url, concurrency) as http:
            request = rest_load.login_request(http, usernames)
            return await self._timed(duration, concurrency, request)

    async def _timed(self, duration: float, concurrency: int, request: Any) -> dict[str, Any]:
        cpu = time.process_time()
        result = await rest_load.timed_load(duration, concurrency, request)
        result["client_cpu"] = time.process_time() - cpu
        return result


def worker_main(conn: Connection, host: str, port: int) -> None:
    """The entry point of a worker process."""
    raise_nofile()
    worker = Worker(conn, host, port)
    try:
        import uvloop
    except ImportError:
        asyncio.run(worker.serve())
        return
    uvloop.run(worker.serve())
