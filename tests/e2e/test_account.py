"""The account screen: sessions that can be revoked at once, and the language switch."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.chat import sidebar
from tests.e2e.people import PASSWORD, People

pytestmark = pytest.mark.e2e


def test_revoking_another_session_signs_that_browser_out_at_once(people: People) -> None:
    ann = people.sign_up("ann")
    phone = people.another_device(ann, phone=True)
    phone.goto(f"{people.url}/")
    expect(sidebar(phone)).to_be_visible()

    page = ann.page
    page.goto(f"{people.url}/")
    page.get_by_role("link", name="Account", exact=True).click()
    expect(page.get_by_role("heading", name="Account", exact=True)).to_be_visible()
    sessions = page.get_by_test_id("session-item")
    expect(sessions).to_have_count(2)
    current = sessions.filter(has_text="This device")
    expect(current).to_have_count(1)
    expect(current.get_by_role("button", name="Revoke")).to_have_count(0)
    other = sessions.filter(has_not_text="This device")
    other.get_by_role("button", name="Revoke").click()

    expect(phone).to_have_url(re.compile(r"/login$"))  # told by the server, no reload
    expect(sessions).to_have_count(1)
    phone.goto(f"{people.url}/")
    expect(phone).to_have_url(re.compile(r"/login$"))
    page.reload()
    expect(sessions).to_have_count(1)


def test_the_language_switch_changes_the_interface_and_is_remembered(people: People) -> None:
    ann = people.sign_up("ann")
    page = ann.page
    page.goto(f"{people.url}/account")
    language = page.get_by_label("Language", exact=True)
    language.select_option(label="Français")
    expect(page.get_by_role("heading", name="Compte", exact=True)).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    page.reload()
    expect(page.get_by_role("heading", name="Compte", exact=True)).to_be_visible()
    page.get_by_role("combobox").select_option(label="English")
    expect(page.get_by_role("heading", name="Account", exact=True)).to_be_visible()


def test_changing_the_password_signs_out_the_other_browsers(people: People) -> None:
    ann = people.sign_up("ann")
    other = people.another_device(ann)
    other.goto(f"{people.url}/")
    expect(sidebar(other)).to_be_visible()

    page = ann.page
    page.goto(f"{people.url}/account")
    page.get_by_label("Current password", exact=True).fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill("another long and unusual passphrase")
    page.get_by_role("button", name="Change password", exact=True).click()
    expect(other).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_test_id("session-item")).to_have_count(1)
    page.reload()
    expect(page.get_by_role("heading", name="Account", exact=True)).to_be_visible()
