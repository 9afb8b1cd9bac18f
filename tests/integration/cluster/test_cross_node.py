"""Three nodes behave as one server: every event, presence and session revocation cross nodes.

The acting user is on node 0 (A), the others on nodes 1 (B) and 2 (C). Watchers (users
in no conversation, one on each node) check that nothing reaches a non-member.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
import socketio
from tests.factories import RegisteredUser
from tests.integration.cluster.conftest import (
    ChatClient,
    ChatClients,
    Cluster,
    Json,
    Rest,
    register_many,
    wait_until,
)

A, B, C = 0, 1, 2
# What a user who is in no conversation may receive at all.
NON_CONVERSATION_EVENTS = {"presence", "resync"}


async def users(cluster: Cluster, count: int) -> list[RegisteredUser]:
    """``count`` new users, registered across the nodes."""
    return await register_many(cluster.urls, count, "x")


async def got(client: ChatClient, event: str, match: dict[str, object], what: str) -> Json:
    """Wait until ``client`` received ``event`` whose payload has the items of ``match``."""

    def found() -> list[Json]:
        return [
            data
            for data in client.of(event)
            if all(_lookup(data, key) == value for key, value in match.items())
        ]

    await wait_until(lambda: bool(found()), f"{client} received {event} {what}")
    return found()[0]


def _lookup(data: Json, dotted: str) -> object:
    value: object = data
    for part in dotted.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


async def got_update(client: ChatClient, check: Callable[[Json], bool], what: str) -> None:
    """Wait until ``client`` received a ``conversation:updated`` whose conversation passes."""
    await wait_until(
        lambda: any(check(data["conversation"]) for data in client.of("conversation:updated")),
        f"{client} received conversation:updated: {what}",
    )


def member_ids(conversation: Json) -> set[int]:
    """The ids of a conversation's members."""
    return {member["id"] for member in conversation["members"]}


