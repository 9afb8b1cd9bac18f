"""The scenarios: what the workers are told to do, and the figures drawn from their answers.

Every scenario returns one flat dict of figures (a row of the table). Message scenarios
count every message: sent, acked (sent, on the relay, which acks nothing), delivered
to each receiving socket, lost (acked but never delivered), duplicated and out of
order; and measure ack and delivery latency, throughput, and the server's CPU and RSS.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from hist import Histogram
from pool import WorkerPool, split

from servers import PRESENCE_GRACE_SECONDS, Server, machine_busy_seconds


@dataclass
class Context:
    """One server under test, its workers, its users and conversations."""

    server: Server
    pool: WorkerPool
    duration: float
    drain: float
    users: list[dict[str, Any]] = field(default_factory=list)  # {id, token, username}
    directs: list[int] = field(default_factory=list)  # the conversation of pair i
    groups: dict[int, int] = field(default_factory=dict)  # size -> conversation id
    closed_at: float = 0.0

    def auth(self, user: int, rooms: list[int | str]) -> dict[str, Any]:
        """The handshake auth of a socket of user ``user`` (the relay: the rooms to join)."""
        if self.server.kind == "relay":
            return {"rooms": rooms}
        return {"token": self.users[user]["token"]}

    def pair_conversation(self, pair: int) -> int | str:
        return self.directs[pair] if self.server.kind == "vaultroom" else f"p{pair}"

    def group_conversation(self, size: int) -> int | str:
        return self.groups[size] if self.server.kind == "vaultroom" else f"g{size}"

    def before_window(self) -> bool:
        """Let the last scenario's presence changes pass and the server go quiet (bounded)."""
        if self.server.kind == "vaultroom":
            wait = self.closed_at + PRESENCE_GRACE_SECONDS + 0.5 - time.monotonic()
            if wait > 0:
                time.sleep(wait)
        return self.server.wait_quiet(timeout=60)


# The share of a core that counts as quiet grows by this per open connection.
IDLE_CPU_PER_CONNECTION = 3e-5


def _plans(workers: int) -> list[dict[str, list[dict[str, Any]]]]:
    return [{"sockets": [], "senders": []} for _ in range(workers)]


def _add_sender(
    plan: dict[str, list[dict[str, Any]]],
    auth: dict[str, Any],
    key: str,
    conversation: int | str,
    pace_auth: dict[str, Any],
) -> None:
    """A sending socket and the socket (of the recipient, or another tab) that paces it."""
    sockets = plan["sockets"]
    sockets.append({"auth": auth, "expect": None})
    sockets.append({"auth": pace_auth, "expect": key})
    plan["senders"].append(
        {
            "socket": len(sockets) - 2,
            "pace": len(sockets) - 1,
            "key": key,
            "conversation_id": conversation,
        }
    )


def pairs_plans(ctx: Context, pairs: int) -> list[dict[str, list[dict[str, Any]]]]:
    """Pair ``i`` is users ``2i`` (sender) and ``2i + 1``, both sockets in one worker."""
    plans = _plans(ctx.pool.size)
    for pair in range(pairs):
        conversation = ctx.pair_conversation(pair)
        _add_sender(
            plans[pair % ctx.pool.size],
            ctx.auth(2 * pair, []),
            f"p{pair}",
            conversation,
            ctx.auth(2 * pair + 1, [conversation]),
        )
    return plans


def group_plans(ctx: Context, size: int) -> list[dict[str, list[dict[str, Any]]]]:
    """User 0 sends (and paces on its second socket); users 1..size-1 receive, spread out."""
    plans = _plans(ctx.pool.size)
    conversation, key = ctx.group_conversation(size), f"g{size}"
    _add_sender(plans[0], ctx.auth(0, []), key, conversation, ctx.auth(0, [conversation]))
    for user in range(1, size):
        plans[user % ctx.pool.size]["sockets"].append(
            {"auth": ctx.auth(user, [conversation]), "expect": key}
        )
    return plans


def _merge_acked(runs: list[dict[str, Any]]) -> dict[str, list[int]]:
    acked: dict[str, list[int]] = {}
    for run in runs:
        for key, numbers in run["acked"].items():
            acked.setdefault(key, []).extend(numbers)
    return acked


def _histogram(answers: list[dict[str, Any]], name: str) -> Histogram:
    merged = Histogram()
    for answer in answers:
        merged.merge(Histogram(answer[name]))
    return merged


