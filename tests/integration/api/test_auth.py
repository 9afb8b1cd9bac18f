"""Registering, signing in and out, sessions and passwords over REST."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import timedelta

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import select, update

from tests.factories import DEFAULT_PASSWORD, UserFactory
from vaultroom.app import VaultRoomApp, create_app
from vaultroom.models import AuthSession, User
from vaultroom.models.base import utcnow


async def test_register_returns_the_user_a_token_and_an_httponly_cookie(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/api/auth/register",
        json={
            "username": "Alice",
            "email": "Alice@Example.com",
            "password": DEFAULT_PASSWORD,
            "display_name": "Alice Liddell",
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert body["user"]["username"] == "alice"
    assert body["user"]["display_name"] == "Alice Liddell"
    assert body["user"]["email"] == "Alice@example.com"
    assert body["user"]["role"] == "user"
    assert "password" not in response.text and "hash" not in response.text
    assert len(body["token"]) >= 43  # 32 random bytes, base64url
    cookie = response.headers["set-cookie"].lower()
    assert f"vaultroom_session={body['token'].lower()}" in cookie
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie


async def test_me_answers_with_the_bearer_token(users: UserFactory) -> None:
    alice = await users.create("alice")
    response = await users.client.get("/api/auth/me", headers=alice.headers)
    assert response.status_code == 200
    assert response.json()["username"] == "alice"
    assert response.json()["email"] == "alice@example.com"


async def test_the_database_keeps_only_the_sha256_of_the_token(
    users: UserFactory, app: VaultRoomApp
) -> None:
    alice = await users.create()
    async with app.services.db.snapshot() as session:
        hashes = list(await session.scalars(select(AuthSession.token_hash)))
    assert hashes == [hashlib.sha256(alice.token.encode()).hexdigest()]


@pytest.mark.parametrize("taken", ["alice", "ALICE", "Alice"])
async def test_a_taken_username_in_any_case_is_a_conflict(users: UserFactory, taken: str) -> None:
    await users.create("alice")
    response = await users.client.post(
        "/api/auth/register",
        json={"username": taken, "email": "other@example.com", "password": DEFAULT_PASSWORD},
    )
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "username_taken"
    assert "username" in error["fields"]


@pytest.mark.parametrize("taken", ["alice@example.com", "ALICE@EXAMPLE.COM", "Alice@example.COM"])
async def test_a_taken_email_in_any_case_is_a_conflict(users: UserFactory, taken: str) -> None:
    await users.create("alice", email="alice@example.com")
    response = await users.client.post(
        "/api/auth/register",
        json={"username": "bob", "email": taken, "password": DEFAULT_PASSWORD},
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "email_taken"
    assert "email" in response.json()["error"]["fields"]


VALID = {"username": "carol", "email": "carol@example.com", "password": DEFAULT_PASSWORD}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"username": "ab"}, "username"),
        ({"username": "x" * 33}, "username"),
        ({"username": "bad name"}, "username"),
        ({"username": "émile"}, "username"),
        ({"username": 42}, "username"),
        ({"email": "not-an-email"}, "email"),
        ({"email": "a@" + "b" * 250 + ".com"}, "email"),
        ({"password": "short1!"}, "password"),
        ({"password": "x" * 257}, "password"),
        ({"password": "password1"}, "password"),
        ({"password": "iloveyou"}, "password"),
        ({"password": "carolcarol", "username": "carolcarol"}, "password"),
        ({"password": "carol@example.com"}, "password"),
        ({"display_name": "x" * 65}, "display_name"),
        ({"display_name": "bell\u0007"}, "display_name"),
        ({"display_name": "admin\u202egnp.exe"}, "display_name"),
        ({"username": None}, "username"),
    ],
)
async def test_each_invalid_field_is_named_in_a_422(
    client: httpx.AsyncClient, change: dict[str, object], field: str
) -> None:
    response = await client.post("/api/auth/register", json={**VALID, **change})
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_input"
    assert field in error["fields"]


@pytest.mark.parametrize("missing", ["username", "email", "password"])
async def test_a_missing_field_is_named(client: httpx.AsyncClient, missing: str) -> None:
    body = {key: value for key, value in VALID.items() if key != missing}
    response = await client.post("/api/auth/register", json=body)
    assert response.status_code == 422
    assert missing in response.json()["error"]["fields"]


async def test_display_names_in_any_script_are_kept(users: UserFactory) -> None:
    name = "Zoë 李小龙 مرحبا Ёжик 🚀 👨\u200d👩\u200d👧 می\u200cخواهم"  # noqa: RUF001
    user = await users.create(display_name=name)
    me = await users.client.get("/api/auth/me", headers=user.headers)
    assert me.json()["display_name"] == name


@pytest.mark.parametrize(
    "text",
    [
        "Robert'); DROP TABLE users;--",
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "' OR '1'='1",
    ],
)
async def test_sql_and_html_looking_input_is_stored_and_returned_verbatim(
    users: UserFactory, text: str
) -> None:
    author = await users.create(display_name=text)
    viewer = await users.create()
    me = await users.client.get("/api/auth/me", headers=author.headers)
    assert me.json()["display_name"] == text
    listed = await users.client.get("/api/users", headers=viewer.headers)
    assert {user["display_name"] for user in listed.json()["users"]} == {text}


async def test_sql_looking_login_is_just_a_wrong_login(users: UserFactory) -> None:
    await users.create("alice")
    response = await users.client.post(
        "/api/auth/login", json={"login": "alice' OR '1'='1", "password": "' OR '1'='1"}
    )
    assert response.status_code == 401


@pytest.mark.parametrize("login", ["alice", "ALICE", "alice@example.com", "Alice@Example.COM"])
async def test_login_by_username_or_email_in_any_case(users: UserFactory, login: str) -> None:
    await users.create("alice")
    response = await users.client.post(
        "/api/auth/login", json={"login": login, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["user"]["username"] == "alice"
    assert body["token"] and body["expires_at"]


async def test_wrong_password_and_unknown_user_get_the_same_answer(users: UserFactory) -> None:
    await users.create("alice")
    wrong = await users.client.post(
        "/api/auth/login", json={"login": "alice", "password": "not the password"}
    )
    unknown = await users.client.post(
        "/api/auth/login", json={"login": "nobody", "password": "not the password"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json()["error"]["code"] == "invalid_credentials"


async def test_logout_revokes_the_token_on_the_server(users: UserFactory) -> None:
    alice = await users.create()
    response = await users.client.post("/api/auth/logout", headers=alice.headers)
    assert response.status_code == 204
    again = await users.client.get("/api/auth/me", headers=alice.headers)
    assert again.status_code == 401
    assert again.json()["error"]["code"] == "unauthorized"


async def test_logout_leaves_other_sessions_signed_in(users: UserFactory) -> None:
    alice = await users.create("alice")
    second = await users.login("alice")
    await users.client.post("/api/auth/logout", headers=alice.headers)
    still = await users.client.get("/api/auth/me", headers={"Authorization": f"Bearer {second}"})
    assert still.status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer "},
        {"Authorization": "Bearer not-a-real-token"},
        {"Authorization": "Basic YWxpY2U6cGFzc3dvcmQ="},
        {"Authorization": "Bearer " + "x" * 5000},
    ],
)
async def test_missing_or_unknown_credentials_are_401(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await client.get("/api/auth/me", headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


@pytest.mark.parametrize(
    "expire",
    [
        {"expires_at": utcnow() - timedelta(seconds=1)},
        {"last_used_at": utcnow() - timedelta(days=14, seconds=1)},
    ],
    ids=["absolute", "idle"],
)
async def test_an_expired_token_is_401(
    users: UserFactory, app: VaultRoomApp, expire: dict[str, object]
) -> None:
    alice = await users.create()
    async with app.services.db.transaction() as session:
        await session.execute(update(AuthSession).values(**expire))
    response = await users.client.get("/api/auth/me", headers=alice.headers)
    assert response.status_code == 401


async def test_sessions_are_listed_without_tokens_and_current_is_marked(
    users: UserFactory,
) -> None:
    alice = await users.create("alice")
    await users.login("alice")
    response = await users.client.get(
        "/api/auth/sessions", headers={**alice.headers, "User-Agent": "pytest-agent"}
    )
    assert response.status_code == 200
    sessions = response.json()["sessions"]
    assert len(sessions) == 2
    assert [s["current"] for s in sessions].count(True) == 1
    assert alice.token not in response.text
    assert {"id", "created_at", "last_used_at", "expires_at", "user_agent", "ip"} <= set(
        sessions[0]
    )


async def test_revoking_a_session_signs_it_out(users: UserFactory) -> None:
    alice = await users.create("alice")
    other_token = await users.login("alice")
    other = {"Authorization": f"Bearer {other_token}"}
    listed = (await users.client.get("/api/auth/sessions", headers=alice.headers)).json()
    other_id = next(s["id"] for s in listed["sessions"] if not s["current"])
    response = await users.client.delete(f"/api/auth/sessions/{other_id}", headers=alice.headers)
    assert response.status_code == 204
    assert (await users.client.get("/api/auth/me", headers=other)).status_code == 401
    assert (await users.client.get("/api/auth/me", headers=alice.headers)).status_code == 200
    remaining = (await users.client.get("/api/auth/sessions", headers=alice.headers)).json()
    assert [s["id"] for s in remaining["sessions"]] != [other_id]
    assert len(remaining["sessions"]) == 1


async def test_another_users_session_cannot_be_revoked(users: UserFactory) -> None:
    alice = await users.create()
    mallory = await users.create()
    alice_sessions = (await users.client.get("/api/auth/sessions", headers=alice.headers)).json()
    target = alice_sessions["sessions"][0]["id"]
    response = await users.client.delete(f"/api/auth/sessions/{target}", headers=mallory.headers)
    assert response.status_code == 404
    assert (await users.client.get("/api/auth/me", headers=alice.headers)).status_code == 200


async def test_password_change_revokes_every_other_session(users: UserFactory) -> None:
    alice = await users.create("alice")
    other_token = await users.login("alice")
    new_password = "a different long passphrase"
    response = await users.client.post(
        "/api/auth/password",
        headers=alice.headers,
        json={"current_password": DEFAULT_PASSWORD, "new_password": new_password},
    )
    assert response.status_code == 204
    other = {"Authorization": f"Bearer {other_token}"}
    assert (await users.client.get("/api/auth/me", headers=other)).status_code == 401
    assert (await users.client.get("/api/auth/me", headers=alice.headers)).status_code == 200
    old = await users.client.post(
        "/api/auth/login", json={"login": "alice", "password": DEFAULT_PASSWORD}
    )
    assert old.status_code == 401
    assert await users.login("alice", new_password)


async def test_password_change_needs_the_current_password(users: UserFactory) -> None:
    alice = await users.create()
    response = await users.client.post(
        "/api/auth/password",
        headers=alice.headers,
        json={"current_password": "wrong guess here", "new_password": "a different passphrase"},
    )
    assert response.status_code == 422
    assert "current_password" in response.json()["error"]["fields"]


async def test_password_change_applies_the_password_policy(users: UserFactory) -> None:
    alice = await users.create()
    response = await users.client.post(
        "/api/auth/password",
        headers=alice.headers,
        json={"current_password": DEFAULT_PASSWORD, "new_password": "password123"},
    )
    assert response.status_code == 422
    assert "new_password" in response.json()["error"]["fields"]


async def test_login_rehashes_when_the_argon2_parameters_change(
    users: UserFactory, app: VaultRoomApp
) -> None:
    await users.create("alice")
    stronger = app.services.settings.model_copy(update={"argon2_time_cost": 3})
    other_node = create_app(stronger)
    async with LifespanManager(other_node):
        transport = httpx.ASGITransport(app=other_node)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            response = await http.post(
                "/api/auth/login", json={"login": "alice", "password": DEFAULT_PASSWORD}
            )
            assert response.status_code == 200
        async with other_node.services.db.snapshot() as session:
            stored = await session.scalar(select(User.password_hash))
    assert stored is not None and stored.startswith("$argon2id$") and ",t=3," in stored
    assert await users.login("alice")


async def test_concurrent_registrations_all_land(client: httpx.AsyncClient) -> None:
    async def register(index: int) -> int:
        response = await client.post(
            "/api/auth/register",
            json={
                "username": f"crowd{index}",
                "email": f"crowd{index}@example.com",
                "password": DEFAULT_PASSWORD,
            },
        )
        return response.status_code

    statuses = await asyncio.gather(*(register(index) for index in range(20)))
    assert statuses == [201] * 20


async def test_racing_for_one_username_gives_one_account_and_conflicts(
    client: httpx.AsyncClient, app: VaultRoomApp
) -> None:
    async def register(index: int) -> int:
        response = await client.post(
            "/api/auth/register",
            json={
                "username": "samename",
                "email": f"racer{index}@example.com",
                "password": DEFAULT_PASSWORD,
            },
        )
        return response.status_code

    statuses = await asyncio.gather(*(register(index) for index in range(8)))
    assert sorted(statuses) == [201] + [409] * 7
    async with app.services.db.snapshot() as session:
        names = list(await session.scalars(select(User.username)))
    assert names == ["samename"]
