"""Throttles: failed sign-ins per account and per address, registrations per address,
REST requests per user. Each test builds a node with small limits and reaches it from
addresses of its choosing (loopback, the default test client, is exempt by default)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from asgi_lifespan import LifespanManager

from tests.factories import DEFAULT_PASSWORD, UserFactory
from vaultroom.app import create_app
from vaultroom.settings import Settings

ATTACKER = "203.0.113.7"
BYSTANDER = "198.51.100.23"
# A bound for polling until a block ends (never asserted on).
WAIT_SECONDS = 30.0


@asynccontextmanager
async def node(
    database_url: str, tmp_path: Path, **overrides: Any
) -> AsyncIterator[Callable[[str], httpx.AsyncClient]]:
    """A node with these settings; the function gives a client calling from an address."""
    settings = Settings(database_url=database_url, web_dir=tmp_path / "web", **overrides)
    application = create_app(settings)
    async with LifespanManager(application), AsyncExitStack() as stack:
        clients: dict[str, httpx.AsyncClient] = {}

        def from_ip(ip: str) -> httpx.AsyncClient:
            if ip not in clients:
                transport = httpx.ASGITransport(app=application, client=(ip, 40000))
                clients[ip] = httpx.AsyncClient(transport=transport, base_url="http://testserver")
                stack.push_async_callback(clients[ip].aclose)
            return clients[ip]

        yield from_ip


async def sign_in(http: httpx.AsyncClient, login: str, password: str) -> httpx.Response:
    """POST /api/auth/login (cookies dropped, each call stands alone)."""
    response = await http.post("/api/auth/login", json={"login": login, "password": password})
    http.cookies.clear()
    return response


def assert_throttled(response: httpx.Response) -> None:
    """A 429 in the contract's shape, with a Retry-After in whole seconds."""
    assert response.status_code == 429, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == "rate_limited"
    assert body["error"]["message"]
    assert int(response.headers["Retry-After"]) >= 1


async def fail_sign_ins(http: httpx.AsyncClient, login: str, times: int) -> None:
    """``times`` sign-ins with a wrong password, each refused with 401."""
    for _ in range(times):
        response = await sign_in(http, login, "not the password at all")
        assert response.status_code == 401, response.text


