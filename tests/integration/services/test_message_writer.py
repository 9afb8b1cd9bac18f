"""The message writer on the real database: group commit, gap-free seqs, idempotent retries."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager

from tests.factories import RegisteredUser, UserFactory
from vaultroom.app import VaultRoomApp, create_app
from vaultroom.db import Database
from vaultroom.fanout import NoClients
from vaultroom.services.errors import Conflict, NotFound, Unavailable
from vaultroom.services.message_writer import MessageWriter, SendRequest, SendResult
from vaultroom.settings import Settings


async def group_with(
    client: httpx.AsyncClient, owner: RegisteredUser, *members: RegisteredUser
) -> int:
    """A group of ``owner`` and ``members``; its id."""
    response = await client.post(
        "/api/conversations/group",
        json={"title": "writers", "member_ids": [member.id for member in members]},
        headers=owner.headers,
    )
    assert response.status_code == 201, response.text
    conversation_id: int = response.json()["id"]
    return conversation_id


async def stored_seqs(
    client: httpx.AsyncClient, user: RegisteredUser, conversation_id: int
) -> list[int]:
    """Every seq stored in the conversation, as history shows them."""
    response = await client.get(
        f"/api/conversations/{conversation_id}/messages?limit=200", headers=user.headers
    )
    assert response.status_code == 200, response.text
    return [message["seq"] for message in response.json()["messages"]]


@pytest.fixture
async def second_node_writer(app: VaultRoomApp) -> AsyncIterator[MessageWriter]:
    """A writer with its own engines on the same database, like another node's."""
    db = Database(app.services.settings)
    writer = MessageWriter(db, NoClients(), batch_max=256)
    writer.start()
    try:
        yield writer
    finally:
        await writer.stop()
        await db.dispose()


async def test_concurrent_sends_share_one_commit_and_get_seqs_in_order(
    app: VaultRoomApp, client: httpx.AsyncClient, users: UserFactory
) -> None:
    alice, bob = await users.create(), await users.create()
    conversation_id = await group_with(client, alice, bob)
    writer = app.services.writer
    before = writer.batches_committed

    results = await asyncio.gather(
        *(
            writer.send(SendRequest(alice.id, conversation_id, f"m{i}", f"message {i}"))
            for i in range(50)
        )
    )

    assert writer.batches_committed - before == 1
    assert [result.message.seq for result in results] == list(range(1, 51))
    assert all(result.created for result in results)
    assert await stored_seqs(client, bob, conversation_id) == list(range(1, 51))


async def test_one_batch_numbers_each_conversation_separately_without_gaps(
    app: VaultRoomApp, client: httpx.AsyncClient, users: UserFactory
) -> None:
    alice, bob = await users.create(), await users.create()
    first = await group_with(client, alice, bob)
    second = await group_with(client, bob, alice)
    writer = app.services.writer

    results = await asyncio.gather(
        *(
            writer.send(SendRequest(alice.id, (first, second)[i % 2], f"k{i}", "hello"))
            for i in range(10)
        )
    )

    by_conversation: dict[int, list[int]] = {}
    for result in results:
        by_conversation.setdefault(result.message.conversation_id, []).append(result.message.seq)
    assert by_conversation == {first: [1, 2, 3, 4, 5], second: [1, 2, 3, 4, 5]}


async def test_a_non_member_in_a_batch_is_refused_without_leaving_a_gap(
    app: VaultRoomApp, client: httpx.AsyncClient, users: UserFactory
) -> None:
    alice, bob, mallory = await users.create(), await users.create(), await users.create()
    conversation_id = await group_with(client, alice, bob)
    writer = app.services.writer

    outcomes = await asyncio.gather(
        writer.send(SendRequest(alice.id, conversation_id, "a1", "one")),
        writer.send(SendRequest(mallory.id, conversation_id, "x1", "intruder")),
        writer.send(SendRequest(bob.id, conversation_id, "b1", "two")),
        return_exceptions=True,
    )

    assert isinstance(outcomes[1], NotFound)
    accepted = [outcome for outcome in outcomes if isinstance(outcome, SendResult)]
    assert [result.message.seq for result in accepted] == [1, 2]
    assert await stored_seqs(client, alice, conversation_id) == [1, 2]


async def test_a_retry_while_the_first_attempt_is_in_flight_returns_the_same_message(
    app: VaultRoomApp, client: httpx.AsyncClient, users: UserFactory
) -> None:
    alice, bob = await users.create(), await users.create()
    conversation_id = await group_with(client, alice, bob)
    writer = app.services.writer
    request = SendRequest(alice.id, conversation_id, "same-key", "only once")

    first, retry = await asyncio.gather(writer.send(request), writer.send(request))

    assert first.created and not retry.created
    assert retry.message == first.message
    assert await stored_seqs(client, alice, conversation_id) == [1]


async def test_the_same_send_through_two_nodes_at_once_stores_one_row(
    app: VaultRoomApp,
    client: httpx.AsyncClient,
    users: UserFactory,
    second_node_writer: MessageWriter,
) -> None:
    alice, bob = await users.create(), await users.create()
    conversation_id = await group_with(client, alice, bob)
    request = SendRequest(alice.id, conversation_id, "two-nodes", "only once")

    results = await asyncio.gather(
        app.services.writer.send(request), second_node_writer.send(request)
    )

    assert sorted(result.created for result in results) == [False, True]
    assert results[0].message.id == results[1].message.id
    assert await stored_seqs(client, bob, conversation_id) == [1]


