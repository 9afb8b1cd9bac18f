"""Messaging over real sockets: send, retries, ordering under load, read markers, edits,
who receives what (members only), group changes and the send rate limit."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import httpx
import pytest

from tests.factories import UserFactory
from tests.integration.realtime.conftest import (
    Json,
    Tab,
    Tabs,
    conversation_of,
    create_group,
    history,
    live_settings,
    open_direct,
    sentinel,
    wait_until,
)
from vaultroom.settings import Settings


def error_code(ack: Json) -> str:
    """The code of a refusal ack (fails on an accepted one)."""
    assert ack["ok"] is False, ack
    code: str = ack["error"]["code"]
    return code


def send_payload(conversation_id: int, body: str, client_msg_id: str | None = None) -> Json:
    """A ``message:send`` payload."""
    return {
        "conversation_id": conversation_id,
        "client_msg_id": client_msg_id or uuid.uuid4().hex,
        "body": body,
    }


# --- sending ---------------------------------------------------------------------------------


async def test_two_users_chat_both_ways_over_sockets(
    live_users: UserFactory, live_http: httpx.AsyncClient, tabs: Tabs
) -> None:
    alice, bob = await live_users.create(), await live_users.create()
    conversation = await open_direct(live_http, alice, bob)
    alice_tab, bob_tab = await tabs.open(alice), await tabs.open(bob)

    ack = await alice_tab.call("message:send", send_payload(conversation["id"], "hi bob"))
    assert ack["ok"] is True
    hello = ack["message"]
    assert hello["body"] == "hi bob"
    assert hello["sender_id"] == alice.id
    assert hello["seq"] == 1
    assert await bob_tab.wait_for_message(hello["id"]) == hello

    reply = await bob_tab.send(conversation["id"], "hi alice")
    assert reply["seq"] == 2
    assert reply["sender_id"] == bob.id
    assert await alice_tab.wait_for_message(reply["id"]) == reply
    assert await history(live_http, alice, conversation["id"]) == [hello, reply]


async def test_the_sending_socket_gets_the_message_in_its_ack_and_not_as_message_new(
    live_users: UserFactory, live_http: httpx.AsyncClient, tabs: Tabs
) -> None:
    alice, bob = await live_users.create(), await live_users.create()
    conversation = await open_direct(live_http, alice, bob)
    sending, other_tab = await tabs.open(alice), await tabs.open(alice)
    bob_tab = await tabs.open(bob)

    message = await sending.send(conversation["id"], "from the first tab")
    await sentinel(bob_tab, conversation["id"], sending, other_tab)

    assert message["id"] not in [m["id"] for m in sending.events.messages()]
    assert [m["id"] for m in other_tab.events.messages()].count(message["id"]) == 1


async def test_the_senders_other_tab_and_both_recipient_tabs_get_message_new(
    live_users: UserFactory, live_http: httpx.AsyncClient, tabs: Tabs
) -> None:
    alice, bob = await live_users.create(), await live_users.create()
    conversation = await open_direct(live_http, alice, bob)
    sending, alice_other = await tabs.open(alice), await tabs.open(alice)
    bob_first, bob_second = await tabs.open(bob), await tabs.open(bob)

    message = await sending.send(conversation["id"], "everyone but me")

    for tab in (alice_other, bob_first, bob_second):
        assert await tab.wait_for_message(message["id"]) == message


async def test_an_offline_recipient_finds_the_message_in_history_later(
    live_users: UserFactory, live_http: httpx.AsyncClient, tabs: Tabs
) -> None:
    alice, bob = await live_users.create(), await live_users.create()
    conversation = await open_direct(live_http, alice, bob)
    alice_tab = await tabs.open(alice)

    message = await alice_tab.send(conversation["id"], "read this when you are back")

    assert await history(live_http, bob, conversation["id"]) == [message]
    seen_by_bob = await conversation_of(live_http, bob, conversation["id"])
    assert seen_by_bob["unread_count"] == 1
    assert seen_by_bob["last_message"] == message


# --- idempotent retries ----------------------------------------------------------------------


async def test_a_sequential_retry_with_the_same_client_msg_id_returns_the_stored_message(
    live_users: UserFactory, live_http: httpx.AsyncClient, tabs: Tabs
) -> None:
    alice, bob = await live_users.create(), await live_users.create()
    conversation = await open_direct(live_http, alice, bob)
    alice_tab, bob_tab = await tabs.open(alice), await tabs.open(bob)
    payload = send_payload(conversation["id"], "sent twice", "retry-1")

    first = await alice_tab.call("message:send", payload)
    second = await alice_tab.call("message:send", payload)

    assert first["ok"] is True
    assert second == first
    assert await history(live_http, alice, conversation["id"]) == [first["message"]]
    await sentinel(alice_tab, conversation["id"], bob_tab)
    assert [m["id"] for m in bob_tab.events.messages()].count(first["message"]["id"]) == 1


async def test_a_concurrent_retry_while_in_flight_stores_one_message(
    live_users: UserFactory, live_http: httpx.AsyncClient, tabs: Tabs
) -> None:
    alice, bob = await live_users.create(), await live_users.create()
    conversation = await open_direct(live_http, alice, bob)
    alice_tab, bob_tab = await tabs.open(alice), await tabs.open(bob)
    payload = send_payload(conversation["id"], "double click", "in-flight-1")

    first, second = await asyncio.gather(
        alice_tab.call("message:send", payload), alice_tab.call("message:send", payload)
    )

    assert first["ok"] is True
    assert second == first
    assert await history(live_http, alice, conversation["id"]) == [first["message"]]
    await sentinel(alice_tab, conversation["id"], bob_tab)
    assert [m["id"] for m in bob_tab.events.messages()].count(first["message"]["id"]) == 1


async def test_a_retry_from_another_tab_returns_the_same_message(
    live_users: UserFactory, live_http: httpx.AsyncClient, tabs: Tabs
) -> None:
    alice, bob = await live_users.create(), await live_users.create()
    conversation = await open_direct(live_http, alice, bob)
    first_tab, second_tab = await tabs.open(alice), await tabs.open(alice)
    payload = send_payload(conversation["id"], "from two tabs", "shared-id")

    first, second = await asyncio.gather(
        first_tab.call("message:send", payload), second_tab.call("message:send", payload)
    )

    assert first["ok"] is True
    assert second == first
    assert len(await history(live_http, bob, conversation["id"])) == 1


async def test_a_client_msg_id_reused_in_another_conversation_is_a_conflict(
    live_users: UserFactory, live_http: httpx.AsyncClient, tabs: Tabs
) -> None:
    alice, bob, carol = [await live_users.create() for _ in range(3)]
    with_bob = await open_direct(live_http, alice, bob)
    with_carol = await open_direct(live_http, alice, carol)
    alice_tab = await tabs.open(alice)
    await alice_tab.send(with_bob["id"], "first use", "same-key")

    ack = await alice_tab.call("message:send", send_payload(with_carol["id"], "again", "same-key"))

    assert error_code(ack) == "conflict"
    assert await history(live_http, carol, with_carol["id"]) == []


# --- many senders at once --------------------------------------------------------------------

SENDERS = 5
TABS_PER_SENDER = 2
MESSAGES_PER_TAB = 5
TOTAL = SENDERS * TABS_PER_SENDER * MESSAGES_PER_TAB  # 50


async def concurrent_group_traffic(
    live_users: UserFactory, live_http: httpx.AsyncClient, tabs: Tabs
) -> tuple[Json, Tab, list[tuple[Tab, list[Json]]]]:
    """Five users with two tabs each send five messages per tab into one group, all at
    once; a sixth member only listens. The group, the listener and each tab's acked
    messages (every send must be accepted)."""
    senders = [await live_users.create() for _ in range(SENDERS)]
    listener = await live_users.create()
    group = await create_group(live_http, senders[0], [*senders[1:], listener], "busy room")
    sender_tabs = [await tabs.open(user) for user in senders for _ in range(TABS_PER_SENDER)]
    listener_tab = await tabs.open(listener)

    async def burst(tab: Tab, number: int) -> list[Json]:
        return list(
            await asyncio.gather(
                *(
                    tab.send(group["id"], f"tab {number} message {i}")
                    for i in range(MESSAGES_PER_TAB)
                )
            )
        )

    acked = await asyncio.gather(*(burst(tab, n) for n, tab in enumerate(sender_tabs)))
    return group, listener_tab, list(zip(sender_tabs, acked, strict=True))


async def test_fifty_concurrent_sends_to_a_group_get_seqs_one_to_fifty_without_gaps(
    live_users: UserFactory, live_http: httpx.AsyncClient, tabs: Tabs
) -> None:
    group, listener_tab, sent = await concurrent_group_traffic(live_users, live_http, tabs)

    acked = [message for _tab, messages in sent for message in messages]
    assert sorted(message["seq"] for message in acked) == list(range(1, TOTAL + 1))
    stored = await history(live_http, listener_tab.user, group["id"])
    assert [message["seq"] for message in stored] == list(range(1, TOTAL + 1))
    assert sorted(stored, key=lambda m: m["id"]) == sorted(acked, key=lambda m: m["id"])
    assert (await conversation_of(live_http, listener_tab.user, group["id"]))["last_seq"] == TOTAL


async def test_every_socket_gets_each_message_it_did_not_send_once_and_in_seq_order(
    live_users: UserFactory, live_http: httpx.AsyncClient, tabs: Tabs
) -> None:
    group, listener_tab, sent = await concurrent_group_traffic(live_users, live_http, tabs)
    everything = sorted((m for _tab, messages in sent for m in messages), key=lambda m: m["seq"])
    sender_tabs = [tab for tab, _messages in sent]

    # Two sentinels, so that every socket (the first sender's too) receives one.
    settled = {
        (await sentinel(listener_tab, group["id"], *sender_tabs))["id"],
        (await sentinel(sender_tabs[0], group["id"], listener_tab, *sender_tabs[1:]))["id"],
    }

    receivers = [(listener_tab, set[int]())] + [
        (tab, {m["id"] for m in messages}) for tab, messages in sent
    ]
    for tab, own in receivers:
        received = tab.events.messages(conversation_id=group["id"])
        assert [m for m in received if m["id"] not in settled] == [
            m for m in everything if m["id"] not in own
        ], tab.user.username


# --- read markers ----------------------------------------------------------------------------


async def three_unread(
    live_users: UserFactory, live_http: httpx.AsyncClient, tabs: Tabs
) -> tuple[Json, Tab, Tab, Tab]:
    """Alice sent Bob three messages; Bob has two tabs. The conversation and the tabs
    (alice, bob's first, bob's second), once both of Bob's tabs have the messages."""
    alice, bob = await live_users.create(), await live_users.create()
    conversation = await open_direct(live_http, alice, bob)
    alice_tab = await tabs.open(alice)
    bob_first, bob_second = await tabs.open(bob), await tabs.open(bob)
    for number in range(3):
        last = await alice_tab.send(conversation["id"], f"unread {number}")
    for tab in (bob_first, bob_second):
        await tab.wait_for_message(last["id"])
    return conversation, alice_tab, bob_first, bob_second


