"""The user directory: everyone but the caller, prefix search, cursor pages."""

from __future__ import annotations

import pytest

from tests.factories import UserFactory


async def test_the_list_excludes_the_caller_and_never_shows_emails(users: UserFactory) -> None:
    alice = await users.create("alice")
    await users.create("bob")
    await users.create("carol")
    response = await users.client.get("/api/users", headers=alice.headers)
    assert response.status_code == 200
    listed = response.json()["users"]
    assert [user["username"] for user in listed] == ["bob", "carol"]
    assert "example.com" not in response.text
    assert set(listed[0]) == {
        "id",
        "username",
        "display_name",
        "role",
        "online",
        "last_seen_at",
        "created_at",
    }
    assert listed[0]["online"] is False


async def test_prefix_search_ignores_case_and_treats_wildcards_literally(
    users: UserFactory,
) -> None:
    me = await users.create("me_myself")
    for name in ["ann_lee", "annie", "anxb", "bob", "a.n"]:
        await users.create(name)

    async def search(q: str) -> list[str]:
        response = await users.client.get("/api/users", params={"q": q}, headers=me.headers)
        assert response.status_code == 200
        return [user["username"] for user in response.json()["users"]]

    assert await search("ann") == ["ann_lee", "annie"]
    assert await search("ANN") == ["ann_lee", "annie"]
    assert await search("an_") == []
    assert await search("ann_") == ["ann_lee"]
    assert await search("a.") == ["a.n"]
    assert await search("%") == []
    assert await search("zzz") == []


async def test_cursor_pages_walk_the_whole_list_once(users: UserFactory) -> None:
    me = await users.create("zed")
    names = [f"member{index:02d}" for index in range(7)]
    for name in names:
        await users.create(name)
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, str | int] = {"limit": 3}
        if cursor:
            params["cursor"] = cursor
        page = (await users.client.get("/api/users", params=params, headers=me.headers)).json()
        seen += [user["username"] for user in page["users"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == names
    assert pages == 3


@pytest.mark.parametrize(
    "params",
    [{"cursor": "x" * 300}, {"limit": 0}, {"limit": 100000}, {"q": "x" * 40}],
)
async def test_bad_query_parameters_are_422(
    users: UserFactory, params: dict[str, str | int]
) -> None:
    me = await users.create()
    response = await users.client.get("/api/users", params=params, headers=me.headers)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_input"
    assert set(response.json()["error"]["fields"]) <= {"cursor", "limit", "q"}


async def test_the_list_needs_a_session(users: UserFactory) -> None:
    response = await users.client.get("/api/users")
    assert response.status_code == 401


async def test_one_user_by_id(users: UserFactory) -> None:
    alice = await users.create("alice")
    bob = await users.create("bob", display_name="Bob")
    response = await users.client.get(f"/api/users/{bob.id}", headers=alice.headers)
    assert response.status_code == 200
    assert response.json()["username"] == "bob"
    assert "email" not in response.json()


@pytest.mark.parametrize("user_id", ["999999", "0", "-1", "abc", str(2**64)])
async def test_unknown_or_invalid_user_ids_are_404_or_422(users: UserFactory, user_id: str) -> None:
    alice = await users.create()
    response = await users.client.get(f"/api/users/{user_id}", headers=alice.headers)
    assert response.status_code in {404, 422}
    assert "error" in response.json()
