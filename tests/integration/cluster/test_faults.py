"""Faults under load: Redis down, PostgreSQL restarted, a node killed, each in the middle of a
run of 200 concurrent senders spread over the three nodes.

Every sender is a member of one group (twenty groups of ten, each spanning the three
nodes) and half of them of a direct conversation too; each sends ``MESSAGES`` messages
with its own ``client_msg_id``s, retrying like a real client. Watchers (users in no
conversation, on every node) see everything they receive. After each run, from the
database and from every client's stream:

- every acked ``client_msg_id`` is stored exactly once, and nothing else is stored;
- each conversation's seqs are 1..n, and every member holds exactly those rows (what it
  received live plus what its resyncs fetched, by seq);
- nobody received anything of a conversation they are not in.

For Redis and PostgreSQL the clients rely on the server alone (live events, and a resync
when it sends ``resync``): it knows what it failed to deliver. For the killed node they
are real clients that also fetch gaps, as docs/protocol.md asks.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import asyncpg
import pytest
from tests.factories import RegisteredUser
from tests.integration.cluster.conftest import (
    NODE_COUNT,
    WAIT_SECONDS,
    ChatClient,
    ChatClients,
    Cluster,
    Rest,
    every_node_reports,
    register_many,
    wait_until,
)

SENDERS = 200
WATCHERS = 4
GROUP_SIZE = 10
MESSAGES = 6  # per sender
PACE_SECONDS = 0.4  # between one sender's messages (at most; a bound of the run's length)
KILLED = 2


@pytest.fixture(scope="module")
def load_users(running_cluster: Cluster) -> list[RegisteredUser]:
    """The senders, then the watchers: registered once for the module's runs (each run
    makes conversations of its own)."""
    return asyncio.run(register_many(running_cluster.urls, SENDERS + WATCHERS, "load"))


@dataclass
class Layout:
    """The conversations of one run: members, and what each sender sends where."""

    members: dict[int, set[int]] = field(default_factory=dict)  # conversation -> user ids
    plans: dict[int, list[int]] = field(default_factory=dict)  # user id -> conversation ids

    def conversations_of(self, user_id: int) -> set[int]:
        """The conversations of this run the user is in."""
        return {cid for cid, ids in self.members.items() if user_id in ids}


async def make_layout(rest: Rest, senders: list[RegisteredUser], run: int) -> Layout:
    """Twenty groups of ten, and fifty direct conversations (new pairs in every run)."""
    layout = Layout()
    groups: list[tuple[int, list[RegisteredUser]]] = []
    for start in range(0, len(senders), GROUP_SIZE):
        team = senders[start : start + GROUP_SIZE]
        owner = team[0]
        group = await rest.ok(
            start % NODE_COUNT,
            "POST",
            "/api/conversations/group",
            owner,
            json={"title": f"run {run} group {start}", "member_ids": [u.id for u in team[1:]]},
        )
        layout.members[group["id"]] = {user.id for user in team}
        groups.append((group["id"], team))
    half = len(senders) // 2
    pairs = [(senders[i], senders[half + (i + 7 * run) % half]) for i in range(0, half, 2)]
    directs: dict[int, int] = {}
    for index, (one, other) in enumerate(pairs):
        direct = await rest.ok(
            index % NODE_COUNT, "POST", "/api/conversations/direct", one, json={"user_id": other.id}
        )
        assert direct["last_seq"] == 0, "a direct conversation of an earlier run"
        layout.members[direct["id"]] = {one.id, other.id}
        directs[one.id] = directs[other.id] = direct["id"]
    for group_id, team in groups:
        for user in team:
            direct_id = directs.get(user.id)
            layout.plans[user.id] = [
                direct_id if direct_id is not None and k % 2 else group_id for k in range(MESSAGES)
            ]
    return layout


@dataclass
class Progress:
    """How many sends were acked so far, out of ``total``."""

    total: int
    acked: int = 0

    async def reached(self, fraction: float) -> None:
        """Wait until ``fraction`` of the sends were acked."""
        await wait_until(
            lambda: self.acked >= fraction * self.total,
            lambda: f"{fraction:.0%} of {self.total} sends acked (now {self.acked})",
            within=2 * WAIT_SECONDS,
        )


Fault = Callable[[Progress], Awaitable[None]]


async def run_load(clients: list[ChatClient], layout: Layout, run: int, fault: Fault) -> None:
    """Every client sends its plan (paced, retrying) while ``fault`` happens."""
    progress = Progress(sum(len(layout.plans[c.user.id]) for c in clients))
    rng = random.Random(run)

    async def sender(client: ChatClient, offsets: list[float]) -> None:
        for k, conversation_id in enumerate(layout.plans[client.user.id]):
            await asyncio.sleep(offsets[k])
            client_msg_id = f"run{run}-u{client.user.id}-m{k}"
            await client.send(
                conversation_id, f"message {k} of {client.user.username}", client_msg_id
            )
            progress.acked += 1

    senders = asyncio.gather(
        *(
            sender(client, [rng.uniform(0, PACE_SECONDS) for _ in range(MESSAGES)])
            for client in clients
            if client.user.id in layout.plans
        )
    )
    try:
        await asyncio.gather(senders, fault(progress))
    finally:
        senders.cancel()


async def open_clients(
    chat: ChatClients, users: list[RegisteredUser], *, real: bool = False
) -> tuple[list[ChatClient], list[ChatClient]]:
    """The senders' clients and the watchers' clients, spread over the nodes. ``real``
    clients also reconnect (to another node) and fetch gaps as docs/protocol.md says;
    the others count on the server alone: live events, and ``resync`` when it says so."""
    clients = await chat.open_many(
        [(user, index % NODE_COUNT) for index, user in enumerate(users)],
        reconnect=real,
        fill_gaps=real,
    )
    return clients[:SENDERS], clients[SENDERS:]


# --- what the database and the clients must agree on ---------------------------------------


async def stored(cluster: Cluster, conversation_ids: list[int]) -> dict[int, list[asyncpg.Record]]:
    """Each conversation's rows, by seq, read from the database directly."""
    connection = await asyncpg.connect(cluster.database_dsn)
    try:
        rows = await connection.fetch(
            "SELECT id, conversation_id, seq, sender_id, client_msg_id, body, created_at"
            " FROM messages"
            " WHERE conversation_id = ANY($1::bigint[]) ORDER BY conversation_id, seq",
            conversation_ids,
        )
        last_seqs = dict(
            await connection.fetch(
                "SELECT id, last_seq FROM conversations WHERE id = ANY($1::bigint[])",
                conversation_ids,
            )
        )
    finally:
        await connection.close()
    by_conversation: dict[int, list[asyncpg.Record]] = {cid: [] for cid in conversation_ids}
    for row in rows:
        by_conversation[row["conversation_id"]].append(row)
    for cid, found in by_conversation.items():
        assert [row["seq"] for row in found] == list(range(1, len(found) + 1)), (
            f"conversation {cid}: seqs with a gap or a repeat"
        )
        assert last_seqs[cid] == len(found), f"conversation {cid}: last_seq {last_seqs[cid]}"
    return by_conversation