async def test_conversation_read_acks_the_new_marker_and_the_unread_count(
    live_users: UserFactory, live_http: httpx.AsyncClient, tabs: Tabs
) -> None:
    conversation, _alice_tab, bob_tab, _ = await three_unread(live_users, live_http, tabs)

    ack = await bob_tab.call("conversation:read", {"conversation_id": conversation["id"], "seq": 2})

    assert ack == {"ok": True, "last_read_seq": 2, "unread_count": 1}
    seen_by_bob = await conversation_of(live_http, bob_tab.user, conversation["id"])
    assert seen_by_bob["last_read_seq"] == 2
    assert seen_by_bob["unread_count"] == 1


async def test_the_other_member_gets_the_read_marker_without_an_unread_count(
    live_users: UserFactory, live_http: httpx.AsyncClient, tabs: Tabs
) -> None:
    conversation, alice_tab, bob_tab, _ = await three_unread(live_users, live_http, tabs)

    await bob_tab.call("conversation:read", {"conversation_id": conversation["id"], "seq": 3})

    event = await alice_tab.wait_for("conversation:read", lambda _data: True, "bob's marker")
    assert event == {
        "conversation_id": conversation["id"],
        "user_id": bob_tab.user.id,
        "seq": 3,
        "unread_count": None,
    }


