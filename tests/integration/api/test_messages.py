"""Messages over REST: sending (idempotent, ordered), history pages, edit, delete, limits."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from tests.factories import UserFactory
from tests.integration.api.conftest import Chat, client_for, new_client_msg_id
from vaultroom.settings import Settings

NO_SUCH_MESSAGE = {"error": {"code": "not_found", "message": "No such message."}}
MISSING = 987654321  # an id no test creates


# --- sending -------------------------------------------------------------------------------


async def test_a_retried_send_returns_the_stored_message_and_stores_it_once(
    users: UserFactory, chat: Chat
) -> None:
    alice, bob = await users.create(), await users.create()
    direct = await chat.direct(alice, bob)
    key = new_client_msg_id()

    first = await chat.post_message(alice, direct["id"], "hi bob", key)
    retry = await chat.post_message(alice, direct["id"], "hi bob", key)
    changed = await chat.post_message(alice, direct["id"], "a different text", key)

    assert first.status_code == 201
    assert retry.status_code == 200
    assert changed.status_code == 200
    assert retry.json() == first.json()
    assert changed.json() == first.json()
    message = first.json()["message"]
    assert message["conversation_id"] == direct["id"]
    assert message["seq"] == 1
    assert message["sender_id"] == alice.id
    assert message["client_msg_id"] == key
    assert message["body"] == "hi bob"
    assert message["edited_at"] is None
    assert message["deleted"] is False
    page = await chat.history(bob, direct["id"])
    assert page == {"messages": [message], "has_more": False}
    assert (await chat.get(bob, direct["id"]))["unread_count"] == 1


async def test_a_client_msg_id_reused_in_another_conversation_is_409(
    users: UserFactory, chat: Chat
) -> None:
    alice, bob, carol = await users.create(), await users.create(), await users.create()
    with_bob = await chat.direct(alice, bob)
    with_carol = await chat.direct(alice, carol)
    key = new_client_msg_id()
    await chat.send(alice, with_bob["id"], "for bob", key)

    response = await chat.post_message(alice, with_carol["id"], "for carol", key)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    assert await chat.seqs(carol, with_carol["id"]) == []
    assert await chat.seqs(bob, with_bob["id"]) == [1]


async def test_two_senders_may_use_the_same_client_msg_id(users: UserFactory, chat: Chat) -> None:
    alice, bob = await users.create(), await users.create()
    direct = await chat.direct(alice, bob)
    first = await chat.send(alice, direct["id"], "from alice", "same-key")
    second = await chat.send(bob, direct["id"], "from bob", "same-key")
    assert (first["seq"], second["seq"]) == (1, 2)
    assert first["id"] != second["id"]


@pytest.mark.parametrize(
    "client_msg_id",
    ["", "has space", "x" * 65, "caf\u00e9", "slash/y", "new\nline", 123, None],
    ids=["empty", "space", "too-long", "non-ascii", "slash", "newline", "number", "null"],
)
async def test_an_invalid_client_msg_id_is_422(
    users: UserFactory, chat: Chat, client_msg_id: object
) -> None:
    alice, bob = await users.create(), await users.create()
    direct = await chat.direct(alice, bob)
    response = await chat.http.post(
        f"/api/conversations/{direct['id']}/messages",
        json={"client_msg_id": client_msg_id, "body": "hello"},
        headers=alice.headers,
    )
    assert response.status_code == 422, response.text
    assert "client_msg_id" in response.json()["error"]["fields"]
    assert await chat.seqs(alice, direct["id"]) == []


async def test_the_longest_valid_client_msg_id_is_accepted(users: UserFactory, chat: Chat) -> None:
    alice = await users.create()
    notes = await chat.direct(alice, alice)
    key = "Az09._:-" * 8
    assert (await chat.send(alice, notes["id"], "ok", key))["client_msg_id"] == key


async def test_a_body_is_trimmed_but_keeps_inner_newlines_and_tabs(
    users: UserFactory, chat: Chat
) -> None:
    alice, bob = await users.create(), await users.create()
    direct = await chat.direct(alice, bob)
    message = await chat.send(alice, direct["id"], "  \n line one\n\tline two \r\n ")
    assert message["body"] == "line one\n\tline two"
    longest = await chat.send(alice, direct["id"], " " + "é" * 4000 + " ")
    assert longest["body"] == "é" * 4000


@pytest.mark.parametrize(
    "body",
    ["", "   ", " \n\t\r\n ", "x" * 4001, "x" * 16001, "nul\x00inside", "bell\x07", "\ud800"],
    ids=["empty", "spaces", "whitespace", "too-long", "beyond-schema", "nul", "bell", "surrogate"],
)
async def test_an_unacceptable_body_is_422_with_the_body_field(
    users: UserFactory, chat: Chat, body: str
) -> None:
    alice, bob = await users.create(), await users.create()
    direct = await chat.direct(alice, bob)
    response = await chat.post_message(alice, direct["id"], body)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_input"
    assert "body" in error["fields"]
    assert await chat.seqs(bob, direct["id"]) == []


async def test_messages_get_consecutive_seqs_from_one(users: UserFactory, chat: Chat) -> None:
    alice, bob, carol = await users.create(), await users.create(), await users.create()
    group = await chat.group(alice, bob, carol)
    senders = [alice, bob, carol, bob, alice, carol, carol]
    sent = [await chat.send(user, group["id"], f"m{i}") for i, user in enumerate(senders)]
    assert [message["seq"] for message in sent] == [1, 2, 3, 4, 5, 6, 7]
    page = await chat.history(alice, group["id"])
    assert [message["seq"] for message in page["messages"]] == [1, 2, 3, 4, 5, 6, 7]
    assert [message["sender_id"] for message in page["messages"]] == [u.id for u in senders]
    assert (await chat.get(alice, group["id"]))["last_seq"] == 7


async def test_twenty_concurrent_sends_get_seqs_one_to_twenty(
    users: UserFactory, chat: Chat
) -> None:
    alice, bob = await users.create(), await users.create()
    group = await chat.group(alice, bob)
    senders = [alice, bob] * 10
    responses = await asyncio.gather(
        *(chat.post_message(user, group["id"], f"burst {i}") for i, user in enumerate(senders))
    )
    assert [response.status_code for response in responses] == [201] * 20
    seqs = sorted(response.json()["message"]["seq"] for response in responses)
    assert seqs == list(range(1, 21))
    stored = (await chat.history(alice, group["id"]))["messages"]
    assert [message["seq"] for message in stored] == list(range(1, 21))
    returned = [response.json()["message"] for response in responses]
    by_seq = {message["seq"]: message for message in returned}
    assert stored == [by_seq[seq] for seq in range(1, 21)]
    assert (await chat.get(bob, group["id"]))["last_seq"] == 20


async def test_concurrent_retries_of_one_send_store_one_message(
    users: UserFactory, chat: Chat
) -> None:
    alice, bob = await users.create(), await users.create()
    direct = await chat.direct(alice, bob)
    key = new_client_msg_id()
    responses = await asyncio.gather(
        *(chat.post_message(alice, direct["id"], "only once", key) for _ in range(5))
    )
    assert sorted(response.status_code for response in responses) == [200, 200, 200, 200, 201]
    assert len({response.json()["message"]["id"] for response in responses}) == 1
    assert await chat.seqs(bob, direct["id"]) == [1]


# --- history -------------------------------------------------------------------------------


async def test_an_empty_conversation_has_an_empty_history(users: UserFactory, chat: Chat) -> None:
    alice, bob = await users.create(), await users.create()
    direct = await chat.direct(alice, bob)
    assert await chat.history(alice, direct["id"]) == {"messages": [], "has_more": False}
    assert await chat.history(alice, direct["id"], before_seq=5) == {
        "messages": [],
        "has_more": False,
    }
    assert await chat.history(alice, direct["id"], after_seq=0) == {
        "messages": [],
        "has_more": False,
    }


async def test_without_a_cursor_the_latest_page_comes_in_ascending_order(
    users: UserFactory, chat: Chat
) -> None:
    alice, bob = await users.create(), await users.create()
    direct = await chat.direct(alice, bob)
    for index in range(1, 8):
        await chat.send(alice, direct["id"], f"m{index}")
    page = await chat.history(bob, direct["id"], limit=3)
    assert [message["body"] for message in page["messages"]] == ["m5", "m6", "m7"]
    assert page["has_more"] is True
    whole = await chat.history(bob, direct["id"])
    assert [message["seq"] for message in whole["messages"]] == list(range(1, 8))
    assert whole["has_more"] is False


async def test_before_seq_walks_back_to_the_first_message(users: UserFactory, chat: Chat) -> None:
    alice, bob = await users.create(), await users.create()
    direct = await chat.direct(alice, bob)
    for index in range(1, 8):
        await chat.send(bob, direct["id"], f"m{index}")

    pages: list[list[int]] = []
    more: list[bool] = []
    page = await chat.history(alice, direct["id"], limit=3)
    while True:
        seqs = [message["seq"] for message in page["messages"]]
        pages.append(seqs)
        more.append(page["has_more"])
        if not page["has_more"]:
            break
        page = await chat.history(alice, direct["id"], before_seq=seqs[0], limit=3)
    assert pages == [[5, 6, 7], [2, 3, 4], [1]]
    assert more == [True, True, False]
    exact = await chat.history(alice, direct["id"], before_seq=4, limit=3)
    assert [message["seq"] for message in exact["messages"]] == [1, 2, 3]
    assert exact["has_more"] is False


async def test_after_seq_walks_forward_to_the_newest_message(
    users: UserFactory, chat: Chat
) -> None:
    alice, bob = await users.create(), await users.create()
    direct = await chat.direct(alice, bob)
    for index in range(1, 8):
        await chat.send(bob, direct["id"], f"m{index}")

    pages: list[list[int]] = []
    more: list[bool] = []
    cursor = 0
    while True:
        page = await chat.history(alice, direct["id"], after_seq=cursor, limit=3)
        seqs = [message["seq"] for message in page["messages"]]
        pages.append(seqs)
        more.append(page["has_more"])
        if not page["has_more"]:
            break
        cursor = seqs[-1]
    assert pages == [[1, 2, 3], [4, 5, 6], [7]]
    assert more == [True, True, False]
    exact = await chat.history(alice, direct["id"], after_seq=4, limit=3)
    assert [message["seq"] for message in exact["messages"]] == [5, 6, 7]
    assert exact["has_more"] is False
    assert await chat.history(alice, direct["id"], after_seq=7) == {
        "messages": [],
        "has_more": False,
    }


async def test_a_page_is_never_larger_than_the_configured_maximum(
    database_url: str, tmp_path: Path
) -> None:
    settings = Settings(database_url=database_url, web_dir=tmp_path / "web", messages_page_max=4)
    async with client_for(settings) as http:
        chat = Chat(UserFactory(http))
        alice = await chat.users.create()
        notes = await chat.direct(alice, alice)
        for index in range(1, 7):
            await chat.send(alice, notes["id"], f"m{index}")
        latest = await chat.history(alice, notes["id"], limit=1000)
        assert [message["seq"] for message in latest["messages"]] == [3, 4, 5, 6]
        assert latest["has_more"] is True
        forward = await chat.history(alice, notes["id"], after_seq=0, limit=1000)
        assert [message["seq"] for message in forward["messages"]] == [1, 2, 3, 4]
        assert forward["has_more"] is True


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 1001},
        {"limit": "many"},
        {"before_seq": -1},
        {"after_seq": -1},
        {"after_seq": str(2**63)},
        {"before_seq": "soon"},
    ],
)
async def test_bad_history_parameters_are_422(
    users: UserFactory, chat: Chat, params: dict[str, str | int]
) -> None:
    alice = await users.create()
    notes = await chat.direct(alice, alice)
    response = await chat.http.get(
        f"/api/conversations/{notes['id']}/messages", params=params, headers=alice.headers
    )
    assert response.status_code == 422, response.text
    assert set(response.json()["error"]["fields"]) == set(params)


# --- editing and deleting ------------------------------------------------------------------


async def edit(chat: Chat, headers: dict[str, str], message_id: int, body: str) -> httpx.Response:
    url = f"/api/messages/{message_id}"
    return await chat.http.patch(url, json={"body": body}, headers=headers)


async def delete(chat: Chat, headers: dict[str, str], message_id: int) -> httpx.Response:
    return await chat.http.delete(f"/api/messages/{message_id}", headers=headers)


async def test_the_author_can_edit_a_message(users: UserFactory, chat: Chat) -> None:
    alice, bob = await users.create(), await users.create()
    direct = await chat.direct(alice, bob)
    sent = await chat.send(alice, direct["id"], "helo")

    response = await edit(chat, alice.headers, sent["id"], "  hello  ")
    assert response.status_code == 200
    edited = response.json()["message"]
    assert edited["body"] == "hello"
    assert edited["edited_at"] is not None
    assert {key: edited[key] for key in ("id", "seq", "client_msg_id", "created_at")} == {
        key: sent[key] for key in ("id", "seq", "client_msg_id", "created_at")
    }
    assert (await chat.history(bob, direct["id"]))["messages"] == [edited]
    assert (await chat.get(bob, direct["id"]))["last_message"] == edited


async def test_only_the_author_can_edit_or_delete_a_message(users: UserFactory, chat: Chat) -> None:
    alice, bob = await users.create(), await users.create()
    group = await chat.group(alice, bob)
    sent = await chat.send(alice, group["id"], "mine")

    for response in (
        await edit(chat, bob.headers, sent["id"], "yours now"),
        await delete(chat, bob.headers, sent["id"]),
    ):
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "forbidden"
    assert (await chat.history(alice, group["id"]))["messages"] == [sent]


async def test_a_non_member_cannot_tell_a_message_from_a_missing_one(
    users: UserFactory, chat: Chat
) -> None:
    alice, bob, stranger = await users.create(), await users.create(), await users.create()
    direct = await chat.direct(alice, bob)
    sent = await chat.send(alice, direct["id"], "private")

    for message_id in (sent["id"], MISSING):
        for response in (
            await edit(chat, stranger.headers, message_id, "leaked?"),
            await delete(chat, stranger.headers, message_id),
        ):
            assert response.status_code == 404
            assert response.json() == NO_SUCH_MESSAGE
    assert (await chat.history(bob, direct["id"]))["messages"] == [sent]


async def test_a_deleted_message_keeps_its_seq_with_an_empty_body(
    users: UserFactory, chat: Chat
) -> None:
    alice, bob = await users.create(), await users.create()
    direct = await chat.direct(alice, bob)
    first = await chat.send(alice, direct["id"], "keep")
    doomed = await chat.send(alice, direct["id"], "oops, wrong chat")
    last = await chat.send(alice, direct["id"], "keep too")

    response = await delete(chat, alice.headers, doomed["id"])
    assert response.status_code == 200
    deleted = response.json()["message"]
    assert deleted["id"] == doomed["id"]
    assert deleted["seq"] == 2
    assert deleted["body"] == ""
    assert deleted["deleted"] is True

    page = (await chat.history(bob, direct["id"]))["messages"]
    assert [message["seq"] for message in page] == [1, 2, 3]
    assert page == [first, deleted, last]
    assert "wrong chat" not in (await chat.http.get("/api/conversations", headers=bob.headers)).text


async def test_deleting_twice_returns_the_same_deleted_message(
    users: UserFactory, chat: Chat
) -> None:
    alice = await users.create()
    notes = await chat.direct(alice, alice)
    sent = await chat.send(alice, notes["id"], "bye")
    first = await delete(chat, alice.headers, sent["id"])
    again = await delete(chat, alice.headers, sent["id"])
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == first.json()


async def test_a_deleted_message_cannot_be_edited(users: UserFactory, chat: Chat) -> None:
    alice = await users.create()
    notes = await chat.direct(alice, alice)
    sent = await chat.send(alice, notes["id"], "bye")
    assert (await delete(chat, alice.headers, sent["id"])).status_code == 200

    response = await edit(chat, alice.headers, sent["id"], "back again")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "message_deleted"
    (stored,) = (await chat.history(alice, notes["id"]))["messages"]
    assert (stored["body"], stored["deleted"], stored["edited_at"]) == ("", True, None)


async def test_a_retry_of_a_deleted_message_does_not_bring_it_back(
    users: UserFactory, chat: Chat
) -> None:
    alice = await users.create()
    notes = await chat.direct(alice, alice)
    key = new_client_msg_id()
    sent = await chat.send(alice, notes["id"], "secret", key)
    assert (await delete(chat, alice.headers, sent["id"])).status_code == 200

    retry = await chat.post_message(alice, notes["id"], "secret", key)
    assert retry.status_code == 200
    assert (retry.json()["message"]["body"], retry.json()["message"]["deleted"]) == ("", True)
    assert await chat.seqs(alice, notes["id"]) == [1]


@pytest.mark.parametrize("body", ["", "   ", "x" * 4001, "nul\x00"])
async def test_an_edit_to_an_unacceptable_body_is_422(
    users: UserFactory, chat: Chat, body: str
) -> None:
    alice = await users.create()
    notes = await chat.direct(alice, alice)
    sent = await chat.send(alice, notes["id"], "original")
    response = await edit(chat, alice.headers, sent["id"], body)
    assert response.status_code == 422
    assert "body" in response.json()["error"]["fields"]
    assert (await chat.history(alice, notes["id"]))["messages"] == [sent]


async def test_deleted_messages_are_not_unread(users: UserFactory, chat: Chat) -> None:
    alice, bob = await users.create(), await users.create()
    direct = await chat.direct(alice, bob)
    await chat.send(bob, direct["id"], "one")
    doomed = await chat.send(bob, direct["id"], "two")
    assert (await chat.get(alice, direct["id"]))["unread_count"] == 2
    assert (await delete(chat, bob.headers, doomed["id"])).status_code == 200
    assert (await chat.get(alice, direct["id"]))["unread_count"] == 1


@pytest.mark.parametrize("bad", ["0", "-1", str(2**63), "abc", "1e3"])
async def test_a_bad_message_id_is_422(users: UserFactory, chat: Chat, bad: str) -> None:
    alice = await users.create()
    for response in (
        await chat.http.patch(f"/api/messages/{bad}", json={"body": "x"}, headers=alice.headers),
        await chat.http.delete(f"/api/messages/{bad}", headers=alice.headers),
    ):
        assert response.status_code == 422, response.text
        assert response.json()["error"]["code"] == "invalid_input"


# --- non-members ---------------------------------------------------------------------------


async def test_a_non_member_cannot_send_or_read_history(users: UserFactory, chat: Chat) -> None:
    alice, bob, stranger = await users.create(), await users.create(), await users.create()
    direct = await chat.direct(alice, bob)
    await chat.send(alice, direct["id"], "between us")

    sent = await chat.post_message(stranger, direct["id"], "let me in")
    history = await chat.http.get(
        f"/api/conversations/{direct['id']}/messages", headers=stranger.headers
    )
    for response in (sent, history):
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    assert "between us" not in history.text
    assert await chat.seqs(alice, direct["id"]) == [1]


# --- rate limit ----------------------------------------------------------------------------


async def test_sends_and_edits_beyond_the_rate_limit_are_429_but_retries_are_answered(
    database_url: str, tmp_path: Path
) -> None:
    settings = Settings(
        database_url=database_url, web_dir=tmp_path / "web", send_rate_limit="3/minute"
    )
    async with client_for(settings) as http:
        chat = Chat(UserFactory(http))
        alice, bob = await chat.users.create(), await chat.users.create()
        direct = await chat.direct(alice, bob)
        sent = [await chat.send(alice, direct["id"], f"m{index}") for index in range(3)]

        refused = await chat.post_message(alice, direct["id"], "one too many")
        retried = await chat.post_message(alice, direct["id"], "m0", sent[0]["client_msg_id"])
        edit_refused = await edit(chat, alice.headers, sent[0]["id"], "changed")

        # Over the limit a retry of a stored send still gets its message.
        assert retried.status_code == 200
        assert retried.json()["message"] == sent[0]
        # Edits count against the same limit.
        assert edit_refused.status_code == 429
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "rate_limited"
        assert int(refused.headers["Retry-After"]) >= 1
        assert await chat.seqs(bob, direct["id"]) == [1, 2, 3]
        # The limit is per user: bob still has his three.
        assert (await chat.send(bob, direct["id"], "my turn"))["seq"] == 4


async def test_editing_to_the_same_text_changes_nothing(users: UserFactory, chat: Chat) -> None:
    alice = await users.create()
    notes = await chat.direct(alice, alice)
    sent = await chat.send(alice, notes["id"], "as it was")
    response = await edit(chat, alice.headers, sent["id"], " as it was ")
    assert response.status_code == 200
    assert response.json()["message"] == sent


async def test_the_list_shows_a_deleted_last_message_without_its_text(
    users: UserFactory, chat: Chat
) -> None:
    alice, bob = await users.create(), await users.create()
    direct = await chat.direct(alice, bob)
    sent = await chat.send(alice, direct["id"], "regrettable")
    assert (await delete(chat, alice.headers, sent["id"])).status_code == 200
    (listed,) = await chat.listing(bob)
    assert listed["last_seq"] == 1
    assert listed["last_message"]["seq"] == 1
    assert (listed["last_message"]["body"], listed["last_message"]["deleted"]) == ("", True)
    assert listed["unread_count"] == 0
    assert (
        "regrettable" not in (await chat.http.get("/api/conversations", headers=bob.headers)).text
    )


# --- catching up on edits and deletes ---------------------------------------------------------


async def test_edits_and_deletes_are_numbered_and_fetched_by_changed_after(
    users: UserFactory, client: httpx.AsyncClient, chat: Chat
) -> None:
    alice, bob = await users.create(), await users.create()
    conversation = await chat.direct(alice, bob)
    first = await chat.send(alice, conversation["id"], "first")
    second = await chat.send(alice, conversation["id"], "second")
    assert first["change_seq"] == second["change_seq"] == 0
    seen_by_bob = (await chat.get(bob, conversation["id"]))["last_change_seq"]

    edited = await client.patch(
        f"/api/messages/{first['id']}", json={"body": "first, edited"}, headers=alice.headers
    )
    deleted = await client.delete(f"/api/messages/{second['id']}", headers=alice.headers)
    again = await client.patch(
        f"/api/messages/{first['id']}", json={"body": "first, again"}, headers=alice.headers
    )

    assert seen_by_bob == 0
    assert [r.json()["message"]["change_seq"] for r in (edited, deleted, again)] == [1, 2, 3]
    assert (await chat.get(bob, conversation["id"]))["last_change_seq"] == 3
    changes = await chat.history(bob, conversation["id"], changed_after=seen_by_bob)
    assert [(m["id"], m["change_seq"]) for m in changes["messages"]] == [
        (second["id"], 2),
        (first["id"], 3),
    ]
    assert changes["messages"][0]["deleted"] is True
    assert changes["messages"][0]["body"] == ""
    assert changes["messages"][1]["body"] == "first, again"
    assert (await chat.history(bob, conversation["id"], changed_after=3))["messages"] == []


async def test_changed_after_pages_and_refuses_a_seq_cursor_alongside(
    users: UserFactory, client: httpx.AsyncClient, chat: Chat
) -> None:
    alice, bob = await users.create(), await users.create()
    conversation = await chat.direct(alice, bob)
    for index in range(3):
        message = await chat.send(alice, conversation["id"], f"m{index}")
        await client.delete(f"/api/messages/{message['id']}", headers=alice.headers)

    page = await chat.history(bob, conversation["id"], changed_after=0, limit=2)
    assert [m["change_seq"] for m in page["messages"]] == [1, 2]
    assert page["has_more"] is True
    mixed = await client.get(
        f"/api/conversations/{conversation['id']}/messages",
        params={"changed_after": 0, "after_seq": 1},
        headers=bob.headers,
    )
    assert mixed.status_code == 422
    assert "changed_after" in mixed.json()["error"]["fields"]


async def test_a_non_member_cannot_fetch_changes(users: UserFactory, chat: Chat) -> None:
    alice, bob, mallory = await users.create(), await users.create(), await users.create()
    conversation = await chat.direct(alice, bob)
    response = await chat.http.get(
        f"/api/conversations/{conversation['id']}/messages",
        params={"changed_after": 0},
        headers=mallory.headers,
    )
    assert response.status_code == 404
