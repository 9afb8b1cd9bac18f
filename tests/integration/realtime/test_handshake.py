"""The Socket.IO handshake over a real socket: who may connect, rooms, presence, revocation."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import aiohttp
import httpx
import pytest
import socketio
from sqlalchemy import update

from tests.factories import DEFAULT_PASSWORD, RegisteredUser, UserFactory
from tests.integration.realtime.conftest import WAIT_SECONDS, LiveServer, SocketClients, wait_until
from vaultroom.models import AuthSession
from vaultroom.models.base import utcnow

FOREIGN_ORIGIN = "http://evil.example"
NEW_PASSWORD = "an entirely different passphrase"


def participants(server: LiveServer, room: str) -> set[str]:
    """The Socket.IO sids in a room of the default namespace."""
    return {sid for sid, _eio_sid in server.app.sio.manager.get_participants("/", room)}


def record_connect_errors(client: socketio.AsyncClient) -> list[Any]:
    """Collect the data of every ``connect_error`` the client sees."""
    errors: list[Any] = []

    async def on_connect_error(data: Any = None) -> None:
        errors.append(data)

    client.on("connect_error", on_connect_error)
    return errors


async def refusal(
    sockets: SocketClients,
    *,
    auth: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> list[Any]:
    """Attempt a handshake that must be refused; the ``connect_error`` data seen."""
    client = sockets.new()
    errors = record_connect_errors(client)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await sockets.connect(client, auth=auth, headers=headers)
    assert not client.connected
    return errors


async def public_user(http: httpx.AsyncClient, viewer: RegisteredUser, user_id: int) -> Any:
    """A user as another user sees them over REST."""
    response = await http.get(f"/api/users/{user_id}", headers=viewer.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def session_ids(http: httpx.AsyncClient, token: str) -> tuple[int, list[int]]:
    """The id of the session behind ``token`` and the ids of the user's other sessions."""
    response = await http.get("/api/auth/sessions", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    sessions = response.json()["sessions"]
    current = [session["id"] for session in sessions if session["current"]]
    others = [session["id"] for session in sessions if not session["current"]]
    assert len(current) == 1
    return current[0], others


# --- accepted handshakes ---------------------------------------------------------------------


async def test_a_token_handshake_joins_the_users_room_and_marks_them_online(
    live_server: LiveServer, live_users: UserFactory, sockets: SocketClients
) -> None:
    alice = await live_users.create()
    assert not live_server.services.presence.is_online(alice.id)

    client = await sockets.connect(auth={"token": alice.token})

    sid = client.get_sid("/")
    assert client.connected
    assert sid in participants(live_server, f"user:{alice.id}")
    assert f"user:{alice.id}" in live_server.app.sio.rooms(sid)
    assert live_server.services.presence.is_online(alice.id)


async def test_the_user_goes_offline_with_a_new_last_seen_when_their_last_socket_closes(
    live_server: LiveServer,
    live_users: UserFactory,
    live_http: httpx.AsyncClient,
    sockets: SocketClients,
) -> None:
    alice = await live_users.create()
    bob = await live_users.create()
    first = await sockets.connect(auth={"token": alice.token})
    second = await sockets.connect(auth={"token": await live_users.login(alice.username)})
    seen_by_bob = await public_user(live_http, bob, alice.id)
    assert seen_by_bob["online"] is True
    online_since = seen_by_bob["last_seen_at"]
    assert online_since is not None
    room = f"user:{alice.id}"

    await first.disconnect()
    await wait_until(lambda: len(participants(live_server, room)) == 1, "one socket is left")
    assert live_server.services.presence.is_online(alice.id)
    assert (await public_user(live_http, bob, alice.id))["last_seen_at"] == online_since

    await second.disconnect()
    await wait_until(
        lambda: not live_server.services.presence.is_online(alice.id), "alice is offline"
    )
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_SECONDS
    while (seen_by_bob := await public_user(live_http, bob, alice.id))["online"]:
        assert loop.time() < deadline, "alice never showed offline"
        await asyncio.sleep(0.05)
    assert seen_by_bob["last_seen_at"] >= online_since


async def test_a_same_origin_handshake_is_accepted(
    live_server: LiveServer, live_users: UserFactory, sockets: SocketClients
) -> None:
    alice = await live_users.create()

    client = await sockets.connect(
        auth={"token": alice.token}, headers={"Origin": live_server.origin}
    )

    assert client.get_sid("/") in participants(live_server, f"user:{alice.id}")


async def test_a_cookie_handshake_with_the_servers_own_origin_is_accepted(
    live_server: LiveServer, live_users: UserFactory, sockets: SocketClients
) -> None:
    alice = await live_users.create()

    client = await sockets.connect(
        headers={"Cookie": f"vaultroom_session={alice.token}", "Origin": live_server.origin}
    )

    assert client.get_sid("/") in participants(live_server, f"user:{alice.id}")
    assert live_server.services.presence.is_online(alice.id)


# --- refused handshakes ----------------------------------------------------------------------


async def test_a_handshake_without_credentials_is_refused(sockets: SocketClients) -> None:
    errors = await refusal(sockets)

    assert len(errors) == 1


async def test_a_handshake_with_a_garbage_token_is_refused(sockets: SocketClients) -> None:
    errors = await refusal(sockets, auth={"token": "not-a-token-we-ever-issued"})

    assert len(errors) == 1


async def test_a_handshake_with_an_oversized_token_is_refused(sockets: SocketClients) -> None:
    errors = await refusal(sockets, auth={"token": "x" * 10_000})

    assert len(errors) == 1


async def test_a_handshake_with_a_logged_out_token_is_refused(
    live_server: LiveServer,
    live_users: UserFactory,
    live_http: httpx.AsyncClient,
    sockets: SocketClients,
) -> None:
    alice = await live_users.create()
    response = await live_http.post("/api/auth/logout", headers=alice.headers)
    assert response.status_code == 204

    errors = await refusal(sockets, auth={"token": alice.token})

    assert len(errors) == 1
    assert not live_server.services.presence.is_online(alice.id)


@pytest.mark.parametrize(
    ("column", "age"),
    [
        pytest.param("expires_at", timedelta(seconds=1), id="past-absolute-expiry"),
        pytest.param("last_used_at", timedelta(days=15), id="idle-too-long"),
    ],
)
async def test_a_handshake_with_an_expired_token_is_refused(
    live_server: LiveServer,
    live_users: UserFactory,
    sockets: SocketClients,
    column: str,
    age: timedelta,
) -> None:
    alice = await live_users.create()
    async with live_server.services.db.transaction() as session:
        await session.execute(
            update(AuthSession)
            .where(AuthSession.user_id == alice.id)
            .values({column: utcnow() - age})
        )

    errors = await refusal(sockets, auth={"token": alice.token})

    assert len(errors) == 1
    assert not live_server.services.presence.is_online(alice.id)


async def test_a_foreign_origin_handshake_is_refused_even_with_a_valid_token(
    live_server: LiveServer, live_users: UserFactory, sockets: SocketClients
) -> None:
    alice = await live_users.create()

    # Refused by Engine.IO before the Socket.IO handshake: the client only
    # sees a failed websocket upgrade, so there is no error code to check.
    await refusal(sockets, auth={"token": alice.token}, headers={"Origin": FOREIGN_ORIGIN})

    assert not live_server.services.presence.is_online(alice.id)
    assert participants(live_server, f"user:{alice.id}") == set()


async def test_a_cookie_handshake_from_a_foreign_origin_is_refused(
    live_server: LiveServer, live_users: UserFactory, sockets: SocketClients
) -> None:
    alice = await live_users.create()

    await refusal(
        sockets,
        headers={"Cookie": f"vaultroom_session={alice.token}", "Origin": FOREIGN_ORIGIN},
    )

    assert not live_server.services.presence.is_online(alice.id)


async def test_a_cookie_handshake_without_an_origin_is_refused(
    live_server: LiveServer, live_users: UserFactory, sockets: SocketClients
) -> None:
    alice = await live_users.create()

    errors = await refusal(sockets, headers={"Cookie": f"vaultroom_session={alice.token}"})

    assert len(errors) == 1
    assert not live_server.services.presence.is_online(alice.id)


def refusal_code(data: Any) -> Any:
    """The error code in ``connect_error`` data: at the top level or under ``data``."""
    if not isinstance(data, dict):
        return None
    nested = data.get("data")
    return data.get("code") or (nested.get("code") if isinstance(nested, dict) else None)


@pytest.mark.parametrize(
    ("credentials", "code"),
    [
        pytest.param({}, "unauthorized", id="no-credentials"),
        pytest.param({"auth": {"token": "garbage"}}, "unauthorized", id="garbage-token"),
        pytest.param(
            {"headers": {"Cookie": "vaultroom_session=whatever"}},
            "origin_required",
            id="cookie-without-origin",
        ),
    ],
)
async def test_a_refused_handshake_tells_the_client_the_error_code(
    sockets: SocketClients, credentials: dict[str, Any], code: str
) -> None:
    errors = await refusal(sockets, **credentials)

    assert [refusal_code(error) for error in errors] == [code]


# --- revoked sessions ------------------------------------------------------------------------


async def revoke_by_deleting_the_session(
    http: httpx.AsyncClient, user: RegisteredUser, doomed_token: str, kept_token: str
) -> None:
    doomed_id, _ = await session_ids(http, doomed_token)
    response = await http.delete(
        f"/api/auth/sessions/{doomed_id}", headers={"Authorization": f"Bearer {kept_token}"}
    )
    assert response.status_code == 204, response.text


async def revoke_by_changing_the_password(
    http: httpx.AsyncClient, user: RegisteredUser, doomed_token: str, kept_token: str
) -> None:
    response = await http.post(
        "/api/auth/password",
        json={"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD},
        headers={"Authorization": f"Bearer {kept_token}"},
    )
    assert response.status_code == 204, response.text


async def revoke_by_logging_out(
    http: httpx.AsyncClient, user: RegisteredUser, doomed_token: str, kept_token: str
) -> None:
    response = await http.post(
        "/api/auth/logout", headers={"Authorization": f"Bearer {doomed_token}"}
    )
    assert response.status_code == 204, response.text


@pytest.mark.parametrize(
    "revoke",
    [revoke_by_deleting_the_session, revoke_by_changing_the_password, revoke_by_logging_out],
    ids=["delete-session", "change-password", "logout"],
)
async def test_revoking_a_session_disconnects_its_sockets_and_keeps_the_others(
    live_server: LiveServer,
    live_users: UserFactory,
    live_http: httpx.AsyncClient,
    sockets: SocketClients,
    revoke: Any,
) -> None:
    alice = await live_users.create()
    doomed_token = alice.token
    kept_token = await live_users.login(alice.username)
    doomed_id, _ = await session_ids(live_http, doomed_token)
    kept_id, _ = await session_ids(live_http, kept_token)

    doomed = sockets.new()
    revocations: list[Any] = []
    doomed.on("session:revoked", revocations.append)
    await sockets.connect(doomed, auth={"token": doomed_token})
    kept = sockets.new()
    kept_revocations: list[Any] = []
    kept.on("session:revoked", kept_revocations.append)
    pings: list[Any] = []
    kept.on("test:ping", pings.append)
    await sockets.connect(kept, auth={"token": kept_token})
    kept_sid = kept.get_sid("/")

    await revoke(live_http, alice, doomed_token, kept_token)

    await wait_until(lambda: not doomed.connected, "the revoked socket is disconnected")
    assert revocations == [{"session_id": doomed_id}]
    assert participants(live_server, f"session:{doomed_id}") == set()
    assert kept.connected
    assert kept_revocations == []
    assert participants(live_server, f"session:{kept_id}") == {kept_sid}
    assert participants(live_server, f"user:{alice.id}") == {kept_sid}
    assert live_server.services.presence.is_online(alice.id)
    # The kept socket still receives what the server sends to the user.
    await live_server.app.sio.emit("test:ping", {"n": 1}, room=f"user:{alice.id}")
    await wait_until(lambda: pings == [{"n": 1}], "the kept socket got the ping")


async def test_the_revoked_token_cannot_open_a_new_socket(
    live_users: UserFactory, live_http: httpx.AsyncClient, sockets: SocketClients
) -> None:
    alice = await live_users.create()
    kept_token = await live_users.login(alice.username)
    await revoke_by_deleting_the_session(live_http, alice, alice.token, kept_token)

    errors = await refusal(sockets, auth={"token": alice.token})

    assert len(errors) == 1
    assert (await sockets.connect(auth={"token": kept_token})).connected


async def test_a_client_that_leaves_during_its_handshake_is_never_left_online(
    live_server: LiveServer, live_users: UserFactory
) -> None:
    """Raw engine.io clients send their Socket.IO CONNECT and hang up at once: however
    the close and the handshake interleave, none stays counted or in a room."""
    alice = await live_users.create()
    url = f"ws://127.0.0.1:{live_server.port}/socket.io/?EIO=4&transport=websocket"
    async with aiohttp.ClientSession() as http:
        for _ in range(20):
            async with http.ws_connect(url) as ws:
                await ws.receive()  # engine.io "open"
                await ws.send_str("40" + json.dumps({"token": alice.token}))

    sio = live_server.app.sio
    await wait_until(
        lambda: not sio.eio.sockets and not sio.manager.pending_connect.get("/"),
        "every handshake is over",
    )
    await live_server.services.presence.settled()
    assert not live_server.services.presence.is_online(alice.id)
    assert participants(live_server, "signed-in") == set()
    assert participants(live_server, f"user:{alice.id}") == set()