async def test_two_nodes_sending_to_one_conversation_never_share_or_skip_a_seq(
    app: VaultRoomApp,
    client: httpx.AsyncClient,
    users: UserFactory,
    second_node_writer: MessageWriter,
) -> None:
    alice, bob = await users.create(), await users.create()
    conversation_id = await group_with(client, alice, bob)
    writers = (app.services.writer, second_node_writer)

    await asyncio.gather(
        *(
            writers[i % 2].send(SendRequest(alice.id, conversation_id, f"n{i}", "hi"))
            for i in range(40)
        )
    )

    assert await stored_seqs(client, bob, conversation_id) == list(range(1, 41))


async def test_a_stopped_writer_answers_unavailable(app: VaultRoomApp) -> None:
    writer = MessageWriter(Database(app.services.settings), NoClients(), batch_max=8)
    writer.start()
    await writer.stop()

    with pytest.raises(Unavailable):
        await writer.send(SendRequest(1, 1, "after-stop", "too late"))


async def test_sends_while_the_database_is_unreachable_are_answered_unavailable(
    app: VaultRoomApp, tmp_path: Path
) -> None:
    # Nothing listens on port 1: every connection attempt is refused at once.
    settings = Settings(
        database_url="postgresql+asyncpg://postgres@127.0.0.1:1/none", web_dir=tmp_path
    )
    db = Database(settings)
    writer = MessageWriter(db, NoClients(), batch_max=8)
    writer.start()
    try:
        outcomes = await asyncio.gather(
            *(writer.send(SendRequest(1, 1, f"down-{i}", "hello")) for i in range(5)),
            return_exceptions=True,
        )
    finally:
        await writer.stop()
        await db.dispose()

    assert all(isinstance(outcome, Unavailable) for outcome in outcomes)


async def test_a_send_and_its_retry_return_the_message_history_shows(
    app: VaultRoomApp, client: httpx.AsyncClient, users: UserFactory
) -> None:
    # The retry is answered from the stored row, the first send from what was
    # written: both must be what history reads back, to the microsecond.
    alice, bob = await users.create(), await users.create()
    conversation_id = await group_with(client, alice, bob)
    writer = app.services.writer
    request = SendRequest(alice.id, conversation_id, "round-trip", "héllo \U0001f600")

    first = await writer.send(request)
    retry = await writer.send(request)
    response = await client.get(
        f"/api/conversations/{conversation_id}/messages", headers=bob.headers
    )

    assert first.created and not retry.created
    assert response.json()["messages"] == [first.message.model_dump(mode="json")]
    assert retry.message == first.message


async def test_a_retry_a_new_send_and_a_refusal_in_one_batch_each_get_their_answer(
    app: VaultRoomApp, client: httpx.AsyncClient, users: UserFactory
) -> None:
    alice, bob = await users.create(), await users.create()
    conversation_id = await group_with(client, alice, bob)
    writer = app.services.writer
    stored = await writer.send(SendRequest(alice.id, conversation_id, "old", "first"))

    outcomes = await asyncio.gather(
        writer.send(SendRequest(alice.id, conversation_id, "old", "first")),
        writer.send(SendRequest(alice.id, conversation_id, "new", "second")),
        writer.send(SendRequest(alice.id, conversation_id + 1000, "lost", "nowhere")),
        writer.send(SendRequest(alice.id, conversation_id + 1, "old", "other conversation")),
        return_exceptions=True,
    )

    retry, fresh, nowhere, reused = outcomes
    assert isinstance(retry, SendResult) and not retry.created
    assert retry.message == stored.message
    assert isinstance(fresh, SendResult) and fresh.created and fresh.message.seq == 2
    assert isinstance(nowhere, NotFound)
    assert isinstance(reused, Conflict)
    assert await stored_seqs(client, bob, conversation_id) == [1, 2]


async def test_a_locked_sqlite_database_answers_unavailable_and_a_retry_stores_once(
    tmp_path: Path, sqlite_template: Path
) -> None:
    # Another process holding SQLite's write lock past the busy timeout: the
    # batch is refused as "try again", and the same send later stores one row.
    target = tmp_path / "locked.db"
    shutil.copyfile(sqlite_template, target)
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{target}",
        web_dir=tmp_path / "web",
        sqlite_busy_timeout_ms=50,
    )
    application = create_app(settings)
    async with LifespanManager(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            users = UserFactory(http)
            alice, bob = await users.create(), await users.create()
            conversation_id = await group_with(http, alice, bob)
            request = SendRequest(alice.id, conversation_id, "locked", "wait for it")
            other = sqlite3.connect(target, isolation_level=None)
            try:
                other.execute("BEGIN EXCLUSIVE")
                with pytest.raises(Unavailable):
                    await application.services.writer.send(request)
                other.execute("ROLLBACK")
            finally:
                other.close()

            result = await application.services.writer.send(request)

            assert result.created and result.message.seq == 1
            assert await stored_seqs(http, bob, conversation_id) == [1]