async def test_the_readers_other_tab_gets_the_marker_with_the_unread_count(
    live_users: UserFactory, live_http: httpx.AsyncClient, tabs: Tabs
) -> None:
    conversation, _alice_tab, bob_first, bob_second = await three_unread(
        live_users, live_http, tabs
    )

    await bob_first.call("conversation:read", {"conversation_id": conversation["id"], "seq": 1})

    event = await bob_second.wait_for("conversation:read", lambda _data: True, "own marker")
    assert event == {
        "conversation_id": conversation["id"],
        "user_id": bob_first.user.id,
        "seq": 1,
        "unread_count": 2,
    }


async def test_a_read_marker_never_moves_back_and_is_clamped_to_the_last_message(
    live_users: UserFactory, live_http: httpx.AsyncClient, tabs: Tabs
) -> None:
    conversation, alice_tab, bob_tab, _ = await three_unread(live_users, live_http, tabs)
    read = {"conversation_id": conversation["id"]}

    beyond = await bob_tab.call("conversation:read", {**read, "seq": 1000})
    back = await bob_tab.call("conversation:read", {**read, "seq": 1})

    assert beyond == {"ok": True, "last_read_seq": 3, "unread_count": 0}
    assert back == {"ok": True, "last_read_seq": 3, "unread_count": 0}
    await sentinel(bob_tab, conversation["id"], alice_tab)
    assert [event["seq"] for event in alice_tab.events.of("conversation:read")] == [3]


