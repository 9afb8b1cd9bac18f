"""Locators of the web app's chat screens, as the UI contract names them."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from playwright.sync_api import Locator, Page

# Generous bounds (milliseconds) for what travels through the server, never asserted on.
LIVE = 15_000
# The app's socket retries with a backoff of up to 10 s (plus jitter) between attempts.
RECONNECT = 60_000


def sidebar(page: Page) -> Locator:
    """The conversation list."""
    return page.get_by_role("navigation", name="Conversations")


def conversation_item(page: Page, conversation_id: int) -> Locator:
    """One conversation's link in the sidebar."""
    return sidebar(page).locator(
        f'[data-testid="conversation-item"][data-conversation-id="{conversation_id}"]'
    )


def message_list(page: Page) -> Locator:
    """The open conversation's messages."""
    return page.get_by_role("log", name="Messages")


def messages(page: Page) -> Locator:
    """Every message shown in the open conversation."""
    return message_list(page).get_by_test_id("message")


def message(page: Page, seq: int) -> Locator:
    """The message(s) shown with this seq (exactly one, when all is well)."""
    return message_list(page).locator(f'[data-testid="message"][data-seq="{seq}"]')


def body(page: Page, seq: int) -> Locator:
    """The text of the message with this seq."""
    return message(page, seq).get_by_test_id("message-body")


def shown_seqs(page: Page) -> list[int]:
    """The seqs of the messages shown, in document order (pending ones left out)."""
    seqs: list[int] = messages(page).evaluate_all(
        "els => els.filter(e => e.dataset.seq).map(e => Number(e.dataset.seq))"
    )
    return seqs


def composer(page: Page) -> Locator:
    """The textarea new messages are typed in."""
    return page.get_by_role("textbox", name="Message", exact=True)


def send(page: Page, text: str) -> None:
    """Type ``text`` in the composer and press Enter."""
    box = composer(page)
    box.fill(text)
    box.press("Enter")


def back_button(page: Page) -> Locator:
    """The phone layout's way back from a conversation to the list."""
    return page.get_by_role("button", name="Back", exact=True).or_(
        page.get_by_role("link", name="Back", exact=True)
    )


def is_above_or_level(upper: Locator, lower: Locator) -> bool:
    """Whether ``upper`` starts no lower on the page than ``lower`` does."""
    upper_box, lower_box = upper.bounding_box(), lower.bounding_box()
    assert upper_box is not None, "not visible"
    assert lower_box is not None, "not visible"
    return upper_box["y"] <= lower_box["y"]


def eventually(check: Callable[[], bool], what: str, timeout_ms: int = LIVE) -> None:
    """Poll ``check`` until it holds; fail saying ``what`` did not happen within the bound."""
    deadline = time.monotonic() + timeout_ms / 1000
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {timeout_ms} ms")
        time.sleep(0.1)
