"""Two people chat in two real browsers, through a real server, in real time."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.chat import (
    back_button,
    body,
    composer,
    conversation_item,
    eventually,
    is_above_or_level,
    message,
    message_list,
    messages,
    send,
    shown_seqs,
    sidebar,
)
from tests.e2e.people import DESKTOP, PASSWORD, People

pytestmark = pytest.mark.e2e
CONVERSATION_URL = re.compile(r"/c/(\d+)$")


def register_in_browser(page: Page, url: str, username: str, display_name: str) -> None:
    """Fill the registration form; the app then lands on ``/``."""
    page.goto(f"{url}/register")
    page.get_by_label("Username", exact=True).fill(username)
    page.get_by_label("Email", exact=True).fill(f"{username}@example.com")
    page.get_by_label("Display name (optional)", exact=True).fill(display_name)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page).to_have_url(f"{url}/")


def test_two_people_sign_up_find_each_other_and_chat_both_ways(
    browser: Browser, server_url: str
) -> None:
    ann_context = browser.new_context(locale="en-US", viewport=DESKTOP)
    ben_context = browser.new_context(locale="en-US", viewport=DESKTOP)
    ann, ben = ann_context.new_page(), ben_context.new_page()
    register_in_browser(ann, server_url, "ann", "Ann Archer")
    register_in_browser(ben, server_url, "ben", "Ben Baker")

    ann.get_by_role("link", name="People", exact=True).click()
    ann.get_by_label("Search people", exact=True).fill("be")
    expect(ann.locator('[data-testid="person-item"][data-username="ben"]')).to_be_visible()
    ann.get_by_role("button", name="Message ben", exact=True).click()
    expect(ann).to_have_url(CONVERSATION_URL)
    match = CONVERSATION_URL.search(ann.url)
    assert match is not None
    conversation_id = int(match.group(1))
    expect(ann.get_by_test_id("conversation-header")).to_contain_text("Ben Baker")

    send(ann, "Hello Ben")
    expect(composer(ann)).to_have_value("")
    mine = message(ann, 1)
    expect(mine).to_have_attribute("data-status", "sent")
    expect(mine).to_have_attribute("data-mine", "true")
    expect(body(ann, 1)).to_have_text("Hello Ben")

    # Ben sat on the home screen: the conversation appears there, unread, without a reload.
    item = conversation_item(ben, conversation_id)
    expect(item).to_contain_text("Ann Archer")
    expect(item.get_by_test_id("unread-badge")).to_have_text("1")
    item.click()
    expect(ben).to_have_url(f"{server_url}/c/{conversation_id}")
    expect(body(ben, 1)).to_have_text("Hello Ben")
    expect(message(ben, 1)).to_have_attribute("data-mine", "false")
    expect(item.get_by_test_id("unread-badge")).to_have_count(0)

    # Shift+Enter makes a new line, Enter sends.
    composer(ben).click()
    ben.keyboard.type("Hi Ann")
    ben.keyboard.press("Shift+Enter")
    ben.keyboard.type("How are you?")
    expect(messages(ben)).to_have_count(1)
    ben.keyboard.press("Enter")
    expect(message(ben, 2)).to_have_attribute("data-status", "sent")
    expect(message(ann, 2)).to_have_attribute("data-mine", "false")
    assert body(ann, 2).inner_text().strip() == "Hi Ann\nHow are you?"

    composer(ann).fill("Fine, thanks")
    ann.get_by_role("button", name="Send", exact=True).click()
    expect(body(ben, 3)).to_have_text("Fine, thanks")
    expect(item.get_by_test_id("unread-badge")).to_have_count(0)  # read as it arrived
    expect(item).to_contain_text("Fine, thanks")
    for page in (ann, ben):
        expect(messages(page)).to_have_count(3)
        assert shown_seqs(page) == [1, 2, 3]
    ann_context.close()
    ben_context.close()


def test_the_sidebar_orders_conversations_by_activity_with_unread_counts(
    people: People,
) -> None:
    ann, ben, cal = people.sign_up("ann"), people.sign_up("ben"), people.sign_up("cal")
    with_ben, with_cal = ann.direct_conversation(ben), ann.direct_conversation(cal)
    ann.page.goto(f"{people.url}/")
    items = sidebar(ann.page).get_by_test_id("conversation-item")
    expect(items).to_have_count(2)

    ben.send(with_ben, "first from Ben")
    expect(items.first).to_have_attribute("data-conversation-id", str(with_ben))
    expect(items.first).to_contain_text("first from Ben")
    expect(items.first.get_by_test_id("unread-badge")).to_have_text("1")

    cal.send(with_cal, "first from Cal")
    cal.send(with_cal, "second from Cal")
    expect(items.first).to_have_attribute("data-conversation-id", str(with_cal))
    expect(items.first.get_by_test_id("unread-badge")).to_have_text("2")
    expect(items.nth(1).get_by_test_id("unread-badge")).to_have_text("1")

    items.first.click()
    expect(body(ann.page, 2)).to_have_text("second from Cal")
    expect(conversation_item(ann.page, with_cal).get_by_test_id("unread-badge")).to_have_count(0)
    expect(conversation_item(ann.page, with_ben).get_by_test_id("unread-badge")).to_have_text("1")


def test_presence_changes_when_the_other_person_closes_their_page(people: People) -> None:
    ann, ben = people.sign_up("ann"), people.sign_up("ben", display_name="Ben Baker")
    ben.page.goto(f"{people.url}/")
    expect(sidebar(ben.page)).to_be_visible()

    ann.page.goto(f"{people.url}/people")
    ann.page.get_by_label("Search people", exact=True).fill(ben.username)
    dot = ann.page.locator(f'[data-testid="person-item"][data-username="{ben.username}"]')
    dot = dot.get_by_test_id("presence-dot")
    expect(dot).to_have_attribute("data-online", "true")
    ben.page.close()
    expect(dot).to_have_attribute("data-online", "false")
    ben.new_page().goto(f"{people.url}/")
    expect(dot).to_have_attribute("data-online", "true")

    ann.page.get_by_role("button", name=f"Message {ben.username}", exact=True).click()
    presence = ann.page.get_by_test_id("conversation-header").get_by_test_id("header-presence")
    expect(presence).to_have_attribute("data-online", "true")
    expect(presence).to_have_text("Online")
    ben.page.close()
    expect(presence).to_have_attribute("data-online", "false")
    expect(presence).to_have_text(re.compile(r"^(Last seen .+|Offline)$"))
    ben.new_page().goto(f"{people.url}/")
    expect(presence).to_have_attribute("data-online", "true")
    expect(presence).to_have_text("Online")


def test_typing_and_seen_in_a_direct_conversation(people: People) -> None:
    ann, ben = people.sign_up("ann"), people.sign_up("ben")
    conversation_id = ann.direct_conversation(ben)
    ann.page.goto(f"{people.url}/c/{conversation_id}")
    ben.page.goto(f"{people.url}/people")

    send(ann.page, "Are you there?")
    expect(message(ann.page, 1)).to_have_attribute("data-status", "sent")
    seen = ann.page.get_by_test_id("seen-indicator")
    expect(seen).to_have_count(0)  # Ben has not opened the conversation

    ben.page.goto(f"{people.url}/c/{conversation_id}")
    expect(body(ben.page, 1)).to_have_text("Are you there?")
    expect(seen).to_have_count(1)
    expect(seen).to_have_text("Seen")
    assert is_above_or_level(message(ann.page, 1), seen)

    typing = ann.page.get_by_test_id("typing-indicator")
    composer(ben.page).press_sequentially("I am here")
    expect(typing).to_be_visible()
    expect(typing).to_contain_text("is typing")
    composer(ben.page).press("Enter")
    expect(body(ann.page, 2)).to_have_text("I am here")
    expect(typing).to_be_hidden()  # shown for a few seconds only

    send(ann.page, "Great")
    expect(body(ben.page, 3)).to_have_text("Great")
    expect(seen).to_have_count(1)
    eventually(lambda: is_above_or_level(message(ann.page, 3), seen), "Seen moves under Great")


def test_own_messages_are_edited_and_deleted_for_both(people: People) -> None:
    ann, ben = people.sign_up("ann"), people.sign_up("ben")
    conversation_id = ann.direct_conversation(ben)
    ann.page.goto(f"{people.url}/c/{conversation_id}")
    ben.page.goto(f"{people.url}/c/{conversation_id}")
    ben.send(conversation_id, "not yours to edit")
    send(ann.page, "a typo: teh")
    expect(body(ben.page, 2)).to_have_text("a typo: teh")
    theirs = message(ann.page, 1)
    theirs.hover()
    expect(theirs.get_by_role("button", name="Edit message")).to_have_count(0)

    mine = message(ann.page, 2)
    mine.hover()
    mine.get_by_role("button", name="Edit message").click()
    mine.get_by_role("textbox").fill("a typo: the")
    mine.get_by_role("button", name="Save").click()
    expect(body(ann.page, 2)).to_have_text("a typo: the")
    expect(body(ben.page, 2)).to_have_text("a typo: the")

    mine.hover()
    mine.get_by_role("button", name="Delete message").click()
    ann.page.get_by_role("dialog").get_by_role("button", name="Delete", exact=True).click()
    expect(body(ann.page, 2)).to_have_text("Message deleted")
    expect(body(ben.page, 2)).to_have_text("Message deleted")
    ben.page.reload()
    expect(body(ben.page, 2)).to_have_text("Message deleted")
    expect(body(ben.page, 1)).to_have_text("not yours to edit")


def test_scrolling_back_through_200_messages(people: People) -> None:
    ann, ben = people.sign_up("ann"), people.sign_up("ben")
    conversation_id = ann.direct_conversation(ben)
    for number in range(1, 201):
        ben.send(conversation_id, f"Message {number:03d}")
    page = ann.page
    page.goto(f"{people.url}/c/{conversation_id}")

    expect(message(page, 200)).to_be_in_viewport()  # opens on the latest message
    expect(message(page, 1)).to_have_count(0)  # and only the latest page is loaded
    ben.send(conversation_id, "Message 201")
    expect(message(page, 201)).to_be_in_viewport()  # at the bottom, the view follows
    expect(page.get_by_role("button", name="Jump to latest", exact=True)).to_be_hidden()
    scroller = page.get_by_test_id("message-scroller")
    for _ in range(10):
        if message(page, 1).count():
            break
        oldest = min(shown_seqs(page))
        scroller.hover()
        page.mouse.wheel(0, -100_000)
        expect(message(page, oldest - 1)).to_have_count(1)
        # The older page is added above what was on screen, which stays on screen.
        expect(message(page, oldest)).to_be_in_viewport()
    assert shown_seqs(page) == list(range(1, 202))
    bodies = message_list(page).get_by_test_id("message-body").all_inner_texts()
    assert bodies == [f"Message {number:03d}" for number in range(1, 202)]

    # Scrolled up, a new message does not pull the view down; "Jump to latest" does.
    scroller.hover()
    page.mouse.wheel(0, -100_000)
    expect(message(page, 1)).to_be_in_viewport()
    ben.send(conversation_id, "Message 202")
    jump = page.get_by_role("button", name="Jump to latest", exact=True)
    expect(jump).to_be_visible()
    expect(message(page, 202)).to_have_count(1)
    expect(message(page, 1)).to_be_in_viewport()
    jump.click()
    expect(message(page, 202)).to_be_in_viewport()
    expect(jump).to_be_hidden()


MARKUP = "<img src=x onerror=alert(1)><script>alert(2)</script>"


def test_markup_in_a_message_shows_as_text_and_runs_nothing(people: People) -> None:
    ann, ben = people.sign_up("ann"), people.sign_up("ben")
    conversation_id = ann.direct_conversation(ben)
    ann.page.goto(f"{people.url}/c/{conversation_id}")
    ben.page.goto(f"{people.url}/c/{conversation_id}")
    expect(message_list(ben.page)).to_be_visible()

    send(ann.page, MARKUP)
    expect(message(ann.page, 1)).to_have_attribute("data-status", "sent")
    expect(body(ben.page, 1)).to_have_text(MARKUP)  # live
    ben.page.reload()
    expect(body(ben.page, 1)).to_have_text(MARKUP)  # from the history
    ben.page.goto(f"{people.url}/")
    preview = conversation_item(ben.page, conversation_id)
    expect(preview).to_contain_text("<img src=x onerror=alert(1)>")
    ben.page.goto(f"{people.url}/c/{conversation_id}")
    for page in (ann.page, ben.page):
        expect(body(page, 1)).to_have_text(MARKUP)
        expect(message_list(page).locator("img, script")).to_have_count(0)
        expect(page.locator("img[src='x']")).to_have_count(0)
        assert not page.evaluate("[...document.scripts].some(s => s.text.includes('alert'))")
    assert ann.dialogs == []
    assert ben.dialogs == []


def test_only_http_links_are_clickable(people: People) -> None:
    ann, ben = people.sign_up("ann"), people.sign_up("ben")
    conversation_id = ann.direct_conversation(ben)
    ben.send(conversation_id, "see https://example.com/a?b=1, javascript:alert(3) and x.org")
    page = ann.page
    page.goto(f"{people.url}/c/{conversation_id}")
    expect(body(page, 1)).to_have_text(
        "see https://example.com/a?b=1, javascript:alert(3) and x.org"
    )
    links = message_list(page).get_by_role("link")
    expect(links).to_have_count(1)
    expect(links).to_have_attribute("href", "https://example.com/a?b=1")
    rel = links.get_attribute("rel") or ""
    assert {"noopener", "noreferrer"} <= set(rel.split())


def test_phone_shows_list_and_conversation_separately_desktop_side_by_side(
    people: People, artifacts: Path
) -> None:
    ann = people.sign_up("ann", display_name="Ann Archer")
    ben = people.sign_up("ben", display_name="Ben Baker", phone=True)
    conversation_id = ann.direct_conversation(ben)
    ann.send(conversation_id, "Lunch at noon?")
    ben.send(conversation_id, "Yes! Where?")
    ann.send(conversation_id, "The usual place, by the river.")

    phone = ben.page
    phone.goto(f"{people.url}/")
    item = conversation_item(phone, conversation_id)
    expect(item).to_contain_text("Ann Archer")
    expect(message_list(phone)).to_be_hidden()
    item.click()
    expect(phone).to_have_url(f"{people.url}/c/{conversation_id}")
    expect(message(phone, 3)).to_be_in_viewport()
    expect(sidebar(phone)).to_be_hidden()
    composer(phone).fill("See you there")
    phone.get_by_role("button", name="Send", exact=True).click()
    expect(message(phone, 4)).to_have_attribute("data-status", "sent")
    phone.screenshot(path=artifacts / "chat-phone.png")
    back_button(phone).click()
    expect(phone).to_have_url(f"{people.url}/")
    expect(item).to_be_visible()
    expect(message_list(phone)).to_be_hidden()

    desktop = ann.page
    desktop.goto(f"{people.url}/c/{conversation_id}")
    expect(body(desktop, 4)).to_have_text("See you there")
    expect(sidebar(desktop)).to_be_visible()
    expect(conversation_item(desktop, conversation_id)).to_be_visible()
    expect(message_list(desktop)).to_be_visible()
    desktop.screenshot(path=artifacts / "chat-desktop.png")


def test_a_burst_of_sends_keeps_its_order_in_every_tab(people: People) -> None:
    ann, ben = people.sign_up("ann"), people.sign_up("ben")
    conversation_id = ann.direct_conversation(ben)
    url = f"{people.url}/c/{conversation_id}"
    first_tab = ann.page
    second_tab = ann.context.new_page()
    for page in (first_tab, second_tab, ben.page):
        page.goto(url)
        expect(composer(page)).to_be_visible()

    box = composer(first_tab)
    for number in range(1, 11):
        box.fill(f"burst {number}")
        box.press("Enter")
    expected = [f"burst {number}" for number in range(1, 11)]
    for page in (first_tab, second_tab, ben.page):
        expect(message(page, 10)).to_have_count(1)
        expect(messages(page)).to_have_count(10)
        assert shown_seqs(page) == list(range(1, 11))
        assert message_list(page).get_by_test_id("message-body").all_inner_texts() == expected
    expect(messages(first_tab).and_(first_tab.locator('[data-status="sent"]'))).to_have_count(10)
    expect(second_tab.locator('[data-testid="message"][data-mine="true"]')).to_have_count(10)
    expect(ben.page.locator('[data-testid="message"][data-mine="false"]')).to_have_count(10)
