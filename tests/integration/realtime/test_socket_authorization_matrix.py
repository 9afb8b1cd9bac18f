"""The authorization matrix of the Socket.IO API: the handshake and every client event.

The REST half, and the victim's world both halves use, are in
``tests/integration/api/test_authorization_matrix.py``. Here: a handshake without a
live session is refused (none, unknown, revoked, expired), a socket whose session ends
is disconnected, and every client event sent by another user on the victim's
conversations and messages is refused with the answer a nonexistent id gets, while the
victim's and their friend's sockets receive nothing of it. ``EVENTS`` must list every
event the server registers (``test_every_socket_event_is_in_the_matrix``).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import socketio
from sqlalchemy import update

from tests.factories import UserFactory
from tests.integration.api.test_authorization_matrix import World, build_world, victims_view
from tests.integration.realtime.conftest import (
    LiveServer,
    SocketClients,
    Tab,
    Tabs,
    sentinel,
    wait_until,
)
from vaultroom.app import create_app
from vaultroom.models import AuthSession
from vaultroom.models.base import utcnow
from vaultroom.settings import Settings

Json = dict[str, Any]
_client_msg_ids = itertools.count(1)

# Handlers that are not client events: the handshake (covered by the handshake tests
# below), the disconnect, and the catch-all answering unknown events.
LIFECYCLE = frozenset({"connect", "disconnect", "*"})


@dataclass(frozen=True)
class SocketRow:
    """A client event: payloads on the victim's world and what an outsider is answered."""

    payloads: Callable[[World], list[Json]]
    # The error code an outsider gets; ``None``: the event is allowed (public data only).
    outsider: str | None
    # A plain member of the victim's group, where the contract refuses them.
    member: str | None = None
    member_payloads: Callable[[World], list[Json]] | None = None


def _in_conversations(**fields: Any) -> Callable[[World], list[Json]]:
    return lambda w: [
        {"conversation_id": conversation_id, **fields}
        for conversation_id in (w.group_id, w.direct_id)
    ]


def _on_messages(*, friends_too: bool = True, **fields: Any) -> Callable[[World], list[Json]]:
    def payloads(world: World) -> list[Json]:
        ids = [world.victim_group_message_id, world.victim_direct_message_id]
        if friends_too:
            ids.append(world.friend_group_message_id)
        return [{"message_id": message_id, **fields} for message_id in ids]

    return payloads


def _sends(world: World) -> list[Json]:
    return [
        {
            "conversation_id": conversation_id,
            "client_msg_id": f"socket-matrix-{next(_client_msg_ids)}",
            "body": "let me in",
        }
        for conversation_id in (world.group_id, world.direct_id)
    ]


EVENTS: dict[str, SocketRow] = {
    "message:send": SocketRow(payloads=_sends, outsider="not_found"),
    "message:edit": SocketRow(
        payloads=_on_messages(body="rewritten by someone else"),
        outsider="not_found",
        member="forbidden",
        member_payloads=_on_messages(friends_too=False, body="rewritten"),
    ),
    "message:delete": SocketRow(
        payloads=_on_messages(),
        outsider="not_found",
        member="forbidden",
        member_payloads=_on_messages(friends_too=False),
    ),
    "conversation:read": SocketRow(payloads=_in_conversations(seq=2), outsider="not_found"),
    "typing": SocketRow(payloads=_in_conversations(), outsider="not_found"),
    # Presence is public (every user's online dot); it carries nothing private.
    "presence:watch": SocketRow(
        payloads=lambda w: [{"user_ids": [w.victim.id, w.friend.id]}], outsider=None
    ),
}


def test_every_socket_event_is_in_the_matrix(tmp_path: Path) -> None:
    app = create_app(
        Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}", web_dir=tmp_path)
    )
    handlers: dict[str, dict[str, Any]] = app.sio.handlers

    assert set(handlers) == {"/"}, "handlers outside the default namespace"
    assert not app.sio.namespace_handlers, "class-based namespaces are not in the matrix"
    registered = set(handlers["/"])
    missing = sorted(registered - LIFECYCLE - set(EVENTS))
    stale = sorted(set(EVENTS) - registered)
    assert not missing, f"socket events missing from the authorization matrix: {missing}"
    assert not stale, f"matrix rows for events the server does not have: {stale}"


# --- the handshake and dead sessions --------------------------------------------------------


async def _refused(sockets: SocketClients, auth: Json | None) -> None:
    client = sockets.new()
    with pytest.raises(socketio.exceptions.ConnectionError):
        await sockets.connect(client, auth=auth)
    assert not client.connected


async def _expire_victims_first_session(server: LiveServer, world: World, **values: Any) -> None:
    async with server.services.db.transaction() as session:
        await session.execute(
            update(AuthSession)
            .where(AuthSession.user_id == world.victim.id)
            .where(AuthSession.id != world.victim_spare_session_id)
            .values(**values)
        )


@pytest.mark.parametrize(
    "credential",
    ["none", "unknown-token", "revoked", "expired-absolute", "expired-idle"],
)
async def test_a_handshake_without_a_live_session_is_refused(
    live_server: LiveServer,
    live_users: UserFactory,
    live_http: httpx.AsyncClient,
    sockets: SocketClients,
    credential: str,
) -> None:
    world = await build_world(live_users)
    auth: Json | None = {"token": world.victim.token}
    if credential == "none":
        auth = None
    elif credential == "unknown-token":
        auth = {"token": "x" * 43}
    elif credential == "revoked":
        response = await live_http.post("/api/auth/logout", headers=world.victim.headers)
        assert response.status_code == 204
    elif credential == "expired-absolute":
        past = utcnow() - timedelta(seconds=1)
        await _expire_victims_first_session(live_server, world, expires_at=past)
    else:
        idle = utcnow() - timedelta(days=14, seconds=1)
        await _expire_victims_first_session(live_server, world, last_used_at=idle)

    await _refused(sockets, auth)

    # The victim's live session still connects: the refusal was about the credential.
    assert (await sockets.connect(auth={"token": world.victim_spare.token})).connected