def _prefixed(prefix: str, histogram: Histogram) -> dict[str, float | None]:
    return {f"{prefix}_{k}": v for k, v in histogram.summary().items()}


def run_messages(
    ctx: Context,
    name: str,
    plans: list[dict[str, list[dict[str, Any]]]],
    rate: float | None = None,
) -> dict[str, Any]:
    """Open the plans' sockets, run the senders for ``ctx.duration``, verify, close."""
    pool, server = ctx.pool, ctx.server
    senders = sum(len(plan["senders"]) for plan in plans)
    if server.kind == "vaultroom":
        # Like the web app, which watches only the people it shows: these runs measure
        # messages, so their sockets watch nobody's presence (the idle run measures it).
        for plan in plans:
            for spec in plan["sockets"]:
                spec.setdefault("watch", [])
    connect_started = time.monotonic()
    opened = pool.each("open", plans)
    connect_seconds = time.monotonic() - connect_started
    quiet = ctx.before_window()
    cpu, busy = server.cpu(), machine_busy_seconds()
    per_sender = rate / senders if rate else None
    runs = pool.all("run", duration=ctx.duration, acks=server.acks, rate=per_sender)
    cpu, busy = server.cpu() - cpu, machine_busy_seconds() - busy
    acked = _merge_acked(runs)
    checks = pool.all("verify", acked=acked, wait=ctx.drain)
    rss = server.rss()
    pool.all("close")
    ctx.closed_at = time.monotonic()

    seconds = max(run["seconds"] for run in runs)
    acked_count = sum(len(numbers) for numbers in acked.values())
    delivered = sum(check["delivered"] for check in checks)
    refused: dict[str, int] = {}
    for run in runs:
        for code, count in run["refused"].items():
            refused[code] = refused.get(code, 0) + count
    result: dict[str, Any] = {
        "scenario": name,
        "senders": senders,
        "sockets": sum(len(plan["sockets"]) for plan in plans),
        "connect_seconds": round(connect_seconds, 2),
        "quiet_at_start": quiet,
        "connect_retries": sum(answer["connect_retries"] for answer in opened),
        "offered_rate": round(rate) if rate else None,
        "seconds": round(seconds, 2),
        "sent": sum(run["sent"] for run in runs),
        "acked": acked_count,
        "refused": refused,
        "delivered": delivered,
        "stray": sum(check["stray"] for check in checks),
        "lost": sum(check["lost"] for check in checks),
        "duplicated": sum(check["duplicated"] for check in checks),
        "out_of_order": sum(check["out_of_order"] for check in checks),
        "stuck_senders": sum(run["stuck_senders"] for run in runs),
        "messages_per_second": round(acked_count / seconds, 1),
        "deliveries_per_second": round(delivered / seconds, 1),
    }
    if server.acks:
        result.update(_prefixed("ack", _histogram(runs, "ack_latency")))
    result.update(_prefixed("delivery", _histogram(checks, "delivery_latency")))
    result.update(
        server_cpu_seconds=round(cpu, 2),
        server_cpu_ms_per_message=round(cpu * 1000 / acked_count, 3) if acked_count else None,
        server_cpu_share=round(cpu / seconds, 2),
        server_rss_mb=round(rss / 2**20, 1),
        client_cpu_share=round(sum(run["client_cpu"] for run in runs) / seconds, 2),
        # Everything else the machine ran meanwhile (other people's work on shared cores):
        other_cpu_share=round((busy - cpu - sum(run["client_cpu"] for run in runs)) / seconds, 2),
    )
    return result


