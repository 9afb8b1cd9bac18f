"""Two-factor sign-in in the browser: set up in the account screen, sign in with a code
from the authenticator app or a recovery code (once only), and turned off again."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import ConsoleMessage, Locator, Page, expect

from tests.e2e.chat import sidebar
from tests.e2e.people import PASSWORD, People

pytestmark = pytest.mark.e2e

STEP_SECONDS = 30


class Authenticator:
    """The phone's app: the current code, but never twice from the same 30-second step
    (the server refuses a replayed code), waiting for the next step only when needed."""

    def __init__(self, secret: str) -> None:
        self.totp = pyotp.TOTP(secret)
        self.last_step: int | None = None

    def code(self) -> str:
        now = time.time()
        if self.last_step is not None and now // STEP_SECONDS <= self.last_step:
            time.sleep((self.last_step + 1) * STEP_SECONDS - now + 0.5)
            now = time.time()
        self.last_step = int(now // STEP_SECONDS)
        return self.totp.at(now)


def two_factor(page: Page) -> Locator:
    """The account screen's two-factor section."""
    return page.get_by_role("region", name="Two-factor sign-in")


def activity(page: Page, kind: str) -> Locator:
    """The security activity's entries of one kind."""
    return page.locator(f'[data-testid="activity-item"][data-kind="{kind}"]')


def sign_out(page: Page, url: str) -> None:
    page.goto(f"{url}/account")
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page).to_have_url(re.compile(r"/login$"))


def enter_password(page: Page, username: str) -> None:
    page.get_by_label("Username or email", exact=True).fill(username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()


def test_two_factor_sign_in_with_app_codes_and_recovery_codes(
    people: People, artifacts: Path
) -> None:
    ann = people.sign_up("ann")
    page = ann.page
    url = people.url
    # The QR code is a data: image and the codes file a blob: download: both within the CSP.
    csp_violations: list[str] = []

    def on_console(entry: ConsoleMessage) -> None:
        if "Content Security Policy" in entry.text:
            csp_violations.append(entry.text)

    page.on("console", on_console)
    page.goto(f"{url}/account")
    section = two_factor(page)
    expect(section.get_by_text("Two-factor sign-in is off.")).to_be_visible()

    # Set up: password, then the QR code (an image the CSP lets through) and the key.
    section.get_by_role("button", name="Set up two-factor sign-in").click()
    section.get_by_label("Your password", exact=True).fill(PASSWORD)
    section.get_by_role("button", name="Continue", exact=True).click()
    qr = section.get_by_role("img", name="QR code for your authenticator app")
    expect(qr).to_be_visible()
    assert (qr.get_attribute("src") or "").startswith("data:image/svg+xml;base64,")
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=qr.element_handle())
    secret = section.get_by_test_id("two-factor-secret").inner_text().replace(" ", "")
    assert re.fullmatch(r"[A-Z2-7]{16,}", secret), secret
    app = Authenticator(secret)
    page.screenshot(path=artifacts / "two-factor-setup.png", full_page=True)

    section.get_by_label("Code from your app", exact=True).fill(app.code())
    section.get_by_role("button", name="Turn on", exact=True).click()

    # The recovery codes, shown once: listed, and downloadable as a text file.
    codes_list = section.get_by_role("list", name="Recovery codes")
    expect(codes_list.get_by_role("listitem")).to_have_count(10)
    codes = codes_list.get_by_role("listitem").all_inner_texts()
    section.screenshot(path=artifacts / "two-factor-recovery-codes.png")
    assert all(re.fullmatch(r"[a-z0-9]{5}-[a-z0-9]{5}", code) for code in codes), codes
    with page.expect_download() as download_info:
        section.get_by_role("button", name="Download (.txt)").click()
    download = download_info.value
    assert download.suggested_filename == "vaultroom-recovery-codes.txt"
    saved = Path(download.path()).read_text(encoding="utf-8")
    assert all(code in saved for code in codes)
    section.get_by_role("button", name="I have saved them").click()
    expect(codes_list).to_have_count(0)
    expect(section.get_by_text("Two-factor sign-in is on.")).to_be_visible()
    expect(section.get_by_text("10 recovery codes left.")).to_be_visible()
    expect(activity(page, "two_factor_enabled")).to_have_count(1)

    # Signing in now takes the password, then a code from the app.
    sign_out(page, url)
    enter_password(page, ann.username)
    code_field = page.get_by_label("Two-factor code", exact=True)
    expect(code_field).to_be_visible()
    expect(page.get_by_label("Password", exact=True)).to_have_count(0)
    page.screenshot(path=artifacts / "two-factor-sign-in.png", full_page=True)
    code_field.fill(app.code())
    page.get_by_role("button", name="Verify", exact=True).click()
    expect(sidebar(page)).to_be_visible()

    # Or a recovery code instead...
    sign_out(page, url)
    enter_password(page, ann.username)
    page.get_by_role("button", name="Use a recovery code").click()
    page.get_by_label("Recovery code", exact=True).fill(codes[0])
    page.get_by_role("button", name="Verify", exact=True).click()
    expect(sidebar(page)).to_be_visible()

    # ...which works only once; another one does, with the same challenge.
    sign_out(page, url)
    enter_password(page, ann.username)
    page.get_by_role("button", name="Use a recovery code").click()
    recovery_field = page.get_by_label("Recovery code", exact=True)
    recovery_field.fill(codes[0])
    page.get_by_role("button", name="Verify", exact=True).click()
    expect(recovery_field).to_have_attribute("aria-invalid", "true")
    used = "That recovery code isn't right, or it was already used."
    expect(page.get_by_text(used)).to_be_visible()
    expect(page).to_have_url(re.compile(r"/login$"))
    recovery_field.fill(codes[1])
    page.get_by_role("button", name="Verify", exact=True).click()
    expect(sidebar(page)).to_be_visible()

    # Turning it off takes the password and a code; then the password is enough again.
    page.goto(f"{url}/account")
    expect(section.get_by_text("8 recovery codes left.")).to_be_visible()
    expect(activity(page, "recovery_code_used")).to_have_count(2)
    expect(activity(page, "login_failure")).to_contain_text(
        ["Failed sign-in: wrong two-factor code"]
    )
    section.get_by_role("button", name="Turn off", exact=True).click()
    section.get_by_label("Your password", exact=True).fill(PASSWORD)
    section.get_by_label("Code from your app or a recovery code", exact=True).fill(app.code())
    section.get_by_role("button", name="Turn off two-factor sign-in").click()
    expect(section.get_by_text("Two-factor sign-in is off.")).to_be_visible()
    expect(activity(page, "two_factor_disabled")).to_have_count(1)

    sign_out(page, url)
    enter_password(page, ann.username)
    expect(sidebar(page)).to_be_visible()
    assert csp_violations == []