@pytest.mark.parametrize("ending", ["revoked", "expired"])
async def test_a_socket_whose_session_ends_is_disconnected_and_cannot_send(
    live_server: LiveServer,
    live_users: UserFactory,
    live_http: httpx.AsyncClient,
    tabs: Tabs,
    ending: str,
) -> None:
    world = await build_world(live_users)
    doomed = await tabs.open(world.victim)
    friend = await tabs.open(world.friend)

    if ending == "revoked":
        response = await live_http.post("/api/auth/logout", headers=world.victim.headers)
        assert response.status_code == 204
    else:
        past = utcnow() - timedelta(seconds=1)
        await _expire_victims_first_session(live_server, world, expires_at=past)
        await live_server.app.session_sweeper.sweep_once()  # (or the periodic sweep did)

    await wait_until(lambda: not doomed.client.connected, "the socket is disconnected")
    with pytest.raises(socketio.exceptions.SocketIOError):
        await doomed.call("message:send", _sends(world)[0])
    await sentinel(await tabs.open(world.victim_spare), world.group_id, friend)
    assert [m["body"] for m in friend.events.messages(conversation_id=world.group_id)] == [
        "sentinel"
    ]


# --- another user's events on the victim's things --------------------------------------------


def _leaks(world: World, ack: Any) -> list[str]:
    text = json.dumps(ack)
    return [secret for secret in world.secrets if secret in text]


async def _refusals(caller: Tab, world: World, *, as_member: bool) -> list[str]:
    """Every event of the matrix from ``caller`` (an outsider, or a plain member of the
    victim's group) on the victim's world; what went wrong."""
    failures: list[str] = []
    for event, row in EVENTS.items():
        code = row.member if as_member else row.outsider
        if as_member and row.member is None:
            continue  # a member may do it: not a refusal to check
        payloads = (row.member_payloads or row.payloads) if as_member else row.payloads
        for payload, ghost in zip(payloads(world), payloads(world.ghost()), strict=True):
            nonexistent = await caller.call(event, ghost) if code == "not_found" else None
            ack = await caller.call(event, payload)
            where = f"{event} {payload}"
            if leaked := _leaks(world, ack):
                failures.append(f"{where}: the ack carries the victim's {leaked}")
            if code is None:
                if ack.get("ok") is not True:
                    failures.append(f"{where}: refused: {ack}")
            elif ack.get("ok") is not False or ack["error"]["code"] != code:
                failures.append(f"{where}: {ack}, expected {code}")
            elif nonexistent is not None and ack != nonexistent:
                failures.append(f"{where}: {ack} differs from a nonexistent id's {nonexistent}")
    return failures


def _received(tab: Tab) -> list[tuple[str, Any]]:
    """What a tab received, less presence (public, sent to everyone about everyone)."""
    return [(event, data) for event, data in tab.events.received if event != "presence"]


async def _assert_nothing_reached(world: World, victim: Tab, friend: Tab) -> None:
    # Each socket gets events in emission order: once the sentinels arrived, anything the
    # intruder's events caused would have arrived before them.
    from_friend = await sentinel(friend, world.group_id, victim)
    from_victim = await sentinel(victim, world.group_id, friend)
    assert _received(victim) == [("message:new", {"message": from_friend})]
    assert _received(friend) == [("message:new", {"message": from_victim})]


async def test_an_outsiders_events_are_refused_and_reach_nobody(
    live_users: UserFactory, live_http: httpx.AsyncClient, tabs: Tabs
) -> None:
    world = await build_world(live_users)
    before = await victims_view(live_http, world)
    victim, friend = await tabs.open(world.victim_spare), await tabs.open(world.friend)
    outsider = await tabs.open(world.attacker)

    failures = await _refusals(outsider, world, as_member=False)

    assert not failures, "\n".join(failures)
    await _assert_nothing_reached(world, victim, friend)
    after = await victims_view(live_http, world)
    # The sentinels are the only change.
    before_messages = before[f"/api/conversations/{world.group_id}/messages"]["messages"]
    after_messages = after[f"/api/conversations/{world.group_id}/messages"]["messages"]
    assert after_messages[: len(before_messages)] == before_messages
    assert [m["body"] for m in after_messages[len(before_messages) :]] == ["sentinel"] * 2
    direct = f"/api/conversations/{world.direct_id}"
    assert after[f"{direct}/messages"] == before[f"{direct}/messages"]
    for conversation in (direct, f"/api/conversations/{world.group_id}"):
        # Members' online dots changed with the sockets; the rest must not.
        assert after[conversation]["memberships"] == before[conversation]["memberships"]
        assert after[conversation]["title"] == before[conversation]["title"]


async def test_a_plain_members_events_on_the_victims_messages_are_refused(
    live_users: UserFactory, live_http: httpx.AsyncClient, tabs: Tabs
) -> None:
    world = await build_world(live_users)
    before = await victims_view(live_http, world)
    victim, friend = await tabs.open(world.victim_spare), await tabs.open(world.friend)

    failures = await _refusals(friend, world, as_member=True)

    assert not failures, "\n".join(failures)
    direct = f"/api/conversations/{world.direct_id}/messages"
    assert (await victims_view(live_http, world))[direct] == before[direct]
    await _assert_nothing_reached(world, victim, friend)
