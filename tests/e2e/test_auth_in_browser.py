"""A person registers, signs out and in, and finds a colleague, in a real browser."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Dialog, Page, expect

PASSWORD = "a long and unusual passphrase"
pytestmark = pytest.mark.e2e


def register(page: Page, url: str, username: str, display_name: str = "") -> None:
    page.goto(f"{url}/register")
    page.get_by_label("Username", exact=True).fill(username)
    page.get_by_label("Email", exact=True).fill(f"{username}@example.com")
    if display_name:
        page.get_by_label("Display name (optional)", exact=True).fill(display_name)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()


def sign_in(page: Page, url: str, login: str, password: str = PASSWORD) -> None:
    page.goto(f"{url}/login")
    page.get_by_label("Username or email", exact=True).fill(login)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()


def sign_out(page: Page) -> None:
    page.get_by_role("link", name="Account", exact=True).click()
    page.get_by_role("button", name="Sign out", exact=True).click()


def test_register_sign_out_and_sign_in_again(
    browser: Browser, server_url: str, artifacts: Path
) -> None:
    context = browser.new_context()
    page = context.new_page()
    register(page, server_url, "alice", "Alice Liddell")
    expect(page.get_by_text("Signed in as Alice Liddell")).to_be_visible()

    cookie = next(c for c in context.cookies() if c["name"] == "vaultroom_session")
    assert cookie["httpOnly"]
    assert cookie["sameSite"] == "Lax"
    stored = page.evaluate("JSON.stringify({...localStorage, ...sessionStorage})")
    assert cookie["value"] not in stored

    sign_out(page)
    expect(page).to_have_url(re.compile(r"/login"))
    page.goto(f"{server_url}/")
    expect(page).to_have_url(re.compile(r"/login"))

    sign_in(page, server_url, "ALICE@example.com")
    expect(page.get_by_text("Signed in as Alice Liddell")).to_be_visible()
    page.screenshot(path=artifacts / "auth-desktop.png", full_page=True)
    context.close()


def test_wrong_password_and_taken_username_are_shown_inline(
    browser: Browser, server_url: str
) -> None:
    context = browser.new_context()
    page = context.new_page()
    register(page, server_url, "bob")
    expect(page.get_by_text("Signed in as bob")).to_be_visible()
    sign_out(page)
    expect(page).to_have_url(re.compile(r"/login"))

    sign_in(page, server_url, "bob", "not the right password")
    expect(page.get_by_role("alert")).to_contain_text("Wrong username, email or password")

    register(page, server_url, "BOB")
    expect(page.get_by_text("This username is taken.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/register"))
    context.close()


def test_people_list_finds_a_colleague_and_shows_names_as_text(
    browser: Browser, server_url: str, artifacts: Path
) -> None:
    first = browser.new_context()
    register(first.new_page(), server_url, "carol", "<img src=x onerror=alert(1)>")
    first.close()

    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    dialogs: list[str] = []

    def record_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", record_dialog)
    register(page, server_url, "dave")
    expect(page.get_by_text("Signed in as dave")).to_be_visible()
    page.get_by_role("link", name="People", exact=True).click()
    page.get_by_label("Search people", exact=True).fill("car")
    expect(page.get_by_text("@carol")).to_be_visible()
    expect(page.get_by_text("<img src=x onerror=alert(1)>")).to_be_visible()
    assert page.locator("img[src='x']").count() == 0
    page.get_by_label("Search people", exact=True).fill("zzz")
    expect(page.get_by_text("@carol")).to_have_count(0)
    page.get_by_label("Search people", exact=True).fill("")
    expect(page.get_by_text("@carol")).to_be_visible()
    page.screenshot(path=artifacts / "people-phone.png", full_page=True)
    assert dialogs == []
    context.close()
