"""Edge cases of accounts and input: races, control characters, case folding, cookies."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import text

from tests.factories import DEFAULT_PASSWORD, UserFactory
from vaultroom.app import VaultRoomApp, create_app
from vaultroom.settings import Settings

NEW_PASSWORD = "a different long passphrase"


async def test_a_sign_in_racing_a_password_change_never_survives_it(
    users: UserFactory, app: VaultRoomApp
) -> None:
    alice = await users.create("alice")

    async def sign_in_with_the_old_password() -> str | None:
        response = await users.client.post(
            "/api/auth/login", json={"login": "alice", "password": DEFAULT_PASSWORD}
        )
        return response.json()["token"] if response.status_code == 200 else None

    changed = asyncio.Event()

    async def keep_signing_in() -> list[str | None]:
        # Sign-ins that start before the change commits and end after it are
        # the ones a missing lock would let through.
        tokens = []
        while not changed.is_set():
            tokens.append(await sign_in_with_the_old_password())
        return tokens

    workers = [asyncio.create_task(keep_signing_in()) for _ in range(4)]
    await asyncio.sleep(0)
    response = await users.client.post(
        "/api/auth/password",
        headers=alice.headers,
        json={"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD},
    )
    changed.set()
    results = [token for tokens in await asyncio.gather(*workers) for token in tokens]
    users.client.cookies.clear()
    assert response.status_code == 204
    stolen = [token for token in results if token is not None]
    for token in stolen:
        response = await users.client.get(
            "/api/auth/me", headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 401, "a session opened with the old password survived"
    assert (await users.client.get("/api/auth/me", headers=alice.headers)).status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("POST", "/api/auth/login", {"json": {"login": "a\u0000b", "password": "x"}}),
        ("POST", "/api/auth/login", {"json": {"login": "a\u0007b", "password": "x"}}),
        ("GET", "/api/users", {"params": {"q": "a\u0000"}}),
        ("GET", "/api/users", {"params": {"cursor": "\u0000"}}),
        (
            "POST",
            "/api/auth/register",
            {
                "json": {
                    "username": "nul",
                    "email": "nul@example.com",
                    "password": DEFAULT_PASSWORD,
                    "display_name": "a\u0000b",
                }
            },
        ),
    ],
)
async def test_control_characters_are_422_on_every_database(
    users: UserFactory, method: str, path: str, kwargs: dict[str, object]
) -> None:
    me = await users.create()
    response = await users.client.request(method, path, headers=me.headers, **kwargs)  # type: ignore[arg-type]
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_input"


async def test_emails_are_case_folded_beyond_ascii(users: UserFactory) -> None:
    await users.create("umlaut", email="Äbc@example.com")
    login = await users.client.post(
        "/api/auth/login", json={"login": "äbc@EXAMPLE.com", "password": DEFAULT_PASSWORD}
    )
    assert login.status_code == 200
    users.client.cookies.clear()
    again = await users.client.post(
        "/api/auth/register",
        json={"username": "other", "email": "äbc@example.com", "password": DEFAULT_PASSWORD},
    )
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "email_taken"


async def test_an_unknown_login_still_runs_argon2(
    users: UserFactory, app: VaultRoomApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    hasher = app.services.accounts._hasher
    real = hasher._argon2
    calls: list[str] = []

    class CountingArgon2:
        def verify(self, password_hash: str, password: str) -> bool:
            calls.append(password_hash)
            return real.verify(password_hash, password)

    monkeypatch.setattr(hasher, "_argon2", CountingArgon2())
    response = await users.client.post(
        "/api/auth/login", json={"login": "nobody-at-all", "password": "whatever it is"}
    )
    assert response.status_code == 401
    assert len(calls) == 1
    assert calls[0].startswith("$argon2id$")


async def test_over_https_the_cookie_is_host_prefixed_and_secure(app: VaultRoomApp) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as browser:
        response = await browser.post(
            "/api/auth/register",
            json={"username": "tls", "email": "tls@example.com", "password": DEFAULT_PASSWORD},
            headers={"Origin": "https://testserver"},
        )
        assert response.status_code == 201
        cookie = response.headers["set-cookie"]
        assert cookie.startswith("__Host-vaultroom_session=")
        assert "Secure" in cookie
        assert "Domain" not in cookie
        assert (await browser.get("/api/auth/me")).status_code == 200
        refused = await browser.post("/api/auth/logout", headers={"Origin": "http://testserver"})
        assert refused.status_code == 403


async def test_sqlite_runs_in_wal_mode_with_foreign_keys_and_a_busy_timeout(
    sqlite_template: Path, tmp_path: Path
) -> None:
    database = tmp_path / "vaultroom.db"
    shutil.copyfile(sqlite_template, database)
    node = create_app(Settings(database_url=f"sqlite+aiosqlite:///{database}"))
    async with LifespanManager(node), node.services.db.snapshot() as session:
        journal = await session.scalar(text("PRAGMA journal_mode"))
        foreign_keys = await session.scalar(text("PRAGMA foreign_keys"))
        busy = await session.scalar(text("PRAGMA busy_timeout"))
    assert journal == "wal"
    assert foreign_keys == 1
    assert busy == node.services.settings.sqlite_busy_timeout_ms


async def test_the_web_app_is_served_with_index_fallback_and_real_asset_404s(
    client: httpx.AsyncClient, app: VaultRoomApp
) -> None:
    web: Path = app.services.settings.web_dir
    (web / "assets").mkdir(parents=True)
    (web / "index.html").write_text("<!doctype html><title>VaultRoom</title>")
    (web / "assets" / "index-abc123.js").write_text("console.log(1)")

    for path in ["/", "/login", "/some/client/route"]:
        page = await client.get(path)
        assert page.status_code == 200
        assert "<title>VaultRoom</title>" in page.text
        assert page.headers["cache-control"] == "no-cache"
    asset = await client.get("/assets/index-abc123.js")
    assert asset.status_code == 200
    assert "immutable" in asset.headers["cache-control"]
    assert (await client.get("/assets/index-old999.js")).status_code == 404
    assert (
        (await client.get("/api/nothing-here"))
        .headers["content-type"]
        .startswith("application/json")
    )