async def test_every_event_type_crosses_nodes(
    cluster: Cluster, rest: Rest, chat: ChatClients
) -> None:
    alice, bob, carol, dave, late, *watching = await users(cluster, 8)
    sender = await chat.open(alice, A)
    other_tab = await chat.open(alice, B)  # the sender's own second tab, on another node
    on_b = await chat.open(bob, B)
    on_c = await chat.open(carol, C)
    dave_on_c = await chat.open(dave, C)
    watchers = [await chat.open(user, node) for node, user in enumerate(watching)]
    members = [other_tab, on_b, on_c]

    # conversation:updated for a conversation created over REST on node A.
    group = await rest.ok(
        A,
        "POST",
        "/api/conversations/group",
        alice,
        json={"title": "cross", "member_ids": [bob.id, carol.id]},
    )
    gid = group["id"]
    for client in members:
        created = await got(client, "conversation:updated", {"conversation.id": gid}, "created")
        assert member_ids(created["conversation"]) == {alice.id, bob.id, carol.id}

    # message:new, sent on a socket of node A.
    first = (await sender.call("message:send", _send(gid, "hello")))["message"]
    for client in members:
        received = await got(client, "message:new", {"message.id": first["id"]}, "hello")
        assert received["message"] == first
    # ... and sent over REST on node A.
    posted = await rest.ok(
        A,
        "POST",
        f"/api/conversations/{gid}/messages",
        alice,
        json={"client_msg_id": uuid.uuid4().hex, "body": "over rest"},
    )
    for client in members:
        await got(client, "message:new", {"message.id": posted["message"]["id"]}, "over rest")

    # message:updated for an edit, then for a delete.
    edited = await sender.call("message:edit", {"message_id": first["id"], "body": "edited"})
    assert edited["ok"], edited
    for client in members:
        update = await got(
            client, "message:updated", {"message.id": first["id"], "message.body": "edited"}, "edit"
        )
        assert update["message"]["change_seq"] > 0
    deleted = await sender.call("message:delete", {"message_id": first["id"]})
    assert deleted["ok"], deleted
    for client in members:
        await got(
            client,
            "message:updated",
            {"message.id": first["id"], "message.deleted": True},
            "delete",
        )
        assert client.held[gid][first["seq"]]["deleted"] is True

    # typing (to the other members).
    typing = await sender.call("typing", {"conversation_id": gid})
    assert typing == {"ok": True, "relayed": True}
    for client in (on_b, on_c):
        await got(client, "typing", {"conversation_id": gid, "user_id": alice.id}, "typing")

    # conversation:read: alice's marker moved.
    read = await sender.call(
        "conversation:read", {"conversation_id": gid, "seq": posted["message"]["seq"]}
    )
    assert read["ok"], read
    for client in (on_b, on_c):
        marker = await got(
            client, "conversation:read", {"conversation_id": gid, "user_id": alice.id}, "read"
        )
        assert marker["seq"] == posted["message"]["seq"]
        assert marker["unread_count"] is None  # not theirs
    mine = await got(other_tab, "conversation:read", {"conversation_id": gid}, "own read marker")
    assert mine["user_id"] == alice.id
    assert mine["unread_count"] == 0

    # conversation:updated for a rename, a member added, a role changed.
    await rest.ok(A, "PATCH", f"/api/conversations/{gid}", alice, json={"title": "renamed"})
    for client in members:
        await got(client, "conversation:updated", {"conversation.title": "renamed"}, "rename")
    await rest.ok(A, "POST", f"/api/conversations/{gid}/members", alice, json={"user_id": dave.id})
    members.append(dave_on_c)
    for client in members:
        await got_update(client, lambda c: dave.id in member_ids(c), "dave added")
    await rest.ok(
        A, "PATCH", f"/api/conversations/{gid}/members/{bob.id}", alice, json={"role": "admin"}
    )
    bob_admin = {"user_id": bob.id, "role": "admin"}.items()
    for client in members:
        await got_update(
            client, lambda c: any(bob_admin <= m.items() for m in c["memberships"]), "bob admin"
        )

    # A member removed: conversation:removed to them, conversation:updated to the others,
    # and from then on nothing of the group reaches them.
    await rest.ok(A, "DELETE", f"/api/conversations/{gid}/members/{carol.id}", alice)
    await got(on_c, "conversation:removed", {"conversation_id": gid}, "removed")
    members.remove(on_c)
    for client in members:
        await got_update(
            client, lambda c: member_ids(c) == {alice.id, bob.id, dave.id}, "carol removed"
        )
    after = (await sender.call("message:send", _send(gid, "after carol left")))["message"]
    for client in members:
        await got(client, "message:new", {"message.id": after["id"]}, "after removal")
    # A direct conversation created on node A reaches carol on C; node A's events reach
    # node C in order, so once this arrived the group message would have too.
    direct = await rest.ok(
        A, "POST", "/api/conversations/direct", alice, json={"user_id": carol.id}
    )
    await got(on_c, "conversation:updated", {"conversation.id": direct["id"]}, "direct created")
    sentinel = (await sender.call("message:send", _send(direct["id"], "to carol")))["message"]
    await got(on_c, "message:new", {"message.id": sentinel["id"]}, "direct message")
    assert after["id"] not in {data["message"]["id"] for data in on_c.of("message:new")}
    # A sentinel for the watchers: a user coming online on node A now (announced on a
    # channel every node reads in publishing order, after all of the above).
    await chat.open(late, A)
    for watcher in watchers:
        await got(watcher, "presence", {"user_id": late.id, "online": True}, "late online")

    # Isolation: nobody heard of a conversation they are not in.
    assert on_b.conversations_heard_of() == {gid}
    assert dave_on_c.conversations_heard_of() == {gid}
    assert on_c.conversations_heard_of() == {gid, direct["id"]}
    for watcher in watchers:
        assert watcher.conversations_heard_of() == set()
        assert {event for event, _data in watcher.events} <= NON_CONVERSATION_EVENTS


def _send(conversation_id: int, body: str) -> Json:
    return {"conversation_id": conversation_id, "client_msg_id": uuid.uuid4().hex, "body": body}


async def presence_of(rest: Rest, node: int, viewer: RegisteredUser, user_id: int) -> Json:
    """A user's object, as ``viewer`` reads it over REST on ``node``."""
    user: Json = await rest.ok(node, "GET", f"/api/users/{user_id}", viewer)
    return user


def flags(client: ChatClient, user_id: int) -> list[bool]:
    """The ``online`` flags of the presence events about ``user_id`` it received, in order."""
    return [data["online"] for data in client.of("presence") if data["user_id"] == user_id]


async def saw(client: ChatClient, user: RegisteredUser, expected: list[bool], what: str) -> None:
    """Wait until the presence events ``client`` received about ``user`` are ``expected``."""
    await wait_until(lambda: flags(client, user.id) == expected, f"{client} saw {what}")


async def disconnected(client: ChatClient) -> None:
    """Wait until the server closed ``client``'s socket."""
    await wait_until(lambda: client.disconnects == 1, f"{client} disconnected")


