"""Malformed socket payloads get error acks and leave the socket usable; oversized frames
close only the offending connection."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.factories import UserFactory
from tests.integration.realtime.conftest import Json, Tab, Tabs, history, open_direct, wait_until
from vaultroom.schemas.ids import MAX_ID

MAX_CHARS = 4000  # VAULTROOM_MAX_MESSAGE_CHARS by default


@dataclass
class Chat:
    """Alice's tab, Bob's tab and their direct conversation."""

    alice: Tab
    bob: Tab
    conversation_id: int


@pytest.fixture
async def chat(live_users: UserFactory, live_http: httpx.AsyncClient, tabs: Tabs) -> Chat:
    """Two users connected, with a direct conversation."""
    alice, bob = await live_users.create(), await live_users.create()
    conversation = await open_direct(live_http, alice, bob)
    return Chat(
        alice=await tabs.open(alice), bob=await tabs.open(bob), conversation_id=conversation["id"]
    )


def valid_send(chat: Chat, **changes: Any) -> Json:
    """A well-formed ``message:send`` payload, with ``changes`` applied."""
    return {
        "conversation_id": chat.conversation_id,
        "client_msg_id": "ok-1",
        "body": "hi",
    } | changes


async def assert_still_usable(chat: Chat, live_http: httpx.AsyncClient) -> None:
    """The socket is connected and its next send is stored and delivered."""
    assert chat.alice.client.connected
    message = await chat.alice.send(chat.conversation_id, "still here")
    await chat.bob.wait_for_message(message["id"])
    assert [m["body"] for m in await history(live_http, chat.alice.user, chat.conversation_id)] == [
        "still here"
    ]


def refusal(ack: Any) -> Json:
    """The error of a refusal ack."""
    assert isinstance(ack, dict), ack
    assert ack["ok"] is False, ack
    error: Json = ack["error"]
    assert isinstance(error["message"], str) and error["message"]
    return error


# --- message:send payloads -------------------------------------------------------------------

# (payload builder, the invalid field named in error.fields, or None when the whole payload is)
SEND_CASES = [
    pytest.param(lambda _chat: "hello", None, id="a-string"),
    pytest.param(lambda _chat: ["conversation_id", 1], None, id="a-list"),
    pytest.param(lambda _chat: 42, None, id="a-number"),
    pytest.param(lambda _chat: None, None, id="no-payload"),
    pytest.param(lambda chat: (valid_send(chat), valid_send(chat)), None, id="two-payloads"),
    pytest.param(lambda _chat: {}, "conversation_id", id="empty-object"),
    pytest.param(
        lambda chat: {"conversation_id": chat.conversation_id, "body": "hi"},
        "client_msg_id",
        id="missing-client-msg-id",
    ),
    pytest.param(
        lambda chat: {"conversation_id": chat.conversation_id, "client_msg_id": "x"},
        "body",
        id="missing-body",
    ),
    pytest.param(
        lambda chat: valid_send(chat, conversation_id=str(chat.conversation_id)),
        "conversation_id",
        id="string-id",
    ),
    pytest.param(
        lambda chat: valid_send(chat, conversation_id=float(chat.conversation_id)),
        "conversation_id",
        id="float-id",
    ),
    pytest.param(
        lambda chat: valid_send(chat, conversation_id=True), "conversation_id", id="bool-id"
    ),
    pytest.param(lambda chat: valid_send(chat, conversation_id=0), "conversation_id", id="zero-id"),
    pytest.param(
        lambda chat: valid_send(chat, conversation_id=-1), "conversation_id", id="negative-id"
    ),
    pytest.param(
        lambda chat: valid_send(chat, conversation_id=MAX_ID + 1),
        "conversation_id",
        id="id-past-64-bits",
    ),
    pytest.param(
        lambda chat: valid_send(chat, conversation_id=10**40), "conversation_id", id="huge-id"
    ),
    pytest.param(
        lambda chat: valid_send(chat, conversation_id=None), "conversation_id", id="null-id"
    ),
    pytest.param(lambda chat: valid_send(chat, body=123), "body", id="number-body"),
    pytest.param(lambda chat: valid_send(chat, body=["hi"]), "body", id="list-body"),
    pytest.param(lambda chat: valid_send(chat, body=""), "body", id="empty-body"),
    pytest.param(lambda chat: valid_send(chat, body=" \n\t "), "body", id="blank-body"),
    pytest.param(lambda chat: valid_send(chat, body="x" * (MAX_CHARS + 1)), "body", id="body-4001"),
    pytest.param(lambda chat: valid_send(chat, body="x" * 16_001), "body", id="body-16001"),
    pytest.param(lambda chat: valid_send(chat, body="nul \x00 inside"), "body", id="nul-in-body"),
    pytest.param(lambda chat: valid_send(chat, body="bell \x07"), "body", id="control-in-body"),
    pytest.param(
        lambda chat: valid_send(chat, body="half \ud800 a pair"), "body", id="lone-surrogate"
    ),
    pytest.param(
        lambda chat: valid_send(chat, client_msg_id="has space"),
        "client_msg_id",
        id="bad-client-id",
    ),
    pytest.param(
        lambda chat: valid_send(chat, client_msg_id="k" * 65), "client_msg_id", id="long-client-id"
    ),
    pytest.param(
        lambda chat: valid_send(chat, client_msg_id=""), "client_msg_id", id="empty-client-id"
    ),
    pytest.param(
        lambda chat: valid_send(chat, client_msg_id=7), "client_msg_id", id="number-client-id"
    ),
    pytest.param(lambda chat: valid_send(chat, sender_id=1), "sender_id", id="unknown-key"),
]


@pytest.mark.parametrize(("payload", "field"), SEND_CASES)
async def test_a_malformed_send_is_refused_as_invalid_input_and_the_socket_stays_usable(
    chat: Chat, live_http: httpx.AsyncClient, payload: Any, field: str | None
) -> None:
    ack = await chat.alice.call("message:send", payload(chat))

    error = refusal(ack)
    assert error["code"] == "invalid_input"
    if field is not None:
        assert field in error["fields"], error
    assert await history(live_http, chat.alice.user, chat.conversation_id) == []
    await assert_still_usable(chat, live_http)


async def test_a_body_of_exactly_the_maximum_length_is_accepted(chat: Chat) -> None:
    message = await chat.alice.send(chat.conversation_id, "y" * MAX_CHARS)

    assert len(message["body"]) == MAX_CHARS


async def test_a_body_is_stored_trimmed_with_its_inner_newlines_and_tabs(chat: Chat) -> None:
    message = await chat.alice.send(chat.conversation_id, "  line one\n\tline two \r\n ")

    assert message["body"] == "line one\n\tline two"


async def test_an_id_that_fits_64_bits_but_does_not_exist_is_not_found(chat: Chat) -> None:
    send = await chat.alice.call("message:send", valid_send(chat, conversation_id=MAX_ID))
    read = await chat.alice.call("conversation:read", {"conversation_id": MAX_ID, "seq": MAX_ID})
    edit = await chat.alice.call("message:edit", {"message_id": MAX_ID, "body": "x"})

    assert [refusal(ack)["code"] for ack in (send, read, edit)] == ["not_found"] * 3


# --- the other events ------------------------------------------------------------------------

OTHER_CASES = [
    pytest.param(
        "message:edit", {"message_id": "1", "body": "x"}, "message_id", id="edit-string-id"
    ),
    pytest.param("message:edit", {"message_id": 1}, "body", id="edit-without-body"),
    pytest.param("message:edit", {"message_id": 1, "body": ""}, "body", id="edit-empty-body"),
    pytest.param(
        "message:edit",
        {"message_id": 1, "body": "z" * (MAX_CHARS + 1)},
        "body",
        id="edit-body-4001",
    ),
    pytest.param("message:delete", {}, "message_id", id="delete-without-id"),
    pytest.param("message:delete", [1], None, id="delete-a-list"),
    pytest.param(
        "message:delete", {"message_id": 1, "hard": True}, "hard", id="delete-unknown-key"
    ),
    pytest.param(
        "conversation:read", {"conversation_id": 1, "seq": -1}, "seq", id="read-negative-seq"
    ),
    pytest.param(
        "conversation:read", {"conversation_id": 1, "seq": "3"}, "seq", id="read-string-seq"
    ),
    pytest.param("conversation:read", {"conversation_id": 1}, "seq", id="read-without-seq"),
    pytest.param("typing", None, None, id="typing-without-payload"),
    pytest.param("typing", "1", None, id="typing-a-string"),
    pytest.param("typing", {"conversation_id": 1, "text": "hel"}, "text", id="typing-unknown-key"),
]


@pytest.mark.parametrize(("event", "payload", "field"), OTHER_CASES)
async def test_a_malformed_payload_of_another_event_is_refused_as_invalid_input(
    chat: Chat, live_http: httpx.AsyncClient, event: str, payload: Any, field: str | None
) -> None:
    ack = await chat.alice.call(event, payload)

    error = refusal(ack)
    assert error["code"] == "invalid_input"
    if field is not None:
        assert field in error["fields"], error
    await assert_still_usable(chat, live_http)


@pytest.mark.parametrize(
    "payload",
    [pytest.param(None, id="no-payload"), pytest.param({"anything": 1}, id="an-object")],
)
async def test_an_unknown_event_is_answered_unknown_event(
    chat: Chat, live_http: httpx.AsyncClient, payload: Any
) -> None:
    ack = await chat.alice.call("message:explode", payload)

    assert refusal(ack)["code"] == "unknown_event"
    await assert_still_usable(chat, live_http)


# --- oversized frames ------------------------------------------------------------------------


async def test_a_frame_above_64_kib_closes_that_connection_and_the_server_serves_others(
    chat: Chat, live_http: httpx.AsyncClient, tabs: Tabs
) -> None:
    huge = valid_send(chat, body="x" * (65 * 1024))

    await chat.bob.client.emit("message:send", huge)

    await wait_until(lambda: not chat.bob.client.connected, "the oversized frame closed the socket")
    assert chat.alice.client.connected
    message = await chat.alice.send(chat.conversation_id, "anyone there?")
    assert [m["id"] for m in await history(live_http, chat.alice.user, chat.conversation_id)] == [
        message["id"]
    ]
    bob_again = await tabs.open(chat.bob.user)
    reply = await bob_again.send(chat.conversation_id, "back")
    assert reply["seq"] == 2