def stream_mismatches(
    clients: list[ChatClient],
    layout: Layout,
    rows: dict[int, list[asyncpg.Record]],
    watcher: ChatClient | None = None,
) -> list[str]:
    """Where a member's stream differs from the rows (empty when every stream is right)."""
    wanted = {
        cid: [(row["seq"], row["id"], row["body"]) for row in found] for cid, found in rows.items()
    }
    problems: list[str] = []
    for client in clients:
        for cid in sorted(layout.conversations_of(client.user.id)):
            held = client.held.get(cid, {})
            have = [(seq, held[seq]["id"], held[seq]["body"]) for seq in sorted(held)]
            if have != wanted[cid]:
                missing = sorted({seq for seq, *_ in wanted[cid]} - set(held))
                first = rows[cid][missing[0] - 1] if missing else None
                problems.append(
                    f"{client} (connects {client.connects}, resyncs at"
                    f" {[f'{a:.2f}-{b:.2f}' for a, b in client.resync_times]},"
                    f" resyncing {client.resyncing}) conversation {cid}: holds {len(have)}"
                    f" of {len(wanted[cid])}, missing seqs {missing[:20]}"
                    + (
                        f"; seq {first['seq']} sent by user {first['sender_id']}"
                        f" at {first['created_at'].timestamp():.2f}"
                        if first is not None
                        else ""
                    )
                    + (
                        "; presence seen by a watcher: "
                        + str(
                            [
                                d["online"]
                                for d in watcher.of("presence")
                                if d["user_id"] == client.user.id
                            ]
                        )
                        if watcher is not None
                        else ""
                    )
                )
    return problems


