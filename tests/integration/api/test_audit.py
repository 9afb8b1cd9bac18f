"""The audit log: an entry for each security event, with address and device and no
secret; each user reads their own, admins read everyone's."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from tests.factories import DEFAULT_PASSWORD, RegisteredUser, UserFactory
from tests.integration.api.conftest import Chat
from vaultroom.app import VaultRoomApp
from vaultroom.models import AuditEvent, AuthSession, User, UserRole

AGENT = "AuditTest/1.0 (X11; Linux x86_64)"
NEW_PASSWORD = "another long and unusual passphrase"

Json = dict[str, Any]


@pytest.fixture
def agent_client(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """The in-process client, with a recognisable User-Agent."""
    client.headers["User-Agent"] = AGENT
    return client


async def own_events(http: httpx.AsyncClient, user: RegisteredUser, **params: Any) -> list[Json]:
    """``GET /api/auth/audit`` as ``user``: the events of one page."""
    response = await http.get("/api/auth/audit", params=params, headers=user.headers)
    assert response.status_code == 200, response.text
    events: list[Json] = response.json()["events"]
    return events


async def stored_rows(app: VaultRoomApp) -> list[AuditEvent]:
    """Every row of ``audit_events``, oldest first."""
    async with app.services.db.snapshot() as session:
        return list(await session.scalars(select(AuditEvent).order_by(AuditEvent.id)))


async def make_admin(app: VaultRoomApp, users: UserFactory) -> RegisteredUser:
    """A user with the ``admin`` role (as ``vaultroom create-user --admin`` makes), signed in."""
    await app.services.accounts.create_user(
        username="root", email="root@example.com", password=DEFAULT_PASSWORD, role=UserRole.ADMIN
    )
    async with app.services.db.snapshot() as session:
        admin_id = await session.scalar(select(User.id).where(User.username == "root"))
    assert admin_id is not None
    token = await users.login("root")
    return RegisteredUser(admin_id, "root", "root@example.com", DEFAULT_PASSWORD, token)


async def test_every_security_event_is_recorded_with_address_and_device(
    agent_client: httpx.AsyncClient, users: UserFactory, chat: Chat, app: VaultRoomApp
) -> None:
    http = agent_client
    alice, bob = await users.create(), await users.create()
    failed = await http.post("/api/auth/login", json={"login": alice.username, "password": "no"})
    await users.login(alice.username)
    await users.login(alice.username)
    sessions = (await http.get("/api/auth/sessions", headers=alice.headers)).json()["sessions"]
    other_id = next(s["id"] for s in sessions if not s["current"])
    revoked = await http.delete(f"/api/auth/sessions/{other_id}", headers=alice.headers)
    changed = await http.post(
        "/api/auth/password",
        json={"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD},
        headers=alice.headers,
    )
    group = await chat.group(alice, bob)
    promoted = await chat.set_role(alice, group["id"], bob, "admin")
    logged_out = await http.post("/api/auth/logout", headers=alice.headers)
    assert [r.status_code for r in (failed, revoked, changed, promoted, logged_out)] == [
        401,
        204,
        204,
        200,
        204,
    ]

    rows = [row for row in await stored_rows(app) if row.user_id == alice.id]
    kinds = [row.kind for row in rows]
    assert kinds == [
        "register",
        "login_failure",
        "login_success",
        "login_success",
        "session_revoked",
        "password_change",
        "role_change",
        "logout",
    ]
    assert all(row.ip == "127.0.0.1" and row.user_agent == AGENT for row in rows)
    by_kind = {row.kind: row.details for row in rows}
    assert by_kind["session_revoked"] == {"session_id": other_id}
    # The password change signed out the other session still open.
    assert by_kind["password_change"] == {"sessions_revoked": 1}
    assert by_kind["role_change"] == {
        "conversation_id": group["id"],
        "member_id": bob.id,
        "from": "member",
        "to": "admin",
    }
    assert by_kind["login_failure"] is None


async def test_a_failed_sign_in_to_no_account_records_the_normalised_login(
    agent_client: httpx.AsyncClient, app: VaultRoomApp
) -> None:
    response = await agent_client.post(
        "/api/auth/login", json={"login": "  Nobody.Here ", "password": "whatever it is"}
    )
    assert response.status_code == 401
    (row,) = await stored_rows(app)
    assert (row.kind, row.user_id, row.details) == ("login_failure", None, {"login": "nobody.here"})
    assert (row.ip, row.user_agent) == ("127.0.0.1", AGENT)


async def test_no_password_token_or_hash_is_ever_stored(
    agent_client: httpx.AsyncClient, users: UserFactory, app: VaultRoomApp
) -> None:
    http = agent_client
    alice = await users.create()
    wrong = "a wrong but plausible passphrase"
    await http.post("/api/auth/login", json={"login": alice.username, "password": wrong})
    await http.post("/api/auth/login", json={"login": "ghost", "password": wrong})
    token = await users.login(alice.username)
    await http.post(
        "/api/auth/password",
        json={"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD},
        headers={"Authorization": f"Bearer {token}"},
    )
    await http.post("/api/auth/logout", headers={"Authorization": f"Bearer {token}"})
    async with app.services.db.snapshot() as session:
        password_hash = await session.scalar(select(User.password_hash))
        token_hashes = list(await session.scalars(select(AuthSession.token_hash)))

    dumped = json.dumps(
        [
            [row.kind, row.user_id, str(row.created_at), row.ip, row.user_agent, row.details]
            for row in await stored_rows(app)
        ]
    )
    assert len(await stored_rows(app)) == 6
    secrets = [DEFAULT_PASSWORD, NEW_PASSWORD, wrong, alice.token, token, password_hash]
    secrets += token_hashes + [hashlib.sha256(t.encode()).hexdigest() for t in (alice.token, token)]
    for secret in secrets:
        assert secret is not None
        assert secret not in dumped
    assert "argon2" not in dumped


async def test_a_user_reads_only_their_own_events_newest_first_in_pages(
    users: UserFactory, client: httpx.AsyncClient
) -> None:
    alice, bob = await users.create(), await users.create()
    for _ in range(3):
        await users.login(alice.username)
    await users.login(bob.username)

    first = await client.get("/api/auth/audit", params={"limit": 2}, headers=alice.headers)
    page = first.json()
    second = await own_events(client, alice, limit=2, cursor=page["next_cursor"])
    everything = await own_events(client, alice)

    assert first.status_code == 200
    assert [e["kind"] for e in everything] == ["login_success"] * 3 + ["register"]
    assert {e["user_id"] for e in everything} == {alice.id}
    assert [e["id"] for e in page["events"] + second] == [e["id"] for e in everything]
    ids = [e["id"] for e in everything]
    assert ids == sorted(ids, reverse=True)
    assert set(everything[0]) == {
        "id",
        "user_id",
        "kind",
        "created_at",
        "ip",
        "user_agent",
        "details",
    }
    bob_events = await own_events(client, bob)
    assert [e["kind"] for e in bob_events] == ["login_success", "register"]


async def test_a_bad_cursor_is_invalid_input(users: UserFactory, client: httpx.AsyncClient) -> None:
    alice = await users.create()
    response = await client.get(
        "/api/auth/audit", params={"cursor": "not-an-id"}, headers=alice.headers
    )
    assert response.status_code == 422
    assert "cursor" in response.json()["error"]["fields"]


async def test_admins_read_every_event_and_filter_by_user(
    users: UserFactory, client: httpx.AsyncClient, app: VaultRoomApp
) -> None:
    alice, bob = await users.create(), await users.create()
    await client.post("/api/auth/login", json={"login": "ghost", "password": "whatever it is"})
    admin = await make_admin(app, users)

    everyone = await client.get("/api/admin/audit", headers=admin.headers)
    only_bob = await client.get(
        "/api/admin/audit", params={"user_id": bob.id}, headers=admin.headers
    )

    assert everyone.status_code == 200, everyone.text
    owners = [event["user_id"] for event in everyone.json()["events"]]
    assert {alice.id, bob.id, admin.id, None} <= set(owners)
    assert [e["kind"] for e in only_bob.json()["events"]] == ["register"]


async def test_the_admin_log_is_refused_to_users_and_to_strangers(
    users: UserFactory, client: httpx.AsyncClient
) -> None:
    alice = await users.create()

    as_user = await client.get("/api/admin/audit", headers=alice.headers)
    anonymous = await client.get("/api/admin/audit")
    own_anonymous = await client.get("/api/auth/audit")

    assert as_user.status_code == 403
    assert as_user.json()["error"]["code"] == "forbidden"
    assert anonymous.status_code == 401
    assert own_anonymous.status_code == 401


async def test_the_audit_routes_are_in_the_openapi_schema(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/api/openapi.json")).json()
    for path in ("/api/auth/audit", "/api/admin/audit"):
        ok = schema["paths"][path]["get"]["responses"]["200"]
        assert ok["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/AuditPage"
        }
    kinds = schema["components"]["schemas"]["AuditKind"]["enum"]
    assert {"register", "login_failure", "two_factor_enabled", "recovery_code_used"} <= set(kinds)
