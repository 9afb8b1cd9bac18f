"""Message load inside one worker process: receivers that check what arrives, senders.

Every message body is ``"<stream> <n> <time_ns>"``: the sender's stream key, its
counter (1, 2, 3, ...) and the wall-clock time it was sent, so a receiver in any
process can tell a loss, a duplicate or a reordering, and the delivery latency,
for VaultRoom and the bare relay alike. On VaultRoom the conversation ``seq`` must
also only grow.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hist import Histogram
from wire import SioSocket, ack_arguments

_NEW = '42["message:new",'


@dataclass
class Stream:
    """What one receiving socket got of one sender's stream."""

    received: set[int] = field(default_factory=set)
    max_n: int = 0
    last_seq: int = 0
    waiting: tuple[int, asyncio.Future[None]] | None = None


class Receiver:
    """Reads ``message:new`` on one socket and keeps the score."""

    def __init__(self, socket: SioSocket, stats: ReceiveStats) -> None:
        self.socket = socket
        self.streams: dict[str, Stream] = {}
        self._stats = stats
        socket.on_event = self.on_event

    def stream(self, key: str) -> Stream:
        found = self.streams.get(key)
        if found is None:
            found = self.streams[key] = Stream()
        return found

    def wait_for(self, key: str, n: int) -> asyncio.Future[None]:
        """A future done when message ``n`` of ``key`` arrives on this socket."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.stream(key).waiting = (n, future)
        return future

    def on_event(self, packet: str) -> None:
        if not packet.startswith(_NEW):
            return  # presence, conversation:updated, ...: not measured
        now = time.time_ns()
        message = json.loads(packet[2:])[1]["message"]
        key, n_text, sent_text = message["body"].split(" ")
        stream, stats = self.streams.get(key), self._stats
        if stream is None:
            stats.stray += 1  # not this scenario's (a backlog of the previous one)
            return
        n, seq = int(n_text), message.get("seq")
        if n in stream.received:
            stats.duplicated += 1
            return
        stats.delivered += 1
        stats.latency.add_ns(now - int(sent_text))
        if n < stream.max_n or (seq is not None and seq <= stream.last_seq):
            stats.out_of_order += 1
        stream.received.add(n)
        stream.max_n = max(stream.max_n, n)
        if seq is not None:
            stream.last_seq = max(stream.last_seq, seq)
        waiting = stream.waiting
        if waiting is not None and waiting[0] == n:
            stream.waiting = None
            if not waiting[1].done():
                waiting[1].set_result(None)


@dataclass
class ReceiveStats:
    delivered: int = 0
    stray: int = 0
    duplicated: int = 0
    out_of_order: int = 0
    latency: Histogram = field(default_factory=Histogram)


@dataclass
class SendStats:
    sent: int = 0
    acked: dict[str, list[int]] = field(default_factory=dict)
    refused: Counter[str] = field(default_factory=Counter)
    ack_latency: Histogram = field(default_factory=Histogram)


@dataclass
class Sender:
    """One sending socket, its stream and the receiver that paces it (closed loop)."""

    socket: SioSocket
    key: str
    conversation_id: int | str
    pace: Receiver | None


def _payload(sender: Sender, n: int) -> dict[str, Any]:
    return {
        "conversation_id": sender.conversation_id,
        "client_msg_id": uuid.uuid4().hex,
        "body": f"{sender.key} {n} {time.time_ns()}",
    }


def _record_ack(stats: SendStats, key: str, n: int, started: int, raw: str) -> bool:
    stats.ack_latency.add_ns(time.perf_counter_ns() - started)
    ack = ack_arguments(raw)
    if isinstance(ack, dict) and ack.get("ok") is True:
        stats.acked.setdefault(key, []).append(n)
        return True
    error = ack.get("error", {}) if isinstance(ack, dict) else {}
    stats.refused[str(error.get("code", ack))] += 1
    return False


def _on_ack(
    stats: SendStats, key: str, n: int, started: int
) -> Callable[[asyncio.Future[str]], None]:
    def done(future: asyncio.Future[str]) -> None:
        if not future.cancelled() and future.exception() is None:
            _record_ack(stats, key, n, started, future.result())

    return done


async def closed_loop(sender: Sender, stats: SendStats, deadline: float, acks: bool) -> None:
    """One message in flight: the next is sent once the last is acked and delivered."""
    assert sender.pace is not None
    n = 0
    while time.monotonic() < deadline:
        n += 1
        delivered = sender.pace.wait_for(sender.key, n)
        started = time.perf_counter_ns()
        payload = _payload(sender, n)
        stats.sent += 1
        if acks:
            raw = await sender.socket.call("message:send", payload)
            if not _record_ack(stats, sender.key, n, started, raw):
                continue
        else:
            sender.socket.emit("message:send", payload)
            stats.acked.setdefault(sender.key, []).append(n)
        await delivered


async def open_loop(
    sender: Sender, stats: SendStats, deadline: float, acks: bool, rate: float
) -> None:
    """A fixed offered rate (messages per second), whatever the answers do."""
    interval = 1 / rate
    next_send = time.monotonic() + random.random() * interval
    pending: list[asyncio.Future[str]] = []
    n = 0
    while next_send < deadline:
        delay = next_send - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        n += 1
        payload = _payload(sender, n)
        stats.sent += 1
        if acks:
            future = sender.socket.call("message:send", payload)
            future.add_done_callback(_on_ack(stats, sender.key, n, time.perf_counter_ns()))
            pending.append(future)
        else:
            sender.socket.emit("message:send", payload)
            stats.acked.setdefault(sender.key, []).append(n)
        next_send += interval
    if pending:
        await asyncio.wait(pending)


async def settle(receivers: list[Receiver], acked: dict[str, list[int]], wait: float) -> int:
    """Wait (bounded) until every receiver holds every acked message it expects; the lost."""

    def missing() -> int:
        total = 0
        for receiver in receivers:
            for key, stream in receiver.streams.items():
                total += sum(1 for n in acked.get(key, ()) if n not in stream.received)
        return total

    deadline = time.monotonic() + wait
    lost = missing()
    while lost and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        lost = missing()
    return lost