async def check_outcome(
    cluster: Cluster,
    clients: list[ChatClient],
    watchers: list[ChatClient],
    layout: Layout,
) -> dict[int, list[asyncpg.Record]]:
    """The run's guarantees (module docstring); the rows, for fault-specific checks."""
    everyone = clients + watchers
    print(  # shown with a failure: what the run went through
        f"retries {sum(c.retries for c in clients)},"
        f" unavailable acks {sum(c.unavailable_acks for c in clients)},"
        f" reconnects {sum(c.connects - 1 for c in everyone)},"
        f" resyncs {sum(c.resyncs_done for c in everyone)},"
        f" messages fetched by resyncs {sum(c.fetched for c in everyone)},"
        f" by gap fetches {sum(c.gap_fetched for c in everyone)}"
    )
    assert [error for client in everyone for error in client.errors] == []
    rows = await stored(cluster, sorted(layout.members))

    # Every acked client_msg_id stored exactly once, as acked; nothing else stored.
    keys = Counter(
        (row["sender_id"], row["client_msg_id"]) for found in rows.values() for row in found
    )
    assert [key for key, count in keys.items() if count > 1] == []
    acked = {
        (client.user.id, client_msg_id): message
        for client in clients
        for client_msg_id, message in client.acked.items()
    }
    assert len(acked) == sum(len(plan) for plan in layout.plans.values())
    assert set(keys) == set(acked)
    by_id = {row["id"]: row for found in rows.values() for row in found}
    for (sender_id, client_msg_id), message in acked.items():
        row = by_id.get(message["id"])
        assert row is not None, f"acked message {message['id']} is not stored"
        assert (row["sender_id"], row["client_msg_id"], row["seq"], row["conversation_id"]) == (
            sender_id,
            client_msg_id,
            message["seq"],
            message["conversation_id"],
        )

    # Every member's stream equals the rows: live events and resyncs, by seq.
    await wait_until(
        lambda: (
            not any(c.resyncing for c in clients) and not stream_mismatches(clients, layout, rows)
        ),
        lambda: (
            "every member's stream equals the stored rows:\n"
            + "\n".join(stream_mismatches(clients, layout, rows, watchers[0])[:15])
        ),
        every=0.25,  # comparing every stream is not free
    )

    # Nothing reached a non-member.
    for client in clients:
        foreign = client.conversations_heard_of() - layout.conversations_of(client.user.id)
        assert foreign == set(), f"{client} received events of conversations {foreign}"
    for watcher in watchers:
        assert watcher.conversations_heard_of() == set(), f"{watcher} received {watcher.events}"
        assert {event for event, _ in watcher.events} <= {"presence", "resync"}
        assert watcher.held == {}
    return rows


# --- the faults -----------------------------------------------------------------------------