def idle(
    ctx: Context, connections: int, distinct_users: int, seconds: float, watch: int = -1
) -> dict[str, Any]:
    """Open ``connections`` sockets (users round-robin), then watch the idle server.

    ``watch`` >= 0: each socket watches the presence of that many other users (the
    next ones by index), as the web app watches the people it shows; -1: none
    watches, so every socket hears of every user (the protocol's default)."""
    pool, server = ctx.pool, ctx.server
    ctx.before_window()
    rss_before = server.rss()
    users = max(1, distinct_users)

    def watched(i: int) -> list[int] | None:
        if watch < 0:
            return None
        return [ctx.users[(i + k) % users]["id"] for k in range(1, min(watch, users - 1) + 1)]

    auths = [
        {"auth": ctx.auth(i % users, []), "expect": None, "watch": watched(i)}
        for i in range(connections)
    ]
    cpu_before_connect = server.cpu()
    started = time.monotonic()
    opened = pool.each(
        "open", [{"sockets": part, "senders": []} for part in split(auths, pool.size)]
    )
    connect_seconds = time.monotonic() - started
    # Quiet: the storm is over. Open sockets cost some CPU even idle (pings), so the
    # bar rises with their number (5,000 VaultRoom sockets took 0.11 of a core).
    server.wait_quiet(below=0.05 + IDLE_CPU_PER_CONNECTION * connections, timeout=120)
    settled_seconds = time.monotonic() - started
    rss_after = server.rss()
    cpu = server.cpu()
    connect_cpu = cpu - cpu_before_connect  # handshakes and the presence they announce
    time.sleep(seconds)
    cpu = server.cpu() - cpu
    alive = sum(answer["alive"] for answer in pool.all("alive"))
    pool.all("close")
    ctx.closed_at = time.monotonic()
    return {
        "scenario": f"idle-{connections}",
        "connections": connections,
        "distinct_users": users,
        "watching": watch,
        "alive_after_idle": alive,
        "lost": connections - alive,
        "connect_seconds": round(connect_seconds, 2),
        "connect_retries": sum(answer["connect_retries"] for answer in opened),
        "connections_per_second": round(connections / connect_seconds, 1),
        "settled_seconds": round(settled_seconds, 2),
        "server_cpu_ms_per_connection": round(connect_cpu * 1000 / connections, 2),
        "server_rss_before_mb": round(rss_before / 2**20, 1),
        "server_rss_mb": round(rss_after / 2**20, 1),
        "rss_kb_per_connection": round((rss_after - rss_before) / 1024 / connections, 1),
        "idle_server_cpu_share": round(cpu / seconds, 3),
    }


def _timed_result(
    ctx: Context, name: str, unit: str, answers: list[dict[str, Any]], cpu: float
) -> dict[str, Any]:
    seconds = max(answer["seconds"] for answer in answers)
    done = sum(answer["done"] for answer in answers)
    errors: dict[str, int] = {}
    for answer in answers:
        for kind, count in answer["errors"].items():
            errors[kind] = errors.get(kind, 0) + count
    return {
        "scenario": name,
        "seconds": round(seconds, 2),
        unit: done,
        "errors": errors,
        f"{unit}_per_second": round(done / seconds, 1),
        **_prefixed("latency", _histogram(answers, "latency")),
        "server_cpu_ms_per_request": round(cpu * 1000 / done, 3) if done else None,
        "server_cpu_share": round(cpu / seconds, 2),
        "server_rss_mb": round(ctx.server.rss() / 2**20, 1),
        "client_cpu_share": round(sum(a["client_cpu"] for a in answers) / seconds, 2),
    }


def history(
    ctx: Context, kind: str, conversations: int, depth: int, concurrency: int
) -> dict[str, Any]:
    """Page reads (``latest`` or ``scrollback``) of the first pairs' conversations."""
    pool = ctx.pool
    targets = [
        {"token": ctx.users[2 * pair]["token"], "conversation_id": ctx.directs[pair]}
        for pair in range(conversations)
    ]
    parts = split(targets, pool.size)
    seeded = pool.each("seed", [{"targets": part, "depth": depth} for part in parts])
    for part, answer in zip(parts, seeded, strict=False):
        for target, seq in zip(part, answer["last_seqs"], strict=True):
            target["last_seq"] = seq
    ctx.before_window()
    cpu = ctx.server.cpu()
    answers = pool.all(
        "history",
        targets=targets,
        kind=kind,
        duration=ctx.duration,
        concurrency=max(1, concurrency // pool.size),
    )
    cpu = ctx.server.cpu() - cpu
    return _timed_result(ctx, f"history-{kind}", "reads", answers, cpu)


def sign_ins(ctx: Context, concurrency: int) -> dict[str, Any]:
    """``POST /api/auth/login`` as fast as it answers (argon2-bound)."""
    usernames = [user["username"] for user in ctx.users[:200]]
    ctx.before_window()
    cpu = ctx.server.cpu()
    answers = ctx.pool.all(
        "logins",
        usernames=usernames,
        duration=ctx.duration,
        concurrency=max(1, concurrency // ctx.pool.size),
    )
    cpu = ctx.server.cpu() - cpu
    return _timed_result(ctx, "sign-ins", "sign_ins", answers, cpu)
