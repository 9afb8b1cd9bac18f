"""An open page survives a server restart and catches up on what it missed, exactly once.

This module has a server of its own, since it restarts it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.chat import (
    RECONNECT,
    body,
    conversation_item,
    eventually,
    message,
    messages,
    send,
    shown_seqs,
)
from tests.e2e.conftest import Server, run_server
from tests.e2e.people import People, Person
from tests.servers import free_ports

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server that only this module uses (and restarts)."""
    yield from run_server(tmp_path_factory)


class Chatter(threading.Thread):
    """Someone who keeps sending over REST, a message every tenth of a second, until stopped."""

    def __init__(self, person: Person, conversation_id: int) -> None:
        super().__init__(daemon=True)
        self.person = person
        self.conversation_id = conversation_id
        self.sent: list[dict[str, Any]] = []
        self.errors: list[BaseException] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(0.1):
            try:
                number = len(self.sent) + 1
                self.sent.append(self.person.send(self.conversation_id, f"chatter {number}"))
            except BaseException as error:  # reported by the test, in its own thread
                self.errors.append(error)
                return

    def stop(self) -> list[dict[str, Any]]:
        """Stop, and the messages sent."""
        self.stopping.set()
        self.join()
        assert self.errors == []
        return self.sent


def test_what_happened_while_the_page_was_disconnected_shows_once_without_reload(
    server: Server, people: People
) -> None:
    # Another process on the same database, started now to keep the restart short: Ben
    # writes through it while Ann's server is down (as through another node of a cluster).
    elsewhere = server.spawn_node(free_ports(1)[0])
    ann, ben, cal = people.sign_up("ann"), people.sign_up("ben"), people.sign_up("cal")
    conversation_id = ann.direct_conversation(ben)
    to_edit = ben.send(conversation_id, "before the restart")
    to_delete = ben.send(conversation_id, "soon deleted")
    page = ann.page
    page.goto(f"{server.url}/c/{conversation_id}")
    expect(body(page, 2)).to_have_text("soon deleted")
    banner = page.get_by_test_id("connection-banner")
    expect(banner).to_have_count(0)
    page.evaluate("window.__loadedOnce = true")  # a reload would forget it
    elsewhere.wait_ready()

    server.stop()
    expect(banner).to_have_text("Reconnecting…")
    expect(banner).to_have_attribute("role", "status")
    send(page, "typed while offline")
    offline = messages(page).filter(has_text="typed while offline")
    expect(offline).to_have_attribute("data-status", "failed")
    client_msg_id = offline.get_attribute("data-client-msg-id")
    assert client_msg_id
    assert offline.get_attribute("data-seq") is None  # not stored

    # Ann's page cannot see these live: its server is down.
    for number in (1, 2, 3):
        ben.send(conversation_id, f"while you were away {number}", via=elsewhere.url)
    ben.edit(to_edit["id"], "before the restart, edited", via=elsewhere.url)
    ben.delete(to_delete["id"], via=elsewhere.url)
    with_cal = cal.direct_conversation(ann, via=elsewhere.url)  # new to Ann's page
    cal.send(with_cal, "are you around?", via=elsewhere.url)
    cal.send(with_cal, "call me", via=elsewhere.url)
    server.stop_node(elsewhere)
    server.start()
    # Ben keeps writing from the moment the server is back until well after Ann's page
    # reconnected, so some messages arrive while its resync runs: each is shown once.
    chatter = Chatter(ben, conversation_id)
    chatter.start()
    expect(banner).to_have_count(0, timeout=RECONNECT)
    sent_before = len(chatter.sent)
    eventually(lambda: len(chatter.sent) >= sent_before + 10, "Ben sends 10 more")
    last = chatter.stop()[-1]["seq"]
    expect(messages(page)).to_have_count(last + 1)  # with the failed send
    eventually(lambda: shown_seqs(page) == list(range(1, last + 1)), "each seq shown once")
    expect(body(page, 5)).to_have_text("while you were away 3")
    expect(body(page, last)).to_have_text(f"chatter {last - 5}")
    expect(body(page, 1)).to_have_text("before the restart, edited")
    expect(body(page, 2)).to_have_text("Message deleted")
    from_cal = conversation_item(page, with_cal)
    expect(from_cal).to_contain_text("call me")
    expect(from_cal.get_by_test_id("unread-badge")).to_have_text("2")

    # The failed send goes again with the same client_msg_id, and is stored once.
    offline.get_by_role("button", name="Retry", exact=True).click()
    expect(offline).to_have_attribute("data-status", "sent")
    expect(offline).to_have_attribute("data-seq", str(last + 1))
    expect(offline).to_have_attribute("data-client-msg-id", client_msg_id)

    ben.send(conversation_id, "live again")
    expect(body(page, last + 2)).to_have_text("live again")
    send(page, "back online")
    expect(message(page, last + 3)).to_have_attribute("data-status", "sent")
    expect(messages(page)).to_have_count(last + 3)
    assert shown_seqs(page) == list(range(1, last + 4))
    assert page.evaluate("window.__loadedOnce") is True
    assert ann.dialogs == []

    history = ben.api.get(
        f"/api/conversations/{conversation_id}/messages", params={"limit": 200}
    ).json()["messages"]
    assert [m["body"] for m in history if m["client_msg_id"] == client_msg_id] == [
        "typed while offline"
    ]
