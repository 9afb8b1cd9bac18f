"""Presence (online/offline, tabs, the grace period) and typing notices over real sockets."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.factories import RegisteredUser, UserFactory
from tests.integration.realtime.conftest import (
    Json,
    LiveServer,
    Tab,
    Tabs,
    create_group,
    live_settings,
    open_direct,
    sentinel,
    wait_until,
)
from vaultroom.settings import Settings


def open_sockets(server: LiveServer, user: RegisteredUser) -> int:
    """How many sockets of ``user`` the server still has (its disconnect handler has run
    for every socket that left the user's room)."""
    room = f"user:{user.id}"
    return len(list(server.app.sio.manager.get_participants("/", room)))


async def everyone_settled(live_users: UserFactory, tabs: Tabs, *observers: Tab) -> None:
    """A new user comes online and every observer receives that ``presence`` event.

    Presence goes to every connected socket in the order the server emits events,
    so any event emitted to an observer before it has arrived by then.
    """
    newcomer = await live_users.create()
    await tabs.open(newcomer)
    for observer in observers:
        await observer.wait_for(
            "presence",
            lambda data: data["user_id"] == newcomer.id and data["online"],
            f"{newcomer.username} online",
        )


async def public_user(http: httpx.AsyncClient, viewer: RegisteredUser, user_id: int) -> Json:
    """A user as another user sees them over REST."""
    response = await http.get(f"/api/users/{user_id}", headers=viewer.headers)
    assert response.status_code == 200, response.text
    seen: Json = response.json()
    return seen


# --- presence --------------------------------------------------------------------------------


async def test_another_user_sees_a_user_come_online_and_go_offline(
    live_users: UserFactory, tabs: Tabs
) -> None:
    alice, bob = await live_users.create(), await live_users.create()
    bob_tab = await tabs.open(bob)

    alice_tab = await tabs.open(alice)
    online = await bob_tab.wait_for(
        "presence", lambda data: data["user_id"] == alice.id, "alice online"
    )
    await alice_tab.client.disconnect()
    await wait_until(lambda: bob_tab.events.presence_of(alice.id) == [True, False], "offline")

    assert online["online"] is True
    assert online["last_seen_at"] is not None
    offline = bob_tab.events.of("presence")[-1]
    assert offline["user_id"] == alice.id
    assert offline["last_seen_at"] >= online["last_seen_at"]


async def test_closing_one_of_two_tabs_keeps_the_user_online(
    live_server: LiveServer,
    live_users: UserFactory,
    live_http: httpx.AsyncClient,
    tabs: Tabs,
) -> None:
    alice, bob = await live_users.create(), await live_users.create()
    conversation = await open_direct(live_http, alice, bob)
    bob_tab = await tabs.open(bob)
    closing, staying = await tabs.open(alice), await tabs.open(alice)

    await closing.client.disconnect()
    await wait_until(lambda: open_sockets(live_server, alice) == 1, "one of alice's tabs closed")
    await sentinel(staying, conversation["id"], bob_tab)

    assert bob_tab.events.presence_of(alice.id) == [True]
    assert (await public_user(live_http, bob, alice.id))["online"] is True


async def test_closing_both_tabs_sends_offline_once(
    live_server: LiveServer, live_users: UserFactory, tabs: Tabs
) -> None:
    alice, bob = await live_users.create(), await live_users.create()
    bob_tab = await tabs.open(bob)
    first, second = await tabs.open(alice), await tabs.open(alice)

    await first.client.disconnect()
    await second.client.disconnect()
    await wait_until(lambda: open_sockets(live_server, alice) == 0, "alice's tabs closed")
    await everyone_settled(live_users, tabs, bob_tab)

    assert bob_tab.events.presence_of(alice.id) == [True, False]


async def test_every_tab_of_a_user_sees_the_presence_of_others(
    live_users: UserFactory, tabs: Tabs
) -> None:
    alice, bob = await live_users.create(), await live_users.create()
    bob_first, bob_second = await tabs.open(bob), await tabs.open(bob)

    await tabs.open(alice)

    for tab in (bob_first, bob_second):
        await tab.wait_for("presence", lambda data: data["user_id"] == alice.id, "alice online")
        assert tab.events.presence_of(alice.id) == [True]


async def test_a_socket_that_watches_some_users_hears_only_of_them(
    live_users: UserFactory, tabs: Tabs
) -> None:
    alice, bob, carol, dave = [await live_users.create() for _ in range(4)]
    bob_tab = await tabs.open(bob)
    await tabs.open(alice)
    await bob_tab.wait_for("presence", lambda data: data["user_id"] == alice.id, "alice online")

    # Alice (online), carol (never seen) and an id nobody has.
    ack = await bob_tab.call("presence:watch", {"user_ids": [carol.id, alice.id, 999_999]})

    assert ack["ok"] is True, ack
    states = {state["user_id"]: state for state in ack["presence"]}
    assert sorted(states) == sorted([alice.id, carol.id])
    assert states[alice.id]["online"] is True
    assert states[carol.id] == {"user_id": carol.id, "online": False, "last_seen_at": None}
    before = len(bob_tab.events.of("presence"))
    await tabs.open(dave)  # not watched: bob hears nothing of it
    carol_tab = await tabs.open(carol)
    await bob_tab.wait_for(
        "presence", lambda data: data["user_id"] == carol.id and data["online"], "carol online"
    )
    await carol_tab.client.disconnect()
    await wait_until(lambda: bob_tab.events.presence_of(carol.id) == [True, False], "offline")
    heard = [data["user_id"] for data in bob_tab.events.of("presence")[before:]]
    assert heard == [carol.id, carol.id]

    # Watching nobody: nothing at all, while a socket that never watched hears everyone.
    assert (await bob_tab.call("presence:watch", {"user_ids": []})) == {"ok": True, "presence": []}
    listener = await tabs.open(await live_users.create())
    await everyone_settled(live_users, tabs, listener)
    assert bob_tab.events.presence_of(carol.id) == [True, False]
    assert len(bob_tab.events.of("presence")) == before + 2


async def test_watching_too_many_users_or_bad_ids_is_invalid_input(
    live_users: UserFactory, tabs: Tabs, settings: Settings
) -> None:
    tab = await tabs.open(await live_users.create())
    too_many = list(range(1, settings.presence_watch_max + 2))

    for payload in ({"user_ids": too_many}, {"user_ids": [0]}, {"user_ids": ["1"]}, {}):
        ack = await tab.call("presence:watch", payload)
        assert ack["ok"] is False and ack["error"]["code"] == "invalid_input", (payload, ack)


class TestPresenceGracePeriod:
    """With a 30-second grace period after the last socket of a user closes."""

    @pytest.fixture
    def settings(self, database_url: str, tmp_path: Path) -> Settings:
        return live_settings(database_url, tmp_path, presence_grace_seconds=30)

    async def test_reconnecting_within_the_grace_period_sends_no_offline_event(
        self,
        live_server: LiveServer,
        live_users: UserFactory,
        live_http: httpx.AsyncClient,
        tabs: Tabs,
    ) -> None:
        alice, bob = await live_users.create(), await live_users.create()
        conversation = await open_direct(live_http, alice, bob)
        bob_tab = await tabs.open(bob)
        before_reload = await tabs.open(alice)
        await bob_tab.wait_for("presence", lambda data: data["user_id"] == alice.id, "online")

        await before_reload.client.disconnect()
        await wait_until(lambda: open_sockets(live_server, alice) == 0, "alice's tab closed")
        after_reload = await tabs.open(alice)
        await sentinel(after_reload, conversation["id"], bob_tab)

        assert bob_tab.events.presence_of(alice.id) == [True]
        assert live_server.services.presence.is_online(alice.id)
        assert (await public_user(live_http, bob, alice.id))["online"] is True

    async def test_a_user_stays_online_during_the_grace_period_after_the_last_tab_closes(
        self,
        live_server: LiveServer,
        live_users: UserFactory,
        live_http: httpx.AsyncClient,
        tabs: Tabs,
    ) -> None:
        alice, bob = await live_users.create(), await live_users.create()
        bob_tab = await tabs.open(bob)
        alice_tab = await tabs.open(alice)

        await alice_tab.client.disconnect()
        await wait_until(lambda: open_sockets(live_server, alice) == 0, "alice's tab closed")
        await everyone_settled(live_users, tabs, bob_tab)

        assert bob_tab.events.presence_of(alice.id) == [True]
        assert live_server.services.presence.is_online(alice.id)
        assert (await public_user(live_http, bob, alice.id))["online"] is True


# --- typing ----------------------------------------------------------------------------------


async def test_typing_reaches_the_other_members_only(
    live_users: UserFactory, live_http: httpx.AsyncClient, tabs: Tabs
) -> None:
    alice, bob, carol, dave = [await live_users.create() for _ in range(4)]
    group = await create_group(live_http, alice, [bob, carol], "typists")
    typing_tab, alice_other = await tabs.open(alice), await tabs.open(alice)
    bob_tab, carol_tab, dave_tab = (
        await tabs.open(bob),
        await tabs.open(carol),
        await tabs.open(dave),
    )

    ack = await typing_tab.call("typing", {"conversation_id": group["id"]})

    assert ack == {"ok": True, "relayed": True}
    notice = {"conversation_id": group["id"], "user_id": alice.id}
    for tab in (bob_tab, carol_tab):
        assert await tab.wait_for("typing", lambda _data: True, "alice typing") == notice
    await everyone_settled(live_users, tabs, typing_tab, alice_other, bob_tab, carol_tab, dave_tab)
    assert typing_tab.events.of("typing") == []
    assert alice_other.events.of("typing") == []
    assert dave_tab.events.of("typing") == []
    assert bob_tab.events.of("typing") == [notice]


async def test_typing_in_a_conversation_of_others_is_not_found_like_a_missing_one(
    live_users: UserFactory, live_http: httpx.AsyncClient, tabs: Tabs
) -> None:
    alice, bob, mallory = [await live_users.create() for _ in range(3)]
    conversation = await open_direct(live_http, alice, bob)
    mallory_tab, bob_tab = await tabs.open(mallory), await tabs.open(bob)

    theirs = await mallory_tab.call("typing", {"conversation_id": conversation["id"]})
    missing = await mallory_tab.call("typing", {"conversation_id": conversation["id"] + 1000})

    assert theirs["ok"] is False
    assert theirs["error"]["code"] == "not_found"
    assert theirs == missing
    await everyone_settled(live_users, tabs, bob_tab)
    assert bob_tab.events.of("typing") == []


class TestTypingThrottle:
    """With one relayed ``typing`` per user and conversation an hour (so that "within the
    interval" never depends on how fast the test runs)."""

    @pytest.fixture
    def settings(self, database_url: str, tmp_path: Path) -> Settings:
        return live_settings(database_url, tmp_path, typing_interval_seconds=3600)

    async def test_a_second_typing_within_the_interval_is_not_relayed(
        self, live_users: UserFactory, live_http: httpx.AsyncClient, tabs: Tabs
    ) -> None:
        alice, bob = await live_users.create(), await live_users.create()
        conversation = await open_direct(live_http, alice, bob)
        alice_tab, bob_tab = await tabs.open(alice), await tabs.open(bob)
        typing = {"conversation_id": conversation["id"]}

        first = await alice_tab.call("typing", typing)
        second = await alice_tab.call("typing", typing)

        assert first == {"ok": True, "relayed": True}
        assert second == {"ok": True, "relayed": False}
        await sentinel(alice_tab, conversation["id"], bob_tab)
        assert bob_tab.events.of("typing") == [{**typing, "user_id": alice.id}]

    async def test_the_throttle_covers_every_tab_of_the_user(
        self, live_users: UserFactory, live_http: httpx.AsyncClient, tabs: Tabs
    ) -> None:
        alice, bob = await live_users.create(), await live_users.create()
        conversation = await open_direct(live_http, alice, bob)
        first_tab, second_tab = await tabs.open(alice), await tabs.open(alice)
        typing = {"conversation_id": conversation["id"]}

        first = await first_tab.call("typing", typing)
        second = await second_tab.call("typing", typing)

        assert first["relayed"] is True
        assert second == {"ok": True, "relayed": False}

    async def test_the_throttle_is_per_user_and_conversation(
        self, live_users: UserFactory, live_http: httpx.AsyncClient, tabs: Tabs
    ) -> None:
        alice, bob = await live_users.create(), await live_users.create()
        direct = await open_direct(live_http, alice, bob)
        group = await create_group(live_http, alice, [bob], "two rooms")
        alice_tab, bob_tab = await tabs.open(alice), await tabs.open(bob)
        await alice_tab.call("typing", {"conversation_id": direct["id"]})

        elsewhere = await alice_tab.call("typing", {"conversation_id": group["id"]})
        someone_else = await bob_tab.call("typing", {"conversation_id": direct["id"]})

        assert elsewhere == {"ok": True, "relayed": True}
        assert someone_else == {"ok": True, "relayed": True}
        await alice_tab.wait_for(
            "typing",
            lambda data: data == {"conversation_id": direct["id"], "user_id": bob.id},
            "bob",
        )

    async def test_a_removed_member_typing_within_the_interval_is_not_found(
        self, live_users: UserFactory, live_http: httpx.AsyncClient, tabs: Tabs
    ) -> None:
        alice, carol = await live_users.create(), await live_users.create()
        group = await create_group(live_http, alice, [carol], "short stay")
        carol_tab = await tabs.open(carol)
        typing = {"conversation_id": group["id"]}
        assert (await carol_tab.call("typing", typing))["relayed"] is True
        response = await live_http.delete(
            f"/api/conversations/{group['id']}/members/{carol.id}", headers=alice.headers
        )
        assert response.status_code == 204, response.text

        ack = await carol_tab.call("typing", typing)

        assert ack["ok"] is False, ack
        assert ack["error"]["code"] == "not_found"