async def test_redis_down_mid_run(
    cluster: Cluster, rest: Rest, chat: ChatClients, load_users: list[RegisteredUser]
) -> None:
    layout = await make_layout(rest, load_users[:SENDERS], run=1)
    clients, watchers = await open_clients(chat, load_users)
    events_before_cut: dict[ChatClient, int] = {}

    async def redis_outage(progress: Progress) -> None:
        await progress.reached(0.25)
        for client in clients + watchers:
            events_before_cut[client] = len(client.events)
        await cluster.proxies.cut("redis")
        print(f"redis cut at {time.time():.2f}")
        # Down for the nodes: not ready, but still serving their own clients.
        await every_node_reports(rest, 503, {"broker": "down", "database": "ok"})
        sent_at_cut = progress.acked
        await progress.reached(0.6)  # sends keep being stored and acked meanwhile
        assert progress.acked > sent_at_cut
        await cluster.proxies.restore("redis")
        print(f"redis restored at {time.time():.2f}")
        await every_node_reports(rest, 200, {"broker": "ok", "database": "ok"})
        print(f"every node ready at {time.time():.2f}")

    await run_load(clients, layout, 1, redis_outage)
    await check_outcome(cluster, clients, watchers, layout)
    # Every client was told to resync once Redis was back, and ran it; some of them
    # fetched messages they had missed while the nodes could not reach each other.
    for client in clients + watchers:
        assert client.of("resync", since=events_before_cut[client]), f"{client}: no resync"
        assert client.resyncs_done >= 1
    assert sum(client.fetched for client in clients) > 0
    assert [client for client in clients + watchers if client.disconnects] == []


async def test_postgresql_restarted_mid_run(
    cluster: Cluster, rest: Rest, chat: ChatClients, load_users: list[RegisteredUser]
) -> None:
    layout = await make_layout(rest, load_users[:SENDERS], run=2)
    clients, watchers = await open_clients(chat, load_users)
    pids = [node.process.pid for node in cluster.nodes]

    async def postgresql_restart(progress: Progress) -> None:
        await progress.reached(0.3)
        await cluster.proxies.cut("postgres")  # every connection cut, new ones refused
        await every_node_reports(rest, 503, {"database": "down"})
        await asyncio.sleep(2.0)  # refusing for a while, as a restarting server does
        await cluster.proxies.restore("postgres")
        await every_node_reports(rest, 200, {"database": "ok", "broker": "ok"})

    await run_load(clients, layout, 2, postgresql_restart)
    await check_outcome(cluster, clients, watchers, layout)
    # Sends in flight were answered "unavailable" and retried; the nodes recovered by
    # themselves (same processes) and kept every socket.
    assert sum(client.unavailable_acks for client in clients) > 0
    assert [node.process.pid for node in cluster.nodes] == pids
    assert all(node.process.poll() is None for node in cluster.nodes)
    assert [client for client in clients + watchers if client.disconnects] == []


async def test_a_node_killed_mid_run(
    cluster: Cluster, rest: Rest, chat: ChatClients, load_users: list[RegisteredUser]
) -> None:
    layout = await make_layout(rest, load_users[:SENDERS], run=3)
    # Real clients: those of the killed node must reconnect elsewhere; and what the node
    # committed but had not yet published when it died reaches the other nodes' clients
    # only as a gap (nobody tells them to resync).
    clients, watchers = await open_clients(chat, load_users, real=True)
    on_killed = [client for client in clients + watchers if client.node == KILLED]

    async def kill(progress: Progress) -> None:
        await progress.reached(0.3)
        cluster.kill(KILLED)

    await run_load(clients, layout, 3, kill)
    # The killed node's clients reconnected to another node and resynced.
    await wait_until(
        lambda: all(c.connects == 2 and not c.resyncing for c in on_killed),
        lambda: (
            f"the killed node's clients reconnected: {[c for c in on_killed if c.connects < 2]}"
        ),
    )
    for client in on_killed:
        assert client.node != KILLED
        assert client.resyncs_done >= 1
    others = [client for client in clients + watchers if client not in on_killed]
    assert [client for client in others if client.disconnects] == []
    await check_outcome(cluster, clients, watchers, layout)