async def until_signed_in(http: httpx.AsyncClient, login: str) -> httpx.Response:
    """Poll sign-ins with the right password until one is accepted (the block ended)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_SECONDS
    while True:
        response = await sign_in(http, login, DEFAULT_PASSWORD)
        if response.status_code != 429 or loop.time() > deadline:
            return response
        await asyncio.sleep(0.2)


async def test_after_five_failures_an_account_is_blocked_even_for_the_right_password_then_freed(
    database_url: str, tmp_path: Path
) -> None:
    async with node(database_url, tmp_path, login_failure_account_limit="5/2 seconds") as at:
        victim = await UserFactory(at(BYSTANDER)).create()
        await fail_sign_ins(at(ATTACKER), victim.username, 5)

        blocked = await sign_in(at(ATTACKER), victim.username, DEFAULT_PASSWORD)
        by_email = await sign_in(at(BYSTANDER), victim.email.upper(), DEFAULT_PASSWORD)

        assert_throttled(blocked)
        # The block is on the account, whatever it is called by and from wherever.
        assert_throttled(by_email)
        # No permanent lockout: the block ends by itself.
        assert (await until_signed_in(at(BYSTANDER), victim.username)).status_code == 200


async def test_an_accounts_block_does_not_touch_other_accounts_from_the_same_address(
    database_url: str, tmp_path: Path
) -> None:
    async with node(database_url, tmp_path, login_failure_account_limit="5/hour") as at:
        factory = UserFactory(at(BYSTANDER))
        victim, colleague = await factory.create(), await factory.create()
        await fail_sign_ins(at(ATTACKER), victim.username, 5)

        assert_throttled(await sign_in(at(ATTACKER), victim.username, DEFAULT_PASSWORD))
        other = await sign_in(at(ATTACKER), colleague.username, DEFAULT_PASSWORD)
        assert other.status_code == 200, other.text


async def test_failures_from_one_address_across_accounts_block_that_address_only(
    database_url: str, tmp_path: Path
) -> None:
    async with node(
        database_url,
        tmp_path,
        login_failure_ip_limit="6/hour",
        login_failure_account_limit="5/hour",
    ) as at:
        user = await UserFactory(at(BYSTANDER)).create()
        for index in range(3):  # two failures on each of three accounts: none is blocked
            await fail_sign_ins(at(ATTACKER), f"someone{index}", 2)

        from_attacker = await sign_in(at(ATTACKER), user.username, DEFAULT_PASSWORD)
        from_elsewhere = await sign_in(at(BYSTANDER), user.username, DEFAULT_PASSWORD)

        assert_throttled(from_attacker)
        assert from_elsewhere.status_code == 200, from_elsewhere.text


async def test_an_unknown_login_is_throttled_exactly_like_an_existing_account(
    database_url: str, tmp_path: Path
) -> None:
    async with node(database_url, tmp_path, login_failure_account_limit="5/hour") as at:
        existing = await UserFactory(at(BYSTANDER)).create()
        answers: dict[str, list[httpx.Response]] = {}
        for login in (existing.username, "nobody-by-this-name"):
            answers[login] = [
                await sign_in(at(ATTACKER), login, "not the password at all") for _ in range(7)
            ]

        known, unknown = answers[existing.username], answers["nobody-by-this-name"]
        assert [r.status_code for r in known] == [401] * 5 + [429] * 2
        assert [r.status_code for r in unknown] == [r.status_code for r in known]
        for a, b in zip(known, unknown, strict=True):
            assert a.json()["error"]["code"] == b.json()["error"]["code"]
            assert ("Retry-After" in a.headers) == ("Retry-After" in b.headers)
        assert_throttled(unknown[-1])


async def test_registrations_are_limited_per_address(database_url: str, tmp_path: Path) -> None:
    async with node(database_url, tmp_path, registration_ip_limit="3/hour") as at:
        attacker, bystander = UserFactory(at(ATTACKER)), UserFactory(at(BYSTANDER))
        for _ in range(3):
            await attacker.create()
        refused = await at(ATTACKER).post(
            "/api/auth/register",
            json={"username": "onetoomany", "email": "x@example.com", "password": DEFAULT_PASSWORD},
        )

        assert_throttled(refused)
        assert (await bystander.create()).username
        # Loopback is exempt by default (VAULTROOM_RATE_LIMIT_EXEMPT_IPS).
        for _ in range(4):
            await UserFactory(at("127.0.0.1")).create()


async def test_exempt_addresses_can_be_configured_away(database_url: str, tmp_path: Path) -> None:
    async with node(
        database_url, tmp_path, registration_ip_limit="1/hour", rate_limit_exempt_ips=""
    ) as at:
        await UserFactory(at("127.0.0.1")).create()
        refused = await at("127.0.0.1").post(
            "/api/auth/register",
            json={"username": "second", "email": "s@example.com", "password": DEFAULT_PASSWORD},
        )
        assert_throttled(refused)


async def test_rest_requests_are_limited_per_user(database_url: str, tmp_path: Path) -> None:
    async with node(database_url, tmp_path, rest_rate_limit="5/hour") as at:
        factory = UserFactory(at(BYSTANDER))
        alice, bob = await factory.create(), await factory.create()
        statuses = [
            (await at(ATTACKER).get("/api/auth/me", headers=alice.headers)).status_code
            for _ in range(6)
        ]
        for_bob = await at(ATTACKER).get("/api/auth/me", headers=bob.headers)
        refused = await at(BYSTANDER).get("/api/users", headers=alice.headers)

        assert statuses == [200] * 5 + [429]
        assert for_bob.status_code == 200
        assert_throttled(refused)
