"""Redis comes back: what a node does through Redis right afterwards must work.

An outage leaves every connection a node had pooled to Redis dead; the first command
sent on each of them fails. Anything the node does then (announcing presence, routing
events) must survive that, or users silently stop getting their events. This runs
first in the package, while the cluster is otherwise idle, so the nodes' pools are
in a known state.
"""

from __future__ import annotations

from tests.integration.cluster.conftest import (
    ChatClients,
    Cluster,
    Rest,
    every_node_reports,
    register_many,
    wait_until,
)

CONNECTING = 50  # users connecting at once to node 1 before the outage, and after it


async def test_sockets_opened_right_after_redis_returns_get_their_events(
    cluster: Cluster, rest: Rest, chat: ChatClients
) -> None:
    """After an outage every connection a node had pooled to Redis is dead. Whatever the
    node does next through Redis (here: registering fifty users who connect at once)
    must not fail on them, or those users are never announced online nor sent their
    events, and nothing tells them to resync."""
    sender, watcher, *others = await register_many(cluster.urls, 2 + 2 * CONNECTING, "back")
    early, late = others[:CONNECTING], others[CONNECTING:]
    group = await rest.ok(
        0,
        "POST",
        "/api/conversations/group",
        sender,
        json={"title": "after the outage", "member_ids": [u.id for u in early + late]},
    )
    watching = await chat.open(watcher, 2)
    # Connected all at once, so that node 1 holds many connections to Redis at the cut.
    before = await chat.open_many([(user, 1) for user in early], at_once=len(early))
    early_ids = {user.id for user in early}
    await wait_until(lambda: early_ids <= cluster.online_users(), "the early users online")
    await cluster.proxies.cut("redis")
    await every_node_reports(rest, 503, {"broker": "down"})
    await cluster.proxies.restore("redis")
    await every_node_reports(rest, 200, {"broker": "ok"})

    after = await chat.open_many([(user, 1) for user in late], at_once=len(late))
    # Each is announced online (node 1 registered them in the cluster's presence map)...
    late_ids = {user.id for user in late}
    await wait_until(
        lambda: late_ids <= {d["user_id"] for d in watching.of("presence") if d["online"]},
        lambda: (
            "every late user announced online; not: "
            + str(sorted(late_ids - {d["user_id"] for d in watching.of("presence") if d["online"]}))
        ),
    )
    # ... and receives what is sent to them from another node.
    sending = await chat.open(sender, 0)
    message = await sending.send(group["id"], "after the outage", "after-the-outage")
    await wait_until(
        lambda: all(message["seq"] in c.held.get(group["id"], {}) for c in before + after),
        lambda: (
            "every member received the message; not: "
            + str([c for c in before + after if message["seq"] not in c.held.get(group["id"], {})])
        ),
    )