# --- edit and delete -------------------------------------------------------------------------


async def a_sent_message(
    live_users: UserFactory, live_http: httpx.AsyncClient, tabs: Tabs
) -> tuple[Json, Tab, Tab, Tab]:
    """Alice (two tabs) sent Bob a message. The message, alice's tab that sent it,
    alice's other tab and bob's tab."""
    alice, bob = await live_users.create(), await live_users.create()
    conversation = await open_direct(live_http, alice, bob)
    alice_tab, alice_other = await tabs.open(alice), await tabs.open(alice)
    bob_tab = await tabs.open(bob)
    message = await alice_tab.send(conversation["id"], "first draft")
    return message, alice_tab, alice_other, bob_tab


async def test_the_author_edits_a_message_and_members_get_message_updated(
    live_users: UserFactory, live_http: httpx.AsyncClient, tabs: Tabs
) -> None:
    message, alice_tab, alice_other, bob_tab = await a_sent_message(live_users, live_http, tabs)

    ack = await alice_tab.call("message:edit", {"message_id": message["id"], "body": "fixed"})

    assert ack["ok"] is True
    edited = ack["message"]
    assert edited["body"] == "fixed"
    assert edited["edited_at"] is not None
    assert edited["change_seq"] > message["change_seq"]
    changed = {"body", "edited_at", "change_seq"}
    assert {k: v for k, v in edited.items() if k not in changed} == {
        k: v for k, v in message.items() if k not in changed
    }
    for tab in (bob_tab, alice_other):
        assert await tab.wait_for_message(message["id"], "message:updated") == edited
    assert await history(live_http, bob_tab.user, message["conversation_id"]) == [edited]


async def test_the_author_deletes_a_message_and_members_get_it_erased(
    live_users: UserFactory, live_http: httpx.AsyncClient, tabs: Tabs
) -> None:
    message, alice_tab, alice_other, bob_tab = await a_sent_message(live_users, live_http, tabs)

    ack = await alice_tab.call("message:delete", {"message_id": message["id"]})

    assert ack["ok"] is True
    deleted = ack["message"]
    assert deleted["deleted"] is True
    assert deleted["body"] == ""
    assert deleted["seq"] == message["seq"]
    for tab in (bob_tab, alice_other):
        assert await tab.wait_for_message(message["id"], "message:updated") == deleted
    assert await history(live_http, bob_tab.user, message["conversation_id"]) == [deleted]


async def test_a_deleted_message_cannot_be_edited(
    live_users: UserFactory, live_http: httpx.AsyncClient, tabs: Tabs
) -> None:
    message, alice_tab, _alice_other, _bob_tab = await a_sent_message(live_users, live_http, tabs)
    await alice_tab.call("message:delete", {"message_id": message["id"]})

    ack = await alice_tab.call("message:edit", {"message_id": message["id"], "body": "back?"})

    assert error_code(ack) == "message_deleted"


async def test_a_member_who_is_not_the_author_cannot_edit_or_delete(
    live_users: UserFactory, live_http: httpx.AsyncClient, tabs: Tabs
) -> None:
    message, alice_tab, _alice_other, bob_tab = await a_sent_message(live_users, live_http, tabs)

    edit = await bob_tab.call("message:edit", {"message_id": message["id"], "body": "mine now"})
    delete = await bob_tab.call("message:delete", {"message_id": message["id"]})

    assert error_code(edit) == "forbidden"
    assert error_code(delete) == "forbidden"
    assert await history(live_http, bob_tab.user, message["conversation_id"]) == [message]
    await sentinel(bob_tab, message["conversation_id"], alice_tab)
    assert alice_tab.events.of("message:updated") == []


