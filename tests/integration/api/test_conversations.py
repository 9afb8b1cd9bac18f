"""Conversations over REST: the list, direct and group conversations, members, read markers."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.factories import UserFactory
from tests.integration.api.conftest import Chat, client_for, roles
from vaultroom.settings import Settings

NOT_FOUND = {"error": {"code": "not_found", "message": "No such conversation."}}
MISSING = 987654321  # an id no test creates


# --- the list ------------------------------------------------------------------------------


async def test_the_list_shows_the_most_recently_active_conversation_first(
    users: UserFactory, chat: Chat
) -> None:
    alice, bob, carol = await users.create(), await users.create(), await users.create()
    with_bob = await chat.direct(alice, bob)
    with_carol = await chat.direct(alice, carol)
    group = await chat.group(alice, bob, carol)
    assert [c["id"] for c in await chat.listing(alice)] == [
        group["id"],
        with_carol["id"],
        with_bob["id"],
    ]

    await chat.send(bob, with_bob["id"], "first")
    await chat.send(bob, with_bob["id"], "second")

    listed = await chat.listing(alice)
    assert [c["id"] for c in listed] == [with_bob["id"], group["id"], with_carol["id"]]
    top = listed[0]
    assert top["last_message"]["body"] == "second"
    assert top["last_message"]["seq"] == 2
    assert top["last_message"]["sender_id"] == bob.id
    assert top["last_seq"] == 2
    assert top["last_read_seq"] == 0
    assert top["unread_count"] == 2
    assert listed[1]["last_message"] is None
    assert listed[1]["last_seq"] == 0
    assert listed[1]["unread_count"] == 0


async def test_the_list_holds_only_the_callers_conversations(
    users: UserFactory, chat: Chat
) -> None:
    alice, bob, carol = await users.create(), await users.create(), await users.create()
    await chat.direct(bob, carol)
    await chat.group(bob, carol)
    assert await chat.listing(alice) == []
    assert len(await chat.listing(carol)) == 2


async def test_the_list_needs_a_session(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/conversations")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


# --- direct conversations ----------------------------------------------------------------


async def test_opening_a_direct_conversation_again_returns_the_same_one_from_either_side(
    users: UserFactory, client: httpx.AsyncClient
) -> None:
    alice, bob = await users.create(), await users.create()
    first = await client.post(
        "/api/conversations/direct", json={"user_id": bob.id}, headers=alice.headers
    )
    again = await client.post(
        "/api/conversations/direct", json={"user_id": bob.id}, headers=alice.headers
    )
    reverse = await client.post(
        "/api/conversations/direct", json={"user_id": alice.id}, headers=bob.headers
    )
    assert (first.status_code, again.status_code, reverse.status_code) == (201, 200, 200)
    ids = {response.json()["id"] for response in (first, again, reverse)}
    assert len(ids) == 1
    conversation = first.json()
    assert conversation["kind"] == "direct"
    assert conversation["title"] is None
    assert sorted(user["id"] for user in conversation["members"]) == sorted([alice.id, bob.id])
    assert roles(conversation) == {alice.id: "member", bob.id: "member"}


async def test_a_direct_conversation_with_an_unknown_user_is_404(
    users: UserFactory, client: httpx.AsyncClient
) -> None:
    alice = await users.create()
    response = await client.post(
        "/api/conversations/direct", json={"user_id": MISSING}, headers=alice.headers
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert (await client.get("/api/conversations", headers=alice.headers)).json() == {
        "conversations": []
    }


async def test_a_direct_conversation_with_oneself_has_one_member(
    users: UserFactory, chat: Chat
) -> None:
    alice = await users.create()
    notes = await chat.direct(alice, alice)
    assert [user["id"] for user in notes["members"]] == [alice.id]
    await chat.send(alice, notes["id"], "a note to self")
    assert (await chat.get(alice, notes["id"]))["unread_count"] == 0


# --- groups --------------------------------------------------------------------------------


async def test_the_creator_owns_a_new_group_whose_title_is_trimmed(
    users: UserFactory, chat: Chat
) -> None:
    alice, bob, carol = await users.create(), await users.create(), await users.create()
    group = await chat.group(alice, bob, carol, bob, title="  Weekend plans \n")
    assert group["kind"] == "group"
    assert group["title"] == "Weekend plans"
    assert roles(group) == {alice.id: "owner", bob.id: "member", carol.id: "member"}
    assert group["last_seq"] == 0
    assert group["unread_count"] == 0
    assert (await chat.get(bob, group["id"]))["title"] == "Weekend plans"


async def test_a_group_title_of_100_characters_is_accepted(users: UserFactory, chat: Chat) -> None:
    alice = await users.create()
    group = await chat.group(alice, title="t" * 100)
    assert group["title"] == "t" * 100
    assert roles(group) == {alice.id: "owner"}


@pytest.mark.parametrize(
    "title",
    ["", "   ", "t" * 101, "bad\x00title", "line\nbreak", "tab\there", "\u202eevil"],
    ids=["empty", "blank", "too-long", "nul", "newline", "tab", "bidi-override"],
)
async def test_a_bad_group_title_is_422_and_creates_nothing(
    users: UserFactory, client: httpx.AsyncClient, title: str
) -> None:
    alice, bob = await users.create(), await users.create()
    response = await client.post(
        "/api/conversations/group",
        json={"title": title, "member_ids": [bob.id]},
        headers=alice.headers,
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "invalid_input"
    assert "title" in response.json()["error"]["fields"]
    assert (await client.get("/api/conversations", headers=bob.headers)).json() == {
        "conversations": []
    }


async def test_unknown_member_ids_are_422_and_create_nothing(
    users: UserFactory, client: httpx.AsyncClient
) -> None:
    alice, bob = await users.create(), await users.create()
    response = await client.post(
        "/api/conversations/group",
        json={"title": "Team", "member_ids": [bob.id, MISSING]},
        headers=alice.headers,
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_input"
    assert "member_ids" in response.json()["error"]["fields"]
    for user in (alice, bob):
        listed = await client.get("/api/conversations", headers=user.headers)
        assert listed.json() == {"conversations": []}


# --- renaming ------------------------------------------------------------------------------


async def rename(
    client: httpx.AsyncClient, headers: dict[str, str], conversation_id: int, title: str
) -> httpx.Response:
    return await client.patch(
        f"/api/conversations/{conversation_id}", json={"title": title}, headers=headers
    )


async def test_the_owner_and_an_admin_can_rename_a_group(
    users: UserFactory, client: httpx.AsyncClient, chat: Chat
) -> None:
    owner, admin, member = await users.create(), await users.create(), await users.create()
    group = await chat.group(owner, admin, member, title="Before")
    await chat.make_admin(owner, group["id"], admin)

    by_owner = await rename(client, owner.headers, group["id"], "  By owner  ")
    assert by_owner.status_code == 200
    assert by_owner.json()["title"] == "By owner"
    by_admin = await rename(client, admin.headers, group["id"], "By admin")
    assert by_admin.status_code == 200
    assert (await chat.get(member, group["id"]))["title"] == "By admin"


async def test_a_plain_member_cannot_rename_a_group(
    users: UserFactory, client: httpx.AsyncClient, chat: Chat
) -> None:
    owner, member = await users.create(), await users.create()
    group = await chat.group(owner, member, title="Kept")
    response = await rename(client, member.headers, group["id"], "Taken over")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert (await chat.get(owner, group["id"]))["title"] == "Kept"


async def test_a_direct_conversation_cannot_be_renamed(
    users: UserFactory, client: httpx.AsyncClient, chat: Chat
) -> None:
    alice, bob = await users.create(), await users.create()
    direct = await chat.direct(alice, bob)
    response = await rename(client, alice.headers, direct["id"], "Ours")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "not_a_group"
    assert (await chat.get(alice, direct["id"]))["title"] is None


async def test_a_non_member_cannot_rename_a_group(
    users: UserFactory, client: httpx.AsyncClient, chat: Chat
) -> None:
    owner, stranger = await users.create(), await users.create()
    group = await chat.group(owner, title="Private")
    response = await rename(client, stranger.headers, group["id"], "Mine")
    assert response.status_code == 404
    assert response.json() == NOT_FOUND
    assert (await chat.get(owner, group["id"]))["title"] == "Private"


@pytest.mark.parametrize("title", ["", "  ", "t" * 101, "a\x07b"])
async def test_renaming_to_a_bad_title_is_422(
    users: UserFactory, client: httpx.AsyncClient, chat: Chat, title: str
) -> None:
    owner = await users.create()
    group = await chat.group(owner, title="Kept")
    response = await rename(client, owner.headers, group["id"], title)
    assert response.status_code == 422
    assert "title" in response.json()["error"]["fields"]
    assert (await chat.get(owner, group["id"]))["title"] == "Kept"


# --- adding members ------------------------------------------------------------------------


async def test_a_new_member_sees_the_history_with_nothing_unread(
    users: UserFactory, chat: Chat
) -> None:
    owner, member, newcomer = await users.create(), await users.create(), await users.create()
    group = await chat.group(owner, member)
    for body in ["one", "two", "three"]:
        await chat.send(member, group["id"], body)

    response = await chat.add(owner, group["id"], newcomer)
    assert response.status_code == 200, response.text
    assert roles(response.json())[newcomer.id] == "member"

    seen = await chat.get(newcomer, group["id"])
    assert seen["last_read_seq"] == 3
    assert seen["unread_count"] == 0
    page = await chat.history(newcomer, group["id"])
    assert [message["body"] for message in page["messages"]] == ["one", "two", "three"]

    await chat.send(member, group["id"], "welcome")
    assert (await chat.get(newcomer, group["id"]))["unread_count"] == 1
    assert [c["id"] for c in await chat.listing(newcomer)] == [group["id"]]


async def test_adding_a_member_twice_changes_nothing(users: UserFactory, chat: Chat) -> None:
    owner, member = await users.create(), await users.create()
    group = await chat.group(owner, member)
    response = await chat.add(owner, group["id"], member)
    assert response.status_code == 200
    assert roles(response.json()) == {owner.id: "owner", member.id: "member"}
    assert len(response.json()["members"]) == 2


async def test_an_admin_can_add_members_but_a_plain_member_cannot(
    users: UserFactory, chat: Chat
) -> None:
    owner, admin, member = await users.create(), await users.create(), await users.create()
    first, second = await users.create(), await users.create()
    group = await chat.group(owner, admin, member)
    await chat.make_admin(owner, group["id"], admin)

    assert (await chat.add(admin, group["id"], first)).status_code == 200
    refused = await chat.add(member, group["id"], second)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden"
    assert set(roles(await chat.get(owner, group["id"]))) == {
        owner.id,
        admin.id,
        member.id,
        first.id,
    }


async def test_adding_an_unknown_user_is_404(
    users: UserFactory, client: httpx.AsyncClient, chat: Chat
) -> None:
    owner = await users.create()
    group = await chat.group(owner)
    response = await client.post(
        f"/api/conversations/{group['id']}/members",
        json={"user_id": MISSING},
        headers=owner.headers,
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


async def test_nobody_can_be_added_to_a_direct_conversation(users: UserFactory, chat: Chat) -> None:
    alice, bob, carol = await users.create(), await users.create(), await users.create()
    direct = await chat.direct(alice, bob)
    response = await chat.add(alice, direct["id"], carol)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "not_a_group"
    assert len((await chat.get(alice, direct["id"]))["members"]) == 2


# --- removing members and leaving ----------------------------------------------------------


async def test_the_owner_can_remove_an_admin_and_a_member(users: UserFactory, chat: Chat) -> None:
    owner, admin, member = await users.create(), await users.create(), await users.create()
    group = await chat.group(owner, admin, member)
    await chat.make_admin(owner, group["id"], admin)
    assert (await chat.remove(owner, group["id"], admin)).status_code == 204
    assert (await chat.remove(owner, group["id"], member)).status_code == 204
    assert roles(await chat.get(owner, group["id"])) == {owner.id: "owner"}


async def test_an_admin_can_remove_plain_members_only(users: UserFactory, chat: Chat) -> None:
    owner, admin, other_admin, member = [await users.create() for _ in range(4)]
    group = await chat.group(owner, admin, other_admin, member)
    await chat.make_admin(owner, group["id"], admin)
    await chat.make_admin(owner, group["id"], other_admin)

    for target in (owner, other_admin):
        refused = await chat.remove(admin, group["id"], target)
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "forbidden"
    assert (await chat.remove(admin, group["id"], member)).status_code == 204
    assert roles(await chat.get(owner, group["id"])) == {
        owner.id: "owner",
        admin.id: "admin",
        other_admin.id: "admin",
    }


async def test_a_plain_member_cannot_remove_anyone_else(users: UserFactory, chat: Chat) -> None:
    owner, member, other = await users.create(), await users.create(), await users.create()
    group = await chat.group(owner, member, other)
    for target in (owner, other):
        response = await chat.remove(member, group["id"], target)
        assert response.status_code == 403
    assert len((await chat.get(owner, group["id"]))["members"]) == 3


async def test_removing_someone_who_is_not_a_member_is_404(users: UserFactory, chat: Chat) -> None:
    owner, outsider = await users.create(), await users.create()
    group = await chat.group(owner)
    response = await chat.remove(owner, group["id"], outsider)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


async def test_a_member_can_leave_and_the_group_goes_from_their_list(
    users: UserFactory, chat: Chat
) -> None:
    owner, member = await users.create(), await users.create()
    group = await chat.group(owner, member)
    assert (await chat.remove(member, group["id"], member)).status_code == 204
    assert await chat.listing(member) == []
    assert roles(await chat.get(owner, group["id"])) == {owner.id: "owner"}


async def test_when_the_owner_leaves_the_longest_serving_admin_becomes_owner(
    users: UserFactory, chat: Chat
) -> None:
    owner, member, admin = await users.create(), await users.create(), await users.create()
    group = await chat.group(owner, member)
    assert (await chat.add(owner, group["id"], admin)).status_code == 200
    await chat.make_admin(owner, group["id"], admin)

    assert (await chat.remove(owner, group["id"], owner)).status_code == 204
    assert roles(await chat.get(member, group["id"])) == {admin.id: "owner", member.id: "member"}


async def test_when_the_owner_leaves_without_admins_the_longest_serving_member_becomes_owner(
    users: UserFactory, chat: Chat
) -> None:
    owner, first, later = await users.create(), await users.create(), await users.create()
    group = await chat.group(owner, first)
    assert (await chat.add(owner, group["id"], later)).status_code == 200

    assert (await chat.remove(owner, group["id"], owner)).status_code == 204
    assert roles(await chat.get(later, group["id"])) == {first.id: "owner", later.id: "member"}
    renamed = await chat.http.patch(
        f"/api/conversations/{group['id']}", json={"title": "New era"}, headers=first.headers
    )
    assert renamed.status_code == 200


async def test_a_direct_conversation_cannot_be_left(users: UserFactory, chat: Chat) -> None:
    alice, bob = await users.create(), await users.create()
    direct = await chat.direct(alice, bob)
    for me, target in ((alice, alice), (alice, bob)):
        response = await chat.remove(me, direct["id"], target)
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "not_a_group"
    assert len((await chat.get(bob, direct["id"]))["members"]) == 2


async def test_a_removed_member_can_no_longer_reach_the_conversation(
    users: UserFactory, chat: Chat
) -> None:
    owner, member = await users.create(), await users.create()
    group = await chat.group(owner, member)
    await chat.send(owner, group["id"], "before")
    assert (await chat.remove(owner, group["id"], member)).status_code == 204

    base = f"/api/conversations/{group['id']}"
    responses = [
        await chat.http.get(base, headers=member.headers),
        await chat.http.get(f"{base}/messages", headers=member.headers),
        await chat.post_message(member, group["id"], "still here?"),
        await chat.http.post(f"{base}/read", json={"seq": 1}, headers=member.headers),
    ]
    for response in responses:
        assert response.status_code == 404, response.text
        assert response.json() == NOT_FOUND
    assert await chat.listing(member) == []
    assert await chat.seqs(owner, group["id"]) == [1]


# --- read markers and unread counts --------------------------------------------------------


async def test_the_read_marker_only_moves_forward(users: UserFactory, chat: Chat) -> None:
    alice, bob = await users.create(), await users.create()
    direct = await chat.direct(alice, bob)
    for index in range(4):
        await chat.send(bob, direct["id"], f"m{index}")

    assert await chat.read(alice, direct["id"], 3) == {
        "conversation_id": direct["id"],
        "last_read_seq": 3,
        "unread_count": 1,
    }
    back = await chat.read(alice, direct["id"], 1)
    assert (back["last_read_seq"], back["unread_count"]) == (3, 1)
    seen = await chat.get(alice, direct["id"])
    assert (seen["last_read_seq"], seen["unread_count"]) == (3, 1)


async def test_the_read_marker_is_clamped_to_the_last_message(
    users: UserFactory, chat: Chat
) -> None:
    alice, bob = await users.create(), await users.create()
    direct = await chat.direct(alice, bob)
    await chat.send(bob, direct["id"], "one")
    await chat.send(bob, direct["id"], "two")

    marker = await chat.read(alice, direct["id"], 1_000_000)
    assert (marker["last_read_seq"], marker["unread_count"]) == (2, 0)
    await chat.send(bob, direct["id"], "three")
    seen = await chat.get(alice, direct["id"])
    assert (seen["last_seq"], seen["last_read_seq"], seen["unread_count"]) == (3, 2, 1)


async def test_unread_counts_follow_others_messages_and_never_count_ones_own(
    users: UserFactory, chat: Chat
) -> None:
    alice, bob, carol = await users.create(), await users.create(), await users.create()
    group = await chat.group(alice, bob, carol)
    await chat.send(bob, group["id"], "from bob")
    await chat.send(carol, group["id"], "from carol")
    await chat.send(alice, group["id"], "from alice")

    async def unread(user: Any) -> int:
        count: int = (await chat.get(user, group["id"]))["unread_count"]
        return count

    assert [await unread(user) for user in (alice, bob, carol)] == [2, 2, 2]
    assert (await chat.read(bob, group["id"], 2))["unread_count"] == 1
    assert [await unread(user) for user in (alice, bob, carol)] == [2, 1, 2]
    listed = {c["id"]: c for c in await chat.listing(bob)}
    assert listed[group["id"]]["unread_count"] == 1
    assert listed[group["id"]]["last_read_seq"] == 2
    membership = {row["user_id"]: row for row in listed[group["id"]]["memberships"]}
    assert membership[bob.id]["last_read_seq"] == 2
    assert membership[alice.id]["last_read_seq"] == 0


async def test_marking_read_with_a_bad_seq_is_422(users: UserFactory, chat: Chat) -> None:
    alice, bob = await users.create(), await users.create()
    direct = await chat.direct(alice, bob)
    for seq in [-1, "1", 1.5, None, 2**63]:
        response = await chat.http.post(
            f"/api/conversations/{direct['id']}/read", json={"seq": seq}, headers=alice.headers
        )
        assert response.status_code == 422, (seq, response.text)
        assert "seq" in response.json()["error"]["fields"]


# --- what a non-member learns --------------------------------------------------------------


async def test_a_non_member_cannot_tell_someone_elses_conversation_from_a_missing_one(
    users: UserFactory, chat: Chat
) -> None:
    alice, bob, stranger = await users.create(), await users.create(), await users.create()
    group = await chat.group(alice, bob)
    await chat.send(alice, group["id"], "private")

    async def attempts(conversation_id: int) -> list[httpx.Response]:
        base = f"/api/conversations/{conversation_id}"
        headers = stranger.headers
        return [
            await chat.http.get(base, headers=headers),
            await chat.http.patch(base, json={"title": "Mine"}, headers=headers),
            await chat.http.get(f"{base}/messages", headers=headers),
            await chat.post_message(stranger, conversation_id, "let me in"),
            await chat.http.post(f"{base}/read", json={"seq": 1}, headers=headers),
            await chat.http.post(f"{base}/members", json={"user_id": stranger.id}, headers=headers),
            await chat.http.delete(f"{base}/members/{alice.id}", headers=headers),
            await chat.http.delete(f"{base}/members/{stranger.id}", headers=headers),
        ]

    for theirs, missing in zip(await attempts(group["id"]), await attempts(MISSING), strict=True):
        assert (theirs.status_code, theirs.json()) == (404, NOT_FOUND), theirs.request.url
        assert (missing.status_code, missing.json()) == (404, NOT_FOUND), missing.request.url
    seen = await chat.get(alice, group["id"])
    assert seen["title"] == "Team"
    assert set(roles(seen)) == {alice.id, bob.id}
    assert await chat.seqs(alice, group["id"]) == [1]


# --- bad identifiers -----------------------------------------------------------------------

BAD_PATH_IDS = ["0", "-1", str(2**63), "99999999999999999999999", "abc", "1.5"]


@pytest.mark.parametrize("bad", BAD_PATH_IDS)
async def test_a_bad_conversation_id_in_the_path_is_422(
    users: UserFactory, client: httpx.AsyncClient, bad: str
) -> None:
    alice = await users.create()
    base = f"/api/conversations/{bad}"
    responses = [
        await client.get(base, headers=alice.headers),
        await client.patch(base, json={"title": "x"}, headers=alice.headers),
        await client.get(f"{base}/messages", headers=alice.headers),
        await client.post(
            f"{base}/messages", json={"client_msg_id": "c1", "body": "x"}, headers=alice.headers
        ),
        await client.post(f"{base}/read", json={"seq": 1}, headers=alice.headers),
        await client.post(f"{base}/members", json={"user_id": alice.id}, headers=alice.headers),
        await client.delete(f"{base}/members/{alice.id}", headers=alice.headers),
        await client.delete(f"/api/conversations/1/members/{bad}", headers=alice.headers),
    ]
    for response in responses:
        assert response.status_code == 422, (response.request.url, response.text)
        assert response.json()["error"]["code"] == "invalid_input"


@pytest.mark.parametrize("bad", [0, -5, 2**63, 10**30, "1", 1.5, True, None, [1]])
async def test_a_bad_user_id_in_a_body_is_422(
    users: UserFactory, client: httpx.AsyncClient, chat: Chat, bad: object
) -> None:
    alice = await users.create()
    group = await chat.group(alice)
    responses = [
        await client.post(
            "/api/conversations/direct", json={"user_id": bad}, headers=alice.headers
        ),
        await client.post(
            "/api/conversations/group",
            json={"title": "x", "member_ids": [bad]},
            headers=alice.headers,
        ),
        await client.post(
            f"/api/conversations/{group['id']}/members",
            json={"user_id": bad},
            headers=alice.headers,
        ),
    ]
    for response in responses:
        assert response.status_code == 422, (response.request.url, response.text)
        assert response.json()["error"]["code"] == "invalid_input"


# --- races and limits ----------------------------------------------------------------------


async def test_both_sides_opening_a_direct_conversation_at_once_get_the_same_one(
    users: UserFactory, client: httpx.AsyncClient
) -> None:
    alice, bob = await users.create(), await users.create()
    responses = await asyncio.gather(
        client.post("/api/conversations/direct", json={"user_id": bob.id}, headers=alice.headers),
        client.post("/api/conversations/direct", json={"user_id": alice.id}, headers=bob.headers),
        client.post("/api/conversations/direct", json={"user_id": bob.id}, headers=alice.headers),
    )
    assert sorted(response.status_code for response in responses) == [200, 200, 201]
    assert len({response.json()["id"] for response in responses}) == 1
    assert (
        len((await client.get("/api/conversations", headers=alice.headers)).json()["conversations"])
        == 1
    )


async def test_concurrent_adds_of_one_user_add_them_once(users: UserFactory, chat: Chat) -> None:
    owner, newcomer = await users.create(), await users.create()
    group = await chat.group(owner)
    responses = await asyncio.gather(*(chat.add(owner, group["id"], newcomer) for _ in range(4)))
    assert [response.status_code for response in responses] == [200] * 4
    assert roles(await chat.get(newcomer, group["id"])) == {
        owner.id: "owner",
        newcomer.id: "member",
    }


async def test_listing_oneself_among_the_members_still_makes_one_owner(
    users: UserFactory, chat: Chat
) -> None:
    alice, bob = await users.create(), await users.create()
    group = await chat.group(alice, alice, bob)
    assert roles(group) == {alice.id: "owner", bob.id: "member"}


async def test_when_the_last_member_leaves_nobody_can_reach_the_group(
    users: UserFactory, chat: Chat
) -> None:
    alice = await users.create()
    group = await chat.group(alice)
    assert (await chat.remove(alice, group["id"], alice)).status_code == 204
    response = await chat.http.get(f"/api/conversations/{group['id']}", headers=alice.headers)
    assert (response.status_code, response.json()) == (404, NOT_FOUND)
    assert await chat.listing(alice) == []


async def test_a_group_cannot_grow_beyond_the_configured_size(
    database_url: str, tmp_path: Path
) -> None:
    settings = Settings(database_url=database_url, web_dir=tmp_path / "web", max_group_members=3)
    async with client_for(settings) as http:
        chat = Chat(UserFactory(http))
        owner, *others = [await chat.users.create() for _ in range(4)]
        too_many = await http.post(
            "/api/conversations/group",
            json={"title": "Big", "member_ids": [user.id for user in others]},
            headers=owner.headers,
        )
        assert too_many.status_code == 422
        assert "member_ids" in too_many.json()["error"]["fields"]

        group = await chat.group(owner, others[0], others[1])
        full = await chat.add(owner, group["id"], others[2])
        assert full.status_code == 409
        assert full.json()["error"]["code"] == "group_full"
        assert len((await chat.get(owner, group["id"]))["members"]) == 3


# --- roles -----------------------------------------------------------------------------------


async def test_the_owner_makes_a_member_admin_and_back(users: UserFactory, chat: Chat) -> None:
    owner, member = await users.create(), await users.create()
    group = await chat.group(owner, member)

    promoted = await chat.set_role(owner, group["id"], member, "admin")
    assert promoted.status_code == 200
    assert roles(promoted.json())[member.id] == "admin"
    demoted = await chat.set_role(owner, group["id"], member, "member")
    assert roles(demoted.json())[member.id] == "member"


async def test_only_the_owner_changes_roles(users: UserFactory, chat: Chat) -> None:
    owner, admin, member = await users.create(), await users.create(), await users.create()
    group = await chat.group(owner, admin, member)
    await chat.make_admin(owner, group["id"], admin)

    for caller in (admin, member):
        refused = await chat.set_role(caller, group["id"], member, "admin")
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "forbidden"
    assert roles(await chat.get(owner, group["id"]))[member.id] == "member"


async def test_roles_are_admin_or_member_and_never_the_owners_own(
    users: UserFactory, chat: Chat
) -> None:
    owner, member = await users.create(), await users.create()
    group = await chat.group(owner, member)

    invalid = await chat.set_role(owner, group["id"], member, "owner")
    assert invalid.status_code == 422
    assert "role" in invalid.json()["error"]["fields"]
    own = await chat.set_role(owner, group["id"], owner, "member")
    assert own.status_code == 409
    assert own.json()["error"]["code"] == "owner_role"


async def test_roles_cannot_be_set_in_a_direct_conversation_or_by_a_stranger(
    users: UserFactory, chat: Chat
) -> None:
    alice, bob, mallory = await users.create(), await users.create(), await users.create()
    direct = await chat.direct(alice, bob)
    group = await chat.group(alice, bob)

    assert (await chat.set_role(alice, direct["id"], bob, "admin")).status_code == 409
    stranger = await chat.set_role(mallory, group["id"], bob, "admin")
    assert stranger.status_code == 404
    assert stranger.json()["error"]["code"] == "not_found"
