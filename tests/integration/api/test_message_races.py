"""Edits and deletes that wait for each other on PostgreSQL (READ COMMITTED).

Each request reads the message, then waits for the conversation's row lock; the
one that goes second must act on what the first committed, not on its old copy.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import pytest

from tests.conftest import _asyncpg_dsn
from tests.factories import UserFactory
from tests.integration.api.conftest import Chat, client_for
from vaultroom.settings import Settings


async def waiting_for_locks(admin: asyncpg.Connection) -> int:
    """How many backends wait for a lock right now."""
    count: int = await admin.fetchval("SELECT count(*) FROM pg_locks WHERE NOT granted")
    return count


async def test_an_edit_queued_behind_a_delete_never_brings_the_text_back(
    postgres_url: str, tmp_path: Path
) -> None:
    settings = Settings(database_url=postgres_url, web_dir=tmp_path / "web")
    async with client_for(settings) as http:
        chat = Chat(UserFactory(http))
        alice, bob = await chat.users.create(), await chat.users.create()
        conversation = await chat.direct(alice, bob)
        message = await chat.send(alice, conversation["id"], "regrettable")
        admin = await asyncpg.connect(_asyncpg_dsn(postgres_url))
        holder = await asyncpg.connect(_asyncpg_dsn(postgres_url))
        try:
            locked = holder.transaction()
            await locked.start()
            await holder.execute(
                "SELECT 1 FROM conversations WHERE id = $1 FOR UPDATE", conversation["id"]
            )
            delete = asyncio.create_task(
                http.delete(f"/api/messages/{message['id']}", headers=alice.headers)
            )
            await poll_until_waiting(admin, 1)
            edit = asyncio.create_task(
                http.patch(
                    f"/api/messages/{message['id']}",
                    json={"body": "back from the dead"},
                    headers=alice.headers,
                )
            )
            await poll_until_waiting(admin, 2)
            await locked.rollback()
            deleted, edited = await delete, await edit
        finally:
            await holder.close()
            await admin.close()

        assert deleted.status_code == 200
        assert edited.status_code == 409
        assert edited.json()["error"]["code"] == "message_deleted"
        (stored,) = (await chat.history(bob, conversation["id"]))["messages"]
        assert stored["deleted"] is True
        assert stored["body"] == ""


async def poll_until_waiting(admin: asyncpg.Connection, count: int) -> None:
    """Wait until ``count`` backends wait for a lock (polling has a bound; not asserted)."""
    for _ in range(750):
        if await waiting_for_locks(admin) >= count:
            return
        await asyncio.sleep(0.02)
    pytest.fail(f"never saw {count} requests waiting for the lock")