async def test_a_non_member_cannot_edit_or_delete_and_learns_nothing(
    live_users: UserFactory, live_http: httpx.AsyncClient, tabs: Tabs
) -> None:
    message, _alice_tab, _alice_other, bob_tab = await a_sent_message(live_users, live_http, tabs)
    mallory_tab = await tabs.open(await live_users.create())

    edit = await mallory_tab.call("message:edit", {"message_id": message["id"], "body": "x"})
    delete = await mallory_tab.call("message:delete", {"message_id": message["id"]})
    missing = await mallory_tab.call("message:delete", {"message_id": message["id"] + 1000})

    assert error_code(edit) == "not_found"
    assert error_code(delete) == "not_found"
    assert delete["error"] == missing["error"]  # the same answer as for no message at all
    assert await history(live_http, bob_tab.user, message["conversation_id"]) == [message]


# --- members only ----------------------------------------------------------------------------


async def test_a_non_member_can_neither_send_mark_read_nor_type(
    live_users: UserFactory, live_http: httpx.AsyncClient, tabs: Tabs
) -> None:
    alice, bob, mallory = [await live_users.create() for _ in range(3)]
    conversation = await open_direct(live_http, alice, bob)
    mallory_tab = await tabs.open(mallory)
    conversation_id = conversation["id"]

    acks = {
        "message:send": await mallory_tab.call(
            "message:send", send_payload(conversation_id, "let me in")
        ),
        "conversation:read": await mallory_tab.call(
            "conversation:read", {"conversation_id": conversation_id, "seq": 0}
        ),
        "typing": await mallory_tab.call("typing", {"conversation_id": conversation_id}),
    }

    assert {event: error_code(ack) for event, ack in acks.items()} == dict.fromkeys(
        acks, "not_found"
    )
    assert await history(live_http, alice, conversation_id) == []


async def test_a_non_member_receives_none_of_a_conversations_events(
    live_users: UserFactory, live_http: httpx.AsyncClient, tabs: Tabs
) -> None:
    alice, bob, carol = [await live_users.create() for _ in range(3)]
    private = await open_direct(live_http, alice, bob)
    with_carol = await open_direct(live_http, alice, carol)
    alice_tab, bob_tab, carol_tab = (
        await tabs.open(alice),
        await tabs.open(bob),
        await tabs.open(carol),
    )

    message = await alice_tab.send(private["id"], "just between us")
    await bob_tab.wait_for_message(message["id"])
    assert (await bob_tab.call("typing", {"conversation_id": private["id"]}))["relayed"] is True
    await alice_tab.call("message:edit", {"message_id": message["id"], "body": "edited"})
    await bob_tab.call("conversation:read", {"conversation_id": private["id"], "seq": 1})
    await alice_tab.call("message:delete", {"message_id": message["id"]})
    final = await sentinel(alice_tab, with_carol["id"], carol_tab)

    assert [m["id"] for m in carol_tab.events.messages()] == [final["id"]]
    assert carol_tab.events.of("message:updated") == []
    assert carol_tab.events.of("typing") == []
    assert carol_tab.events.of("conversation:read") == []


# --- group changes ---------------------------------------------------------------------------


async def test_creating_a_group_sends_conversation_updated_to_every_member(
    live_users: UserFactory, live_http: httpx.AsyncClient, tabs: Tabs
) -> None:
    alice, bob, carol, dave = [await live_users.create() for _ in range(4)]
    bob_tab, carol_tab, dave_tab = (
        await tabs.open(bob),
        await tabs.open(carol),
        await tabs.open(dave),
    )

    group = await create_group(live_http, alice, [bob, carol], "book club")

    for tab in (bob_tab, carol_tab):
        event = await tab.wait_for(
            "conversation:updated", lambda data: data["conversation"]["id"] == group["id"], "group"
        )
        seen = event["conversation"]
        assert seen["title"] == "book club"
        assert seen["kind"] == "group"
        assert {member["id"] for member in seen["members"]} == {alice.id, bob.id, carol.id}
        # The one payload all members get: the REST view less the reader's own fields.
        mine = await conversation_of(live_http, tab.user, group["id"])
        assert seen == {k: v for k, v in mine.items() if k not in {"last_read_seq", "unread_count"}}
    with_dave = await open_direct(live_http, alice, dave)
    await wait_until(
        lambda: any(
            data["conversation"]["id"] == with_dave["id"]
            for data in dave_tab.events.of("conversation:updated")
        ),
        "dave saw the direct conversation",
    )
    assert [data["conversation"]["id"] for data in dave_tab.events.of("conversation:updated")] == [
        with_dave["id"]
    ]


