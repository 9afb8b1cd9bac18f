"""The accounts and conversations a VaultRoom run needs, made once and reused by every scenario.

Registration is argon2-bound by design (its costs are validated minimums), so users are
registered concurrently from every worker, and their tokens reused.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import seeding
from pool import split
from scenarios import Context


def register_users(
    ctx: Context, count: int, concurrency: int, through_api: int | None = None
) -> dict[str, Any]:
    """``count`` users, in ``ctx.users`` by index: the first ``through_api`` (all by
    default) registered through the API, the time it took; the rest cloned from the
    first in the database (``seeding.py``)."""
    tag = uuid.uuid4().hex[:6]
    all_names = [f"b{tag}{index}" for index in range(count)]
    registered = count if through_api is None else max(1, min(count, through_api))
    names = all_names[:registered]
    started = time.monotonic()
    cpu = ctx.server.cpu()
    parts = split(names, ctx.pool.size)
    answers = ctx.pool.each(
        "register",
        [
            {"usernames": part, "concurrency": max(1, concurrency // ctx.pool.size)}
            for part in parts
        ],
    )
    by_name = {user["username"]: user for answer in answers for user in answer["users"]}
    ctx.users = [by_name[name] for name in names]
    seconds = time.monotonic() - started
    cpu = ctx.server.cpu() - cpu
    cloning = time.monotonic()
    ctx.users += seeding.clone_users(ctx.server.url, ctx.users[0], all_names[registered:])
    return {
        "scenario": "registration",
        "registrations": registered,
        "seconds": round(seconds, 2),
        "registrations_per_second": round(registered / seconds, 1),
        "server_cpu_ms_per_request": round(cpu * 1000 / registered, 1),
        "cloned_users": count - registered,
        "clone_seconds": round(time.monotonic() - cloning, 2),
    }


def create_conversations(ctx: Context, pairs: int, groups: list[int]) -> None:
    """A direct conversation per pair (users ``2i``, ``2i + 1``); groups owned by user 0."""
    jobs = [(ctx.users[2 * p]["token"], ctx.users[2 * p + 1]["id"]) for p in range(pairs)]
    parts = split(list(enumerate(jobs)), ctx.pool.size)
    answers = ctx.pool.each(
        "direct", [{"pairs": [job for _i, job in part], "concurrency": 8} for part in parts]
    )
    directs = [0] * pairs
    for part, answer in zip(parts, answers, strict=False):
        for (index, _job), conversation in zip(part, answer["ids"], strict=True):
            directs[index] = conversation
    ctx.directs = directs
    owner = ctx.users[0]["token"]
    for size in groups:
        members = [user["id"] for user in ctx.users[1:size]]
        created = ctx.pool.each(
            "group", [{"token": owner, "title": f"bench {size}", "members": members}]
        )
        ctx.groups[size] = created[0]["id"]
