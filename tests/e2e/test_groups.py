"""A group is made in the browser, and its title and members change live for everyone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.chat import body, conversation_item, send
from tests.e2e.people import People

pytestmark = pytest.mark.e2e
CONVERSATION_URL = re.compile(r"/c/(\d+)$")


def group_settings(page: Page) -> Locator:
    """The group settings dialog, opened from the conversation header if it is closed."""
    dialog = page.get_by_role("dialog")
    if not dialog.is_visible():
        page.get_by_test_id("conversation-header").get_by_role(
            "button", name="Group settings", exact=True
        ).click()
    expect(dialog).to_be_visible()
    return dialog


def test_a_group_is_created_renamed_and_its_members_change_live(people: People) -> None:
    ann, ben, cal = people.sign_up("ann"), people.sign_up("ben"), people.sign_up("cal")
    for person in (ben, cal):
        person.page.goto(f"{people.url}/")
    page = ann.page
    page.goto(f"{people.url}/")
    page.get_by_role("link", name="New group", exact=True).or_(
        page.get_by_role("button", name="New group", exact=True)
    ).click()
    page.get_by_label("Group name", exact=True).fill("Lunch crew")
    for person in (ben, cal):
        page.get_by_label("Add members", exact=True).fill(person.username)
        page.get_by_role("checkbox", name=person.username, exact=True).check()
    page.get_by_role("button", name="Create group", exact=True).click()
    expect(page).to_have_url(CONVERSATION_URL)
    match = CONVERSATION_URL.search(page.url)
    assert match is not None
    group_id = int(match.group(1))
    expect(page.get_by_test_id("conversation-header")).to_contain_text("Lunch crew")

    for person in (ben, cal):  # the new group appears without a reload
        expect(conversation_item(person.page, group_id)).to_contain_text("Lunch crew")
    send(page, "Welcome!")
    for person in (ben, cal):
        item = conversation_item(person.page, group_id)
        expect(item.get_by_test_id("unread-badge")).to_have_text("1")
        item.click()
        expect(body(person.page, 1)).to_have_text("Welcome!")

    settings = group_settings(page)
    settings.get_by_label("Group name", exact=True).fill("Lunch club")
    settings.get_by_role("button", name="Save", exact=True).click()
    for person in (ben, cal):
        expect(person.page.get_by_test_id("conversation-header")).to_contain_text("Lunch club")
        expect(conversation_item(person.page, group_id)).to_contain_text("Lunch club")

    group_settings(page).get_by_role("button", name=f"Remove {cal.username}").click()
    expect(conversation_item(cal.page, group_id)).to_have_count(0)
    expect(group_settings(page).get_by_role("button", name=f"Remove {cal.username}")).to_have_count(
        0
    )

    group_settings(ben.page).get_by_role("button", name="Leave group", exact=True).click()
    expect(conversation_item(ben.page, group_id)).to_have_count(0)
    expect(group_settings(page).get_by_role("button", name=f"Remove {ben.username}")).to_have_count(
        0
    )
    send(page, "Just me now")
    expect(body(page, 2)).to_have_text("Just me now")
    for person in (ben, cal):
        expect(conversation_item(person.page, group_id)).to_have_count(0)
