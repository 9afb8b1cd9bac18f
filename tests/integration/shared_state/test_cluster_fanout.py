"""Fan-out between nodes: events go to the nodes holding their recipients (found in the
presence map), in order; revocations reach every node; after an outage the users who may
have missed something are told to resync."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from tests.integration.shared_state.conftest import Cluster, Node, RedisProxy, wait_until
from vaultroom.fanout import Delivery
from vaultroom.fanout.rooms import SIGNED_IN_ROOM, session_room, user_room


class Note(BaseModel):
    """A payload of a test event."""

    n: int
    text: str = ""


def received(node: Node, event: str = "test:note") -> list[tuple[int, list[str]]]:
    """``(n, rooms)`` of each ``event`` a node emitted."""
    return [(data["n"], sorted(rooms)) for data, rooms in node.sio.of(event)]


async def test_an_event_reaches_exactly_the_nodes_holding_its_recipients(cluster: Cluster) -> None:
    origin = await cluster.start("origin")
    holder_b = await cluster.start("b")
    holder_c = await cluster.start("c")
    bystander = await cluster.start("bystander")
    await holder_b.presence.join(7)
    await holder_c.presence.join(8)
    await holder_c.presence.join(7)  # a user with sockets on two nodes
    await bystander.presence.join(99)
    await origin.presence.join(9)

    await origin.fanout.publish([Delivery("test:note", Note(n=1), user_ids=[7, 8, 9, 10])])
    # A sentinel for each node, so that what it has not received by then it never will.
    await origin.fanout.publish([Delivery("test:note", Note(n=2), user_ids=[7, 8, 99])])

    await wait_until(lambda: len(received(holder_b)) == 2, "b received both")
    await wait_until(lambda: len(received(holder_c)) == 2, "c received both")
    await wait_until(lambda: len(received(bystander)) == 1, "the bystander its sentinel")
    assert received(holder_b) == [(1, ["user:7"]), (2, ["user:7"])]
    assert received(holder_c) == [(1, ["user:7", "user:8"]), (2, ["user:7", "user:8"])]
    assert received(bystander) == [(2, ["user:99"])]
    # The origin emitted locally to every recipient's room (no-op where it holds nobody) and
    # received nothing back through Redis.
    rooms = [user_room(u) for u in (7, 8, 9, 10)]
    assert received(origin) == [(1, sorted(rooms)), (2, sorted(user_room(u) for u in (7, 8, 99)))]


async def test_events_arrive_in_the_order_they_were_published(cluster: Cluster) -> None:
    origin = await cluster.start("origin")
    holder = await cluster.start("holder")
    await holder.presence.join(1)

    for n in range(300):
        await origin.fanout.publish([Delivery("test:note", Note(n=n), user_ids=[1])])

    await wait_until(lambda: len(received(holder)) == 300, "every event arrived")
    assert [n for n, _rooms in received(holder)] == list(range(300))


async def test_payloads_cross_nodes_intact(cluster: Cluster) -> None:
    origin = await cluster.start("origin")
    holder = await cluster.start("holder")
    await holder.presence.join(1)
    tricky = 'quotes " \\ backslash ]] brackets }, {"k":"x"} é 漢字 🙂 \n newline \u0000'

    await origin.fanout.publish([Delivery("test:note", Note(n=1, text=tricky), user_ids=[1])])

    await wait_until(lambda: bool(holder.sio.of("test:note")), "the event arrived")
    assert holder.sio.of("test:note") == [({"n": 1, "text": tricky}, [user_room(1)])]


async def test_a_revocation_reaches_the_sockets_of_every_node(cluster: Cluster) -> None:
    origin = await cluster.start("origin")
    others = [await cluster.start(name) for name in ("b", "c")]

    await origin.fanout.revoke_sessions([11, 12])

    for node in (origin, *others):

        def both(node: Node = node) -> bool:
            return len(node.sio.of("session:revoked")) == 2

        await wait_until(both, f"{node.name} revoked both")
        assert node.sio.of("session:revoked") == [
            ({"session_id": 11}, session_room(11)),
            ({"session_id": 12}, session_room(12)),
        ]


async def test_after_an_outage_the_users_who_may_have_missed_events_are_told_to_resync(
    cluster: Cluster, redis_proxy: RedisProxy
) -> None:
    flaky = await cluster.start("flaky", url=redis_proxy.url, held={1})
    holder = await cluster.start("holder")
    await holder.presence.join(7)
    await holder.presence.join(8)
    # Its sockets resync after every connection (the first one included).
    await wait_until(lambda: flaky.sio.of("resync") == [({}, SIGNED_IN_ROOM)], "first resync")

    await redis_proxy.cut()
    await wait_until(lambda: not flaky.broker.up, "the flaky node lost Redis")
    await flaky.fanout.publish([Delivery("test:note", Note(n=1), user_ids=[1, 7])])
    await flaky.fanout.publish([Delivery("test:note", Note(n=2), user_ids=[9])])
    assert received(flaky) == [(1, ["user:1", "user:7"]), (2, ["user:9"])]  # local part
    await redis_proxy.restore()

    # Its own sockets resync (they may have missed the other nodes' events) ...
    await wait_until(lambda: len(flaky.sio.of("resync")) == 2, "the flaky node's sockets")
    assert flaky.sio.of("resync")[1] == ({}, SIGNED_IN_ROOM)

    # ... and so do the other nodes' recipients of what it could not publish.
    def told() -> list[tuple[Any, Any]]:
        return [(d, r) for d, r in holder.sio.of("resync") if r != SIGNED_IN_ROOM]

    await wait_until(lambda: bool(told()), "the holder's users were told to resync")
    ((data, rooms),) = told()
    assert data == {}
    assert user_room(7) in rooms
    assert user_room(8) not in rooms  # missed nothing
    assert received(holder) == []  # the events themselves are not replayed

    # Once reconnected, events flow again.
    await flaky.fanout.publish([Delivery("test:note", Note(n=3), user_ids=[8])])
    await wait_until(lambda: received(holder) == [(3, ["user:8"])], "the holder got 3")


async def test_the_resync_request_survives_a_link_that_breaks_again_while_sending_it(
    cluster: Cluster, redis_proxy: RedisProxy
) -> None:
    flaky = await cluster.start("flaky", url=redis_proxy.url)
    holder = await cluster.start("holder")
    await holder.presence.join(7)

    await redis_proxy.cut()
    await wait_until(lambda: not flaky.broker.up, "the flaky node lost Redis")
    await flaky.fanout.publish([Delivery("test:note", Note(n=1), user_ids=[7])])
    # Redis comes back, but the link breaks again just as the resync request goes out,
    # and again when the client retries it on a fresh connection.
    redis_proxy.break_publishes = 2
    await redis_proxy.restore()
    await wait_until(lambda: not redis_proxy.break_publishes, "the request was lost")

    # The node reconnects again (backing off 2 s at most); user 7 must still be told to resync.
    await wait_until(lambda: len(flaky.resyncs) >= 3, "the node reconnected once more")
    await wait_until(
        lambda: any(r != SIGNED_IN_ROOM and user_room(7) in r for _d, r in holder.sio.of("resync")),
        "user 7 was told to resync",
        within=10,
    )