async def test_presence_crosses_nodes(cluster: Cluster, rest: Rest, chat: ChatClients) -> None:
    subject, observer, passer_by = await users(cluster, 3)
    watching = await chat.open(observer, C)
    assert (await presence_of(rest, C, observer, subject.id))["online"] is False

    # Online on node B only: seen online from node C (event and REST).
    on_b = await chat.open(subject, B)
    await saw(watching, subject, [True], "the subject online")
    assert (await presence_of(rest, C, observer, subject.id))["online"] is True

    # A socket on node A too, then the one on B closes: still online, nothing announced.
    on_a = await chat.open(subject, A)
    await on_b.close()
    # Sentinel: someone else's socket on B closes later, so its grace ends later.
    passing = await chat.open(passer_by, B)
    await saw(watching, passer_by, [True], "the passer-by online")
    await passing.close()
    await saw(watching, passer_by, [True, False], "the passer-by offline")
    assert flags(watching, subject.id) == [True]
    assert (await presence_of(rest, C, observer, subject.id))["online"] is True

    # The last socket closes: offline for the others once the grace period is over.
    await on_a.close()
    await saw(watching, subject, [True, False], "the subject offline")
    seen = await presence_of(rest, C, observer, subject.id)
    assert seen["online"] is False
    assert seen["last_seen_at"] is not None


async def test_a_killed_nodes_users_go_offline_elsewhere(
    cluster: Cluster, rest: Rest, chat: ChatClients
) -> None:
    only_on_c, also_on_b, observer = await users(cluster, 3)
    watchers = [await chat.open(observer, A), await chat.open(observer, B)]
    await chat.open(only_on_c, C)
    await chat.open(also_on_b, C)
    await chat.open(also_on_b, B)
    for watcher in watchers:
        await saw(watcher, only_on_c, [True], "the user of node C online")
        await saw(watcher, also_on_b, [True], "the user of nodes B and C online")

    cluster.kill(C)

    # Within the node timeout (plus a heartbeat), a surviving node reaps node C.
    for watcher in watchers:
        await saw(watcher, only_on_c, [True, False], "the killed node's user offline")
    assert (await presence_of(rest, A, observer, only_on_c.id))["online"] is False
    assert (await presence_of(rest, B, observer, only_on_c.id))["last_seen_at"] is not None
    # The user who also has a socket on B stays online (the same reaping would have
    # announced them offline together with the other one).
    for watcher in watchers:
        assert flags(watcher, also_on_b.id) == [True]
    assert (await presence_of(rest, A, observer, also_on_b.id))["online"] is True
    await wait_until(lambda: cluster.registered_nodes() == 2, "node C dropped from the map")


async def test_revoking_a_session_disconnects_its_sockets_on_every_node(
    cluster: Cluster, rest: Rest, chat: ChatClients
) -> None:
    (owner, friend) = await users(cluster, 2)
    second = _with_token(owner, await _login(rest, B, owner))
    third = _with_token(owner, await _login(rest, C, owner))
    keep = [await chat.open(owner, node) for node in (A, B, C)]
    revoked = [await chat.open(second, node) for node in (A, B, C)]
    later = [await chat.open(third, node) for node in (B, C)]

    # DELETE of one session, over REST on node A: its sockets everywhere get
    # session:revoked and are disconnected; the other sessions' sockets stay.
    sessions = (await rest.ok(B, "GET", "/api/auth/sessions", second))["sessions"]
    (second_id,) = [session["id"] for session in sessions if session["current"]]
    await rest.ok(A, "DELETE", f"/api/auth/sessions/{second_id}", owner)
    for client in revoked:
        await got(client, "session:revoked", {"session_id": second_id}, "revoked")
        await disconnected(client)

    # A password change on node A revokes every other session, on every node.
    await rest.ok(
        A,
        "POST",
        "/api/auth/password",
        owner,
        json={"current_password": owner.password, "new_password": "another long passphrase 42"},
    )
    for client in later:
        await got(client, "session:revoked", {}, "revoked by the password change")
        await disconnected(client)

    # The session that acted keeps its sockets on every node, and they still receive.
    direct = await rest.ok(
        A, "POST", "/api/conversations/direct", friend, json={"user_id": owner.id}
    )
    message = await rest.ok(
        A,
        "POST",
        f"/api/conversations/{direct['id']}/messages",
        friend,
        json={"client_msg_id": uuid.uuid4().hex, "body": "still there?"},
    )
    for client in keep:
        await got(client, "message:new", {"message.id": message["message"]["id"]}, "a message")
        assert client.disconnects == 0
        assert client.of("session:revoked") == []
    for client in revoked + later:
        assert client.of("message:new") == []
    # The revoked tokens no longer open sockets.
    for user in (second, third):
        with pytest.raises(socketio.exceptions.ConnectionError):
            await chat.open(user, A)


async def _login(rest: Rest, node: int, user: RegisteredUser) -> str:
    response = await rest.on(node).post(
        "/api/auth/login", json={"login": user.username, "password": user.password}
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["token"]
    return token


def _with_token(user: RegisteredUser, token: str) -> RegisteredUser:
    return RegisteredUser(user.id, user.username, user.email, user.password, token)
