"""Socket events other than sends are limited per user (VAULTROOM_SOCKET_EVENT_RATE_LIMIT);
a refusal is an ack in the contract's shape that says when to retry."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.factories import UserFactory
from tests.integration.realtime.conftest import Tabs, live_settings, open_direct
from vaultroom.settings import Settings


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """A live node allowing each user three events (besides sends) a day."""
    return live_settings(database_url, tmp_path, socket_event_rate_limit="3/day")


async def test_events_beyond_the_limit_get_a_rate_limited_ack_with_retry_after(
    live_users: UserFactory, live_http: httpx.AsyncClient, tabs: Tabs
) -> None:
    alice, bob = await live_users.create(), await live_users.create()
    direct = await open_direct(live_http, alice, bob)
    alice_tab, bob_tab = await tabs.open(alice), await tabs.open(bob)
    typing = {"conversation_id": direct["id"]}

    accepted = [await alice_tab.call("typing", typing) for _ in range(2)]
    read = await alice_tab.call("conversation:read", {"conversation_id": direct["id"], "seq": 0})
    refused = await alice_tab.call("typing", typing)
    # Sends are counted by their own limit, not this one; the socket stays usable.
    sent = await alice_tab.send(direct["id"], "still sending")
    other_tab = await tabs.open(alice)
    refused_elsewhere = await other_tab.call("conversation:read", {**typing, "seq": 1})
    for_bob = await bob_tab.call("typing", typing)

    assert all(ack["ok"] for ack in accepted)
    assert read["ok"] is True
    assert refused["ok"] is False
    assert refused["error"]["code"] == "rate_limited"
    assert refused["error"]["message"]
    assert refused["error"]["retry_after"] >= 1
    assert sent["body"] == "still sending"
    # The limit is the user's, over all their sockets; other users have their own.
    assert refused_elsewhere["error"]["code"] == "rate_limited"
    assert for_bob["ok"] is True