async def test_renaming_a_group_sends_conversation_updated_with_the_new_title(
    live_users: UserFactory, live_http: httpx.AsyncClient, tabs: Tabs
) -> None:
    alice, bob = await live_users.create(), await live_users.create()
    group = await create_group(live_http, alice, [bob], "old name")
    bob_tab = await tabs.open(bob)

    response = await live_http.patch(
        f"/api/conversations/{group['id']}", json={"title": "new name"}, headers=alice.headers
    )
    assert response.status_code == 200, response.text

    event = await bob_tab.wait_for(
        "conversation:updated", lambda data: data["conversation"]["id"] == group["id"], "rename"
    )
    assert event["conversation"]["title"] == "new name"


async def test_a_removed_member_gets_conversation_removed_and_no_more_of_its_events(
    live_users: UserFactory, live_http: httpx.AsyncClient, tabs: Tabs
) -> None:
    alice, bob, carol = [await live_users.create() for _ in range(3)]
    group = await create_group(live_http, alice, [bob, carol], "team")
    with_carol = await open_direct(live_http, alice, carol)
    alice_tab, bob_tab, carol_tab = (
        await tabs.open(alice),
        await tabs.open(bob),
        await tabs.open(carol),
    )
    before = await alice_tab.send(group["id"], "carol can see this")
    await carol_tab.wait_for_message(before["id"])

    response = await live_http.delete(
        f"/api/conversations/{group['id']}/members/{carol.id}", headers=alice.headers
    )
    assert response.status_code == 204, response.text

    removed = await carol_tab.wait_for("conversation:removed", lambda _data: True, "removal")
    assert removed == {"conversation_id": group["id"]}
    update = await bob_tab.wait_for(
        "conversation:updated",
        lambda data: (
            data["conversation"]["id"] == group["id"]
            and carol.id not in {member["id"] for member in data["conversation"]["members"]}
        ),
        "carol left the member list",
    )
    assert {member["id"] for member in update["conversation"]["members"]} == {alice.id, bob.id}
    after = await alice_tab.send(group["id"], "carol cannot see this")
    await bob_tab.wait_for_message(after["id"])
    assert (await bob_tab.call("typing", {"conversation_id": group["id"]}))["relayed"] is True
    await alice_tab.call("message:edit", {"message_id": before["id"], "body": "changed"})
    refused = await carol_tab.call("message:send", send_payload(group["id"], "still here?"))
    await sentinel(alice_tab, with_carol["id"], carol_tab)
    assert error_code(refused) == "not_found"
    assert carol_tab.events.messages(conversation_id=group["id"]) == [before]
    assert carol_tab.events.of("typing") == []
    assert carol_tab.events.of("message:updated") == []


# --- rate limit ------------------------------------------------------------------------------


class TestSendRateLimit:
    """With at most three sends a minute per user (sockets and REST together)."""

    @pytest.fixture
    def settings(self, database_url: str, tmp_path: Path) -> Settings:
        return live_settings(database_url, tmp_path, send_rate_limit="3/minute")

    async def test_the_fourth_send_in_a_minute_is_rate_limited(
        self, live_users: UserFactory, live_http: httpx.AsyncClient, tabs: Tabs
    ) -> None:
        alice, bob = await live_users.create(), await live_users.create()
        conversation = await open_direct(live_http, alice, bob)
        alice_tab = await tabs.open(alice)
        for number in range(3):
            await alice_tab.send(conversation["id"], f"allowed {number}")

        ack = await alice_tab.call("message:send", send_payload(conversation["id"], "one more"))

        assert error_code(ack) == "rate_limited"
        retry_after = ack["error"]["retry_after"]
        assert isinstance(retry_after, int) and 1 <= retry_after <= 60
        assert len(await history(live_http, bob, conversation["id"])) == 3

    async def test_the_limit_is_per_user(
        self, live_users: UserFactory, live_http: httpx.AsyncClient, tabs: Tabs
    ) -> None:
        alice, bob = await live_users.create(), await live_users.create()
        conversation = await open_direct(live_http, alice, bob)
        alice_tab, bob_tab = await tabs.open(alice), await tabs.open(bob)
        for number in range(3):
            await alice_tab.send(conversation["id"], f"alice {number}")

        reply = await bob_tab.send(conversation["id"], "bob still may")

        assert reply["seq"] == 4
