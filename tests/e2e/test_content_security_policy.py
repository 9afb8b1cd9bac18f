"""The web app works under the server's strict Content-Security-Policy, with no violation."""

from __future__ import annotations

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from tests.e2e.chat import body, eventually, message, send
from tests.e2e.people import People

pytestmark = pytest.mark.e2e


def record_csp_violations(page: Page) -> list[str]:
    """Chromium's console reports of anything the policy blocked, as they come."""
    violations: list[str] = []

    def on_console(entry: ConsoleMessage) -> None:
        if "Content Security Policy" in entry.text:
            violations.append(entry.text)

    page.on("console", on_console)
    return violations


def test_chatting_over_the_websocket_breaks_no_csp_rule(people: People) -> None:
    ann, ben = people.sign_up("ann"), people.sign_up("ben")
    conversation_id = ann.direct_conversation(ben)
    ann_violations = record_csp_violations(ann.page)
    ben_violations = record_csp_violations(ben.page)

    response = ann.page.goto(f"{people.url}/c/{conversation_id}")
    ben.page.goto(f"{people.url}/c/{conversation_id}")

    assert response is not None
    assert "script-src 'self'" in response.headers["content-security-policy"]
    send(ann.page, "Hello under a strict policy")
    expect(message(ann.page, 1)).to_have_attribute("data-status", "sent")
    expect(body(ben.page, 1)).to_have_text("Hello under a strict policy")  # over the socket
    ben.page.get_by_role("link", name="People", exact=True).click()
    expect(ben.page.locator(f'[data-username="{ann.username}"]').first).to_be_visible()
    assert ann_violations == []
    assert ben_violations == []


def test_an_injected_inline_script_is_blocked_and_reported(people: People) -> None:
    # The control for the test above: the policy is enforced, and the recorder sees it.
    ann = people.sign_up("ann")
    violations = record_csp_violations(ann.page)
    ann.page.goto(f"{people.url}/")
    expect(ann.page.get_by_role("link", name="People", exact=True)).to_be_visible()

    ran = ann.page.evaluate(
        """() => {
            const script = document.createElement("script");
            script.textContent = "window.injectedRan = true";
            document.body.append(script);
            return window.injectedRan === true;
        }"""
    )

    assert ran is False
    eventually(lambda: bool(violations), "the violation reported on the console")
    assert "script-src 'self'" in violations[0]
