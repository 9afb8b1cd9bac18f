"""The app of a cluster node, in process: ``/readyz`` reports the broker, REST keeps working
without Redis, and the send limit is one limit across nodes."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from tests.factories import RegisteredUser, UserFactory
from tests.integration.shared_state.conftest import WAIT_SECONDS, RedisProxy
from vaultroom.app import create_app
from vaultroom.settings import Settings

Json = dict[str, Any]
READY = {"status": "ok", "checks": {"database": "ok", "broker": "ok"}}
BROKER_DOWN = {"status": "unavailable", "checks": {"database": "ok", "broker": "down"}}


class Apps:
    """In-process apps of one deployment (one SQLite file, one Redis prefix), each with an
    HTTP client; all shut down at the end."""

    def __init__(self, stack: contextlib.AsyncExitStack, database_url: str, tmp: Path) -> None:
        self._stack = stack
        self._database_url = database_url
        self._tmp = tmp

    async def start(self, redis_url: str, prefix: str, **overrides: Any) -> httpx.AsyncClient:
        """A node's app with its lifespan running; an HTTP client talking to it."""
        settings = Settings(
            database_url=self._database_url,
            web_dir=self._tmp / "web",
            redis_url=redis_url,
            redis_prefix=prefix,
            **overrides,
        )
        app = create_app(settings)
        await self._stack.enter_async_context(LifespanManager(app, shutdown_timeout=30))
        transport = httpx.ASGITransport(app=app)
        return await self._stack.enter_async_context(
            httpx.AsyncClient(transport=transport, base_url="http://testserver")
        )


@pytest.fixture
async def apps(sqlite_template: Path, tmp_path: Path, prefix: str) -> AsyncIterator[Apps]:
    """Nodes sharing a fresh SQLite database; stopped before the prefix's keys are deleted."""
    database = tmp_path / "vaultroom.db"
    shutil.copyfile(sqlite_template, database)
    async with contextlib.AsyncExitStack() as stack:
        yield Apps(stack, f"sqlite+aiosqlite:///{database}", tmp_path)


async def readiness(http: httpx.AsyncClient) -> tuple[int, Json]:
    """``/readyz``: status code and body."""
    response = await http.get("/readyz")
    body: Json = response.json()
    return response.status_code, body


async def wait_readiness(http: httpx.AsyncClient, status: int, body: Json) -> None:
    """Poll ``/readyz`` until it answers ``status`` with ``body``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_SECONDS
    while (last := await readiness(http)) != (status, body):
        if loop.time() > deadline:
            pytest.fail(f"/readyz never answered {status} {body}; last {last}")
        await asyncio.sleep(0.05)


async def direct_conversation(
    http: httpx.AsyncClient, user: RegisteredUser, other: RegisteredUser
) -> int:
    """Open the direct conversation of two users; its id."""
    response = await http.post(
        "/api/conversations/direct", json={"user_id": other.id}, headers=user.headers
    )
    assert response.status_code in {200, 201}, response.text
    conversation_id: int = response.json()["id"]
    return conversation_id


async def send(
    http: httpx.AsyncClient, user: RegisteredUser, conversation_id: int, body: str
) -> httpx.Response:
    """``POST`` one message (a fresh client_msg_id)."""
    return await http.post(
        f"/api/conversations/{conversation_id}/messages",
        json={"client_msg_id": uuid.uuid4().hex, "body": body},
        headers=user.headers,
    )


async def test_readyz_reports_the_broker_ok_with_redis(
    apps: Apps, redis_url: str, prefix: str
) -> None:
    http = await apps.start(redis_url, prefix)
    await wait_readiness(http, 200, READY)
    assert (await http.get("/healthz")).json() == {"status": "ok"}


async def test_without_redis_readyz_says_the_broker_is_down_and_rest_still_works(
    apps: Apps, closed_redis_url: str, prefix: str
) -> None:
    http = await apps.start(closed_redis_url, prefix, send_rate_limit="2/day")

    assert await readiness(http) == (503, BROKER_DOWN)
    health = await http.get("/healthz")
    assert (health.status_code, health.json()) == (200, {"status": "ok"})

    # The node serves its own clients: accounts, conversations, sends (limited in memory).
    users = UserFactory(http)
    alice, bob = await users.create(), await users.create()
    conversation_id = await direct_conversation(http, alice, bob)
    for body in ("one", "two"):
        response = await send(http, alice, conversation_id, body)
        assert response.status_code == 201, response.text
    limited = await send(http, alice, conversation_id, "three")
    assert limited.status_code == 429, limited.text
    assert limited.json()["error"]["code"] == "rate_limited"
    assert int(limited.headers["Retry-After"]) >= 1
    history = await http.get(f"/api/conversations/{conversation_id}/messages", headers=bob.headers)
    assert [m["body"] for m in history.json()["messages"]] == ["one", "two"]
    assert await readiness(http) == (503, BROKER_DOWN)


async def test_readyz_follows_redis_going_down_and_coming_back(
    apps: Apps, redis_proxy: RedisProxy, prefix: str
) -> None:
    http = await apps.start(redis_proxy.url, prefix)
    await wait_readiness(http, 200, READY)

    await redis_proxy.cut()
    await wait_readiness(http, 503, BROKER_DOWN)

    await redis_proxy.restore()
    await wait_readiness(http, 200, READY)


async def test_the_send_limit_is_one_limit_across_nodes(
    apps: Apps, redis_url: str, prefix: str
) -> None:
    node_a = await apps.start(redis_url, prefix, send_rate_limit="3/day")
    node_b = await apps.start(redis_url, prefix, send_rate_limit="3/day")
    users = UserFactory(node_a)
    alice, bob = await users.create(), await users.create()
    conversation_id = await direct_conversation(node_a, alice, bob)

    for http, body in ((node_a, "1"), (node_b, "2"), (node_a, "3")):
        response = await send(http, alice, conversation_id, body)
        assert response.status_code == 201, response.text
    for http in (node_b, node_a):
        refused = await send(http, alice, conversation_id, "over")
        assert refused.status_code == 429, refused.text
        assert 1 <= int(refused.headers["Retry-After"]) <= 86_400
    # Bob has a limit of his own.
    response = await send(node_b, bob, conversation_id, "hi")
    assert response.status_code == 201, response.text
