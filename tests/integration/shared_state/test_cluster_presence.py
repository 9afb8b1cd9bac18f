"""Cluster-wide presence in Redis, driven through each node's broker: exactly one node sees
each transition, announcements reach every node once and in order, dead nodes are reaped,
and a node that reconnects registers exactly the users it holds."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.integration.shared_state.conftest import Cluster, Node, RedisProxy, wait_until
from vaultroom.cluster import BrokerDown
from vaultroom.fanout.rooms import SIGNED_IN_ROOM, presence_rooms
from vaultroom.services.presence import PresenceChange


def presence_emitted(node: Node, user_id: int) -> list[bool]:
    """The ``online`` flags of the presence events a node emitted about a user."""
    return [
        data["online"]
        for data, rooms in node.sio.of("presence")
        if data["user_id"] == user_id and rooms == presence_rooms(user_id)
    ]


async def announced(by: Node, change: PresenceChange, *observers: Node) -> None:
    """``by`` announces ``change``; wait until every observer emitted it to its sockets."""
    await by.presence.announce([change], datetime.now(UTC))
    for observer in observers:

        def done(node: Node = observer) -> bool:
            return presence_emitted(node, change.user_id)[-1:] == [change.online]

        await wait_until(done, f"{observer.name} announced {change}")


async def test_only_the_first_join_and_the_last_leave_are_transitions(cluster: Cluster) -> None:
    node_a = await cluster.start("a")
    node_b = await cluster.start("b")

    came_online = await node_a.presence.join(1)
    assert came_online is not None
    assert (came_online.user_id, came_online.online) == (1, True)
    assert await node_b.presence.join(1) is None
    assert await node_a.presence.join(1) is None  # joining again changes nothing

    assert await node_a.presence.leave(1) is None  # still held by node b
    went_offline = await node_b.presence.leave(1)
    assert went_offline is not None
    assert (went_offline.user_id, went_offline.online) == (1, False)
    assert await node_b.presence.leave(1) is None  # leaving again changes nothing
    assert went_offline.version > came_online.version

    # Offline for everyone now: the next join anywhere is a transition again.
    again = await node_b.presence.join(1)
    assert again is not None and again.online and again.version > went_offline.version


async def test_every_transition_gets_a_higher_version(cluster: Cluster) -> None:
    node_a = await cluster.start("a")
    node_b = await cluster.start("b")

    steps = [
        node_a.presence.join(1),
        node_b.presence.join(2),
        node_b.presence.join(1),
        node_a.presence.leave(1),
        node_b.presence.leave(1),
        node_a.presence.join(3),
        node_b.presence.leave(2),
    ]
    changes = [change for step in steps if (change := await step) is not None]
    assert [(c.user_id, c.online) for c in changes] == [
        (1, True),
        (2, True),
        (1, False),
        (3, True),
        (2, False),
    ]
    versions = [change.version for change in changes]
    assert versions == sorted(set(versions))


async def test_announcements_reach_every_node_once_and_in_order(cluster: Cluster) -> None:
    node_a = await cluster.start("a")
    node_b = await cluster.start("b")
    node_c = await cluster.start("c")

    online = await node_a.presence.join(5)
    assert online is not None
    await announced(node_a, online, node_a, node_b, node_c)
    assert all(node.presence.online_elsewhere(5) for node in (node_a, node_b, node_c))

    offline = await node_a.presence.leave(5)
    assert offline is not None
    await announced(node_a, offline, node_b, node_c)
    # An old announcement arriving late (a slow publisher) changes nothing anywhere.
    await node_c.presence.announce([online], datetime.now(UTC))
    sentinel = await node_b.presence.join(6)
    assert sentinel is not None
    await announced(node_b, sentinel, node_a, node_c)

    for node in (node_a, node_b, node_c):
        assert presence_emitted(node, 5) == [True, False], node.name
        assert not node.presence.online_elsewhere(5)
        assert node.presence.online_elsewhere(6)
    payload = node_b.sio.of("presence")[0][0]
    assert set(payload) == {"user_id", "online", "last_seen_at"}


async def test_a_node_that_connects_later_knows_who_is_online_and_announces_nothing_old(
    cluster: Cluster,
) -> None:
    node_a = await cluster.start("a")
    online = await node_a.presence.join(7)
    assert online is not None

    node_b = await cluster.start("b")
    await wait_until(lambda: node_b.presence.online_elsewhere(7), "b loaded the online set")
    # The announcement of a change made before b connected reaches b late: already known.
    await node_a.presence.announce([online], datetime.now(UTC))
    sentinel = await node_a.presence.join(8)
    assert sentinel is not None
    await announced(node_a, sentinel, node_b)
    assert presence_emitted(node_b, 7) == []


async def test_a_node_shutting_down_takes_offline_only_the_users_nobody_else_holds(
    cluster: Cluster,
) -> None:
    node_a = await cluster.start("a")
    node_b = await cluster.start("b")
    for user_id in (1, 2, 3):
        await node_a.presence.join(user_id)
    await node_b.presence.join(2)

    changes = await node_a.presence.leave_all()

    assert sorted((c.user_id, c.online) for c in changes) == [(1, False), (3, False)]
    assert len({c.version for c in changes}) == 2
    assert await node_b.presence.leave(2) is not None  # b held the last socket of user 2
    # Node a is forgotten: its users count for nobody, rejoining them is a transition.
    rejoined = await node_b.presence.join(1)
    assert rejoined is not None and rejoined.online


async def test_the_users_of_a_silent_node_are_taken_offline_by_a_live_one(
    cluster: Cluster,
) -> None:
    survivor = await cluster.start("survivor", heartbeat_seconds=0.1, timeout_seconds=1.5)
    # Beating (so it is not reaped itself), with a timeout that never reaps anyone.
    observer = await cluster.start("observer", heartbeat_seconds=0.1, beat=True)
    doomed = await cluster.start("doomed")  # no heartbeat at all: it dies once it goes silent
    await survivor.presence.join(1)
    await doomed.presence.join(1)  # held by both: stays online
    await doomed.presence.join(2)  # held by doomed only
    await doomed.presence.join(3)
    survivor.presence.start()

    await wait_until(lambda: len(survivor.reaped) >= 2, "the survivor reaped the silent node")

    assert sorted((c.user_id, c.online) for c in survivor.reaped) == [(2, False), (3, False)]
    # Events the dead node committed but never published are in the history: every
    # client of every node is told to resync, once.
    # (Each node also tells its own sockets to resync when it connects to Redis.)
    await wait_until(lambda: len(observer.sio.of("resync")) >= 2, "the observer was told")
    assert observer.sio.of("resync") == [({}, SIGNED_IN_ROOM)] * 2
    assert survivor.sio.of("resync")[-1:] == [({}, SIGNED_IN_ROOM)]
    # Offline cluster-wide: the next join is a transition; user 1 still counts as online.
    assert await survivor.presence.join(2) is not None
    assert await survivor.presence.join(1) is None
    assert await survivor.presence.leave(1) is not None  # the survivor held the last socket


async def test_a_node_declared_dead_after_a_stall_registers_its_users_again(
    cluster: Cluster,
) -> None:
    # Its first heartbeat comes 4 s after it registered: a stall, for a reaper whose
    # timeout is 1 s. The reaper stops after its first reap (long before that heartbeat).
    stalled = await cluster.start("stalled", held={4}, heartbeat_seconds=4, timeout_seconds=30)
    assert [(c.user_id, c.online) for c in stalled.resyncs[0][1]] == [(4, True)]
    stalled.presence.start()
    reaper = await cluster.start("reaper", heartbeat_seconds=0.05, timeout_seconds=1, beat=True)
    await wait_until(lambda: bool(reaper.reaped), "the stalled node was reaped")
    await reaper.die()
    assert [(c.user_id, c.online) for c in reaper.reaped] == [(4, False)]

    # Its next heartbeat finds it forgotten: it registers what it holds, as after a reconnect.
    await wait_until(lambda: len(stalled.resyncs) >= 2, "the stalled node registered again")
    registered, changes = stalled.resyncs[1]
    assert registered == {4}
    assert [(c.user_id, c.online) for c in changes] == [(4, True)]
    assert changes[0].version > reaper.reaped[0].version
    observer = await cluster.start("observer")
    assert await observer.presence.join(4) is None  # online again, through the stalled node


async def test_a_node_that_reconnects_registers_exactly_the_users_it_holds(
    cluster: Cluster, redis_proxy: RedisProxy
) -> None:
    node = await cluster.start("flaky", url=redis_proxy.url, held={1, 2})
    other = await cluster.start("other")
    registered, changes = node.resyncs[0]
    assert registered == {1, 2}
    assert sorted((c.user_id, c.online) for c in changes) == [(1, True), (2, True)]
    assert await other.presence.join(2) is None
    first_version = max(c.version for c in changes)

    await redis_proxy.cut()
    await wait_until(lambda: not node.broker.up, "the node saw Redis go away")
    with pytest.raises(BrokerDown):
        await node.presence.join(3)
    assert not await node.broker.ping()
    node.held = {2, 3}  # what its sockets did during the outage
    await redis_proxy.restore()

    await node.wait_synced(count=2)
    registered, changes = node.resyncs[1]
    assert registered == {2, 3}
    # User 1 left (nobody else holds them), user 3 arrived, user 2 never changed.
    assert sorted((c.user_id, c.online) for c in changes) == [(1, False), (3, True)]
    assert min(c.version for c in changes) > first_version
    assert await node.broker.ping()
    assert await other.presence.join(1) is not None
    assert await other.presence.join(3) is None
    assert await other.presence.leave(2) is None  # still held by the node that reconnected
    await wait_until(lambda: node.presence.online_elsewhere(3), "the online set was reloaded")


async def test_an_announcement_that_could_not_be_published_reaches_the_others_later(
    cluster: Cluster, redis_proxy: RedisProxy
) -> None:
    node = await cluster.start("flaky", url=redis_proxy.url, held={11})
    other = await cluster.start("other")
    came_online = await node.presence.join(12)
    assert came_online is not None
    node.held = {11, 12}

    # The change is in Redis, but the link breaks before the others are told.
    await redis_proxy.cut()
    await wait_until(lambda: not node.broker.up, "the node saw Redis go away")
    await node.presence.announce([came_online], datetime.now(UTC))
    assert presence_emitted(node, 12) == [True]  # its own sockets were told at once
    assert presence_emitted(other, 12) == []
    await redis_proxy.restore()

    # Re-registering finds nothing to change for user 12; the owed announcement still goes out.
    await wait_until(lambda: presence_emitted(other, 12) == [True], "the other node heard of 12")
    assert other.presence.online_elsewhere(12)


async def test_a_node_that_was_cut_off_tells_its_sockets_what_changed_meanwhile(
    cluster: Cluster, redis_proxy: RedisProxy
) -> None:
    other = await cluster.start("other")
    stays = await other.presence.join(21)
    goes = await other.presence.join(22)
    assert stays is not None and goes is not None
    node = await cluster.start("flaky", url=redis_proxy.url)
    assert node.presence.online_elsewhere(22)

    await redis_proxy.cut()
    await wait_until(lambda: not node.broker.up, "the node saw Redis go away")
    went = await other.presence.leave(22)
    came = await other.presence.join(23)
    assert went is not None and came is not None
    await other.presence.announce([went, came], datetime.now(UTC))
    await redis_proxy.restore()

    await node.wait_synced(count=2)
    await wait_until(lambda: presence_emitted(node, 23) == [True], "23 shown online")
    assert presence_emitted(node, 22) == [False]
    assert presence_emitted(node, 21) == []  # unchanged: nothing said
    assert node.presence.online_elsewhere(23) and not node.presence.online_elsewhere(22)
