"""REST work inside one worker process: accounts, conversations, history reads, sign-ins."""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import aiohttp
from hist import Histogram

PASSWORD = "a long and unusual bench passphrase"  # noqa: S105 - throwaway bench accounts
PAGE = 50

T = TypeVar("T")
R = TypeVar("R")


def http_session(base_url: str, concurrency: int) -> aiohttp.ClientSession:
    """Keep-alive connections, no cookie jar (every request carries its Bearer token)."""
    return aiohttp.ClientSession(
        base_url=base_url,
        connector=aiohttp.TCPConnector(limit=concurrency),
        cookie_jar=aiohttp.DummyCookieJar(),
        timeout=aiohttp.ClientTimeout(total=120),
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _json(response: aiohttp.ClientResponse) -> Any:
    if response.status >= 400:
        raise RuntimeError(
            f"{response.method} {response.url}: {response.status} {await response.text()}"
        )
    return await response.json()


async def bounded(
    concurrency: int, items: Sequence[T], job: Callable[[T], Awaitable[R]]
) -> list[R]:
    """``job`` of each item, at most ``concurrency`` at a time; the results in order."""
    gate = asyncio.Semaphore(concurrency)

    async def run(item: T) -> R:
        async with gate:
            return await job(item)

    return list(await asyncio.gather(*(run(item) for item in items)))


async def register(http: aiohttp.ClientSession, username: str) -> dict[str, Any]:
    body = {"username": username, "email": f"{username}@example.com", "password": PASSWORD}
    async with http.post("/api/auth/register", json=body) as response:
        data = await _json(response)
    return {"id": data["user"]["id"], "token": data["token"], "username": username}


async def direct(http: aiohttp.ClientSession, token: str, user_id: int) -> int:
    async with http.post(
        "/api/conversations/direct", json={"user_id": user_id}, headers=bearer(token)
    ) as response:
        return int((await _json(response))["id"])


async def group(http: aiohttp.ClientSession, token: str, title: str, members: list[int]) -> int:
    body = {"title": title, "member_ids": members}
    async with http.post("/api/conversations/group", json=body, headers=bearer(token)) as response:
        return int((await _json(response))["id"])


async def last_seq(http: aiohttp.ClientSession, token: str, conversation_id: int) -> int:
    path = f"/api/conversations/{conversation_id}/messages"
    async with http.get(path, params={"limit": "1"}, headers=bearer(token)) as response:
        messages = (await _json(response))["messages"]
    return int(messages[-1]["seq"]) if messages else 0


async def timed_load(
    duration: float, concurrency: int, request: Callable[[], Awaitable[bool]]
) -> dict[str, Any]:
    """``concurrency`` loops of ``request`` for ``duration`` seconds: count, errors, latency."""
    latency, errors = Histogram(), Counter[str]()
    done = 0
    deadline = time.monotonic() + duration
    started = time.monotonic()

    async def loop() -> None:
        nonlocal done
        while time.monotonic() < deadline:
            begun = time.perf_counter_ns()
            try:
                ok = await request()
            except (aiohttp.ClientError, RuntimeError, TimeoutError) as exc:
                errors[type(exc).__name__] += 1
                continue
            if ok:
                done += 1
                latency.add_ns(time.perf_counter_ns() - begun)
            else:
                errors["refused"] += 1

    await asyncio.gather(*(loop() for _ in range(concurrency)))
    return {
        "done": done,
        "seconds": time.monotonic() - started,
        "errors": dict(errors),
        "latency": dict(latency.counts),
    }


def history_request(
    http: aiohttp.ClientSession, targets: list[dict[str, Any]], kind: str
) -> Callable[[], Awaitable[bool]]:
    """One page read of a random target: the latest page, or a page before a random seq."""

    async def request() -> bool:
        target = random.choice(targets)
        params = {"limit": str(PAGE)}
        if kind == "scrollback":
            params["before_seq"] = str(random.randint(PAGE + 1, max(PAGE + 1, target["last_seq"])))
        path = f"/api/conversations/{target['conversation_id']}/messages"
        async with http.get(path, params=params, headers=bearer(target["token"])) as response:
            await response.read()
            return response.status == 200 and True

    return request


def login_request(
    http: aiohttp.ClientSession, usernames: list[str]
) -> Callable[[], Awaitable[bool]]:
    async def request() -> bool:
        body = {"login": random.choice(usernames), "password": PASSWORD}
        async with http.post("/api/auth/login", json=body) as response:
            await response.read()
            return response.status == 200

    return request
