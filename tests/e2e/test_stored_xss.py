"""Stored XSS: hostile message bodies, display names and group titles render as inert text.

Another user stores a corpus of payloads (script tags, event handlers, ``javascript:``
and ``data:`` URLs, SVG and iframe tricks, markdown links, entities, direction overrides,
template injection, very long strings) as message bodies (over REST, and over the socket
while the victim watches), as display names and as group titles. The victim's Chromium
shows each one as literal text, and

- no dialog opens (payloads call ``alert``) and no payload sets ``window.__xss``;
- no element with an event-handler attribute, a script, frame, object or image, or a
  ``javascript:``/``data:`` URL appears anywhere (a MutationObserver watches from the
  first byte of the page);
- inside the message list, message bodies hold nothing but text spans and http(s) links,
  and no new img/script/iframe/svg element appears when payloads arrive live.

The victim's browser ignores the Content-Security-Policy (``bypass_csp``), so these
tests prove the rendering inert by itself; the policy is a second wall (its own tests
are in ``test_content_security_policy.py``).
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import socketio
from playwright.sync_api import Browser, Page, expect

from tests.e2e.chat import LIVE, body, conversation_item, message_list, messages
from tests.e2e.people import DESKTOP, PASSWORD, SESSION_COOKIE

pytestmark = pytest.mark.e2e
_numbers = itertools.count(1)

# Every payload that could run sets window.__xss or calls alert().
MESSAGE_PAYLOADS = [
    "<script>window.__xss=1</script>",
    '<img src=x onerror="window.__xss=2">',
    "<svg/onload=alert(3)>",
    "<svg><script>window.__xss=4</script></svg>",
    '<iframe srcdoc="<script>parent.__xss=5</script>"></iframe>',
    '<iframe src="javascript:parent.__xss=6"></iframe>',
    "javascript:window.__xss=7",
    "JaVaScRiPt:alert(8)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCg5KTwvc2NyaXB0Pg==",
    "data:text/html,<script>alert(10)</script>",
    "[click me](javascript:window.__xss=11)",
    '[ok](https://example.com/) <https://example.com/"onmouseover="window.__xss=12>',
    'https://example.com/"><img src=x onerror=window.__xss=13>',
    "&lt;script&gt;window.__xss=14&lt;/script&gt; &#x3C;img src=x onerror=alert(15)&#x3E;",
    "&amp;lt;b&amp;gt; &#60;b&#62;not bold&#60;/b&#62;",
    "\u202eexe.gpj <script>window.__xss=16</script>",
    "abc\u202d\u202e<img src=x onerror=window.__xss=17>\u202c",
    '"><script>window.__xss=18</script>',
    "'><img src=x onerror=window.__xss=19>",
    "{{constructor.constructor('window.__xss=20')()}}",
    "${window.__xss=21} #{alert(22)} <%= alert(23) %>",
    "<math><mtext><table><mglyph><style><img src=x onerror=window.__xss=24>",
    "<details open ontoggle=window.__xss=25>",
    "<input autofocus onfocus=window.__xss=26>",
    '<object data="javascript:window.__xss=27"></object><embed src="javascript:alert(28)">',
    '<a href="javascript:window.__xss=29">click</a>',
    '<meta http-equiv="refresh" content="0;url=javascript:window.__xss=30">',
    "<base href=\"javascript:/\"><a href='/x'>base</a>",
    "line one\n<script>window.__xss=31</script>\n\tline three",
    "<style>*{display:none}</style><body onload=window.__xss=32>",
    ("<img src=x onerror=window.__xss=33>" * 200)[:4000],
    "A" * 4000,
]
# Sent over the socket while the victim has the conversation open.
LIVE_PAYLOADS = [
    "<img src=x onerror=alert('live')>",
    "<svg onload=window.__xss=40></svg>",
    '<iframe srcdoc="<script>parent.__xss=41</script>">',
    "javascript:alert(42) https://example.com/safe",
]
# At most 64 characters, any script; direction overrides are refused (see below).
DISPLAY_NAMES = [
    "<script>alert('name')</script>",
    "<img src=x onerror=window.__xss=50>",
    "<svg onload=window.__xss=51>",
    '"><script>window.__xss=52</script>',
    "{{constructor.constructor('alert(53)')()}}",
    '<a href="javascript:window.__xss=54">me</a>',
    "&lt;b&gt;entity&lt;/b&gt; &amp; &#60;i&#62;",
    '<iframe srcdoc="<script>parent.__xss=55</script>">',
]
GROUP_TITLES = [
    "<img src=x onerror=alert('title')>",
    "<svg><script>window.__xss=60</script></svg>",
    "javascript:window.__xss=61",
    "${window.__xss=62}{{7*7}} <b onmouseover=window.__xss=63>hover</b>",
]

# Installed before any page script: records every element added, or attribute set,
# that could run code or load something a payload chose.
WATCH_THE_DOM = """
(() => {
  window.__suspicious = [];
  const framey = new Set(["SCRIPT", "IFRAME", "FRAME", "FRAMESET", "OBJECT", "EMBED", "IMG",
    "MATH", "DETAILS", "BASE", "APPLET", "AUDIO", "VIDEO", "SOURCE"]);
  const scheme = /^[\\s\\u0000-\\u001f]*(javascript|data|vbscript):/i;
  const ownScript = (el) => el.tagName === "SCRIPT" && !el.textContent.trim()
    && el.src.startsWith(location.origin + "/assets/");
  const check = (el) => {
    if (!(el instanceof Element)) return;
    for (const node of [el, ...el.querySelectorAll("*")]) {
      const why = [];
      if (framey.has(node.tagName.toUpperCase()) && !ownScript(node)) why.push("element");
      if (node.tagName === "META" && node.httpEquiv) why.push("http-equiv");
      for (const attr of node.attributes) {
        const name = attr.name.toLowerCase();
        if (name.startsWith("on") || name === "srcdoc") why.push(name);
        if (["href", "src", "action", "formaction", "data", "xlink:href"].includes(name)
            && scheme.test(attr.value)) why.push(name + "=" + attr.value.slice(0, 40));
      }
      if (why.length) window.__suspicious.push(node.tagName + ": " + why.join(", "));
    }
  };
  new MutationObserver((records) => {
    for (const record of records) {
      if (record.type === "attributes") check(record.target);
      for (const node of record.addedNodes) check(node);
    }
  }).observe(document, { childList: true, subtree: true, attributes: true });
})();
"""

# Inside the message list: every element of a message body (only spans and http(s)
# links may be there) and the count of elements payloads would add.
INSPECT_MESSAGES = """
(log) => {
  const odd = [];
  for (const bodyEl of log.querySelectorAll('[data-testid="message-body"]')) {
    for (const el of bodyEl.querySelectorAll("*")) {
      if (el.tagName === "SPAN") continue;
      if (el.tagName === "A" && ["http:", "https:"].includes(new URL(el.href).protocol)) continue;
      odd.push(el.outerHTML.slice(0, 80));
    }
  }
  const added = log.querySelectorAll(
    "img, script, iframe, svg, object, embed, math, input, details, style, meta, base").length;
  return { odd, added };
}
"""


@dataclass
class Account:
    """A user registered over REST, with a Bearer client."""

    id: int
    username: str
    token: str
    api: httpx.Client

    def post(self, url: str, json: dict[str, Any], expected: int = 201) -> dict[str, Any]:
        response = self.api.post(url, json=json)
        assert response.status_code == expected, response.text
        data: dict[str, Any] = response.json()
        return data

    def send(self, conversation_id: int, text: str) -> dict[str, Any]:
        payload = {"client_msg_id": str(uuid.uuid4()), "body": text}
        message: dict[str, Any] = self.post(
            f"/api/conversations/{conversation_id}/messages", payload
        )["message"]
        return message

    def direct_with(self, other: Account) -> int:
        response = self.api.post("/api/conversations/direct", json={"user_id": other.id})
        assert response.status_code in {200, 201}, response.text
        conversation_id: int = response.json()["id"]
        return conversation_id


class Accounts:
    """Registers accounts on the server; closes their clients at the end."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.made: list[Account] = []

    def register(self, name: str, display_name: str | None = None) -> Account:
        username = f"{name}{next(_numbers)}"
        api = httpx.Client(base_url=self.url, timeout=30)
        self.made.append(Account(0, username, "", api))
        data = {"username": username, "email": f"{username}@example.com", "password": PASSWORD}
        if display_name is not None:
            data["display_name"] = display_name
        response = api.post("/api/auth/register", json=data)
        assert response.status_code == 201, response.text
        api.cookies.clear()
        token = response.json()["token"]
        api.headers["Authorization"] = f"Bearer {token}"
        account = Account(response.json()["user"]["id"], username, token, api)
        self.made[-1] = account
        return account

    def close(self) -> None:
        for account in self.made:
            account.api.close()


@pytest.fixture
def accounts(server_url: str) -> Iterator[Accounts]:
    """Accounts on the test server, their clients closed afterwards."""
    made = Accounts(server_url)
    try:
        yield made
    finally:
        made.close()


@dataclass
class VictimPage:
    """The victim's page, with what it saw: dialogs, and the DOM watcher's findings."""

    page: Page
    dialogs: list[str]

    def assert_inert(self) -> None:
        """Nothing ran and nothing executable or loadable was added, so far."""
        assert self.dialogs == [], f"dialogs opened: {self.dialogs}"
        assert self.page.evaluate("() => window.__xss") is None, "a payload ran"
        suspicious: list[str] = self.page.evaluate("() => window.__suspicious")
        assert suspicious == [], f"elements that could run code appeared: {suspicious}"


@pytest.fixture
def victim_page(browser: Browser, server_url: str) -> Iterator[Any]:
    """Opens a signed-in page (CSP bypassed, the DOM watched) for a token."""
    contexts = []

    def open_page(token: str) -> VictimPage:
        context = browser.new_context(locale="en-US", viewport=DESKTOP, bypass_csp=True)
        contexts.append(context)
        context.add_cookies(
            [
                {
                    "name": SESSION_COOKIE,
                    "value": token,
                    "url": server_url,
                    "httpOnly": True,
                    "sameSite": "Lax",
                }
            ]
        )
        context.add_init_script(WATCH_THE_DOM)
        page = context.new_page()
        dialogs: list[str] = []

        def on_dialog(dialog: Any) -> None:
            dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", on_dialog)
        return VictimPage(page=page, dialogs=dialogs)

    try:
        yield open_page
    finally:
        for context in contexts:
            context.close()


def send_over_socket(
    url: str, token: str, conversation_id: int, texts: list[str]
) -> list[dict[str, Any]]:
    """``message:send`` each text from a Socket.IO client (in a thread with its own loop)."""

    async def run() -> list[dict[str, Any]]:
        client = socketio.AsyncClient(reconnection=False)
        try:
            await client.connect(
                url, auth={"token": token}, transports=["websocket"], wait_timeout=15
            )
            acks = []
            for text in texts:
                payload = {
                    "conversation_id": conversation_id,
                    "client_msg_id": str(uuid.uuid4()),
                    "body": text,
                }
                acks.append(await client.call("message:send", payload, timeout=15))
            return acks
        finally:
            await client.disconnect()
            if client.eio.http is not None and not client.eio.http.closed:
                await client.eio.http.close()

    outcome: list[Any] = []

    def target() -> None:
        try:
            outcome.append(asyncio.run(run()))
        except Exception as exc:  # reported in the test's thread
            outcome.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(LIVE / 1000 * 2)
    assert outcome, "the socket sends did not finish"
    if isinstance(outcome[0], Exception):
        raise outcome[0]
    acks: list[dict[str, Any]] = outcome[0]
    for ack in acks:
        assert ack["ok"] is True, ack
    return [ack["message"] for ack in acks]


def assert_messages_shown_as_text(page: Page, stored: list[dict[str, Any]]) -> None:
    """Each stored message is shown, its text exactly the stored body."""
    for message in stored:
        shown = body(page, message["seq"])
        expect(shown).to_have_count(1)
        assert shown.text_content() == message["body"], f"seq {message['seq']}"


def test_hostile_message_bodies_render_as_inert_text(
    accounts: Accounts, victim_page: Any, server_url: str
) -> None:
    victim, mallory = accounts.register("vic"), accounts.register("mal")
    conversation_id = mallory.direct_with(victim)
    stored = [mallory.send(conversation_id, text) for text in MESSAGE_PAYLOADS]
    assert [message["body"] for message in stored] == [text.strip() for text in MESSAGE_PAYLOADS]
    view: VictimPage = victim_page(victim.token)
    page = view.page

    page.goto(f"{server_url}/c/{conversation_id}")
    expect(messages(page)).to_have_count(len(stored))
    assert_messages_shown_as_text(page, stored)
    log = message_list(page)
    before = log.evaluate(INSPECT_MESSAGES)
    assert before == {"odd": [], "added": 0}
    view.assert_inert()

    live = send_over_socket(server_url, mallory.token, conversation_id, LIVE_PAYLOADS)
    expect(messages(page)).to_have_count(len(stored) + len(live))
    assert_messages_shown_as_text(page, live)
    assert log.evaluate(INSPECT_MESSAGES) == before
    # Only the real http(s) URLs became links; none of the javascript:/data: texts did.
    hrefs = log.locator("a").evaluate_all("links => links.map(link => link.href)")
    assert hrefs, "linkification did not run (the control for the check below)"
    assert all(href.startswith(("http://", "https://")) for href in hrefs), hrefs
    page.wait_for_timeout(300)  # let any onerror/onload a payload set up fire
    view.assert_inert()


def test_hostile_display_names_and_group_titles_render_as_inert_text(
    accounts: Accounts, victim_page: Any, server_url: str
) -> None:
    victim, mallory = accounts.register("vic"), accounts.register("mal")
    named = [accounts.register("named", display_name=name) for name in DISPLAY_NAMES]
    directs = {}
    for person, name in zip(named, DISPLAY_NAMES, strict=True):
        directs[name] = person.direct_with(victim)
        person.send(directs[name], "hello")
    group = mallory.post(
        "/api/conversations/group",
        {"title": "Names", "member_ids": [victim.id] + [person.id for person in named]},
    )
    for person in named:
        person.send(group["id"], "hi all")
    titled = {
        title: mallory.post(
            "/api/conversations/group", {"title": title, "member_ids": [victim.id]}
        )["id"]
        for title in GROUP_TITLES
    }
    # Direction overrides could disguise a name or a title: refused outright.
    spoof = "\u202elivE"
    account = {"username": "spoof", "email": "spoof@example.com", "password": PASSWORD}
    refused = mallory.api.post("/api/auth/register", json={**account, "display_name": spoof})
    assert refused.status_code == 422, refused.text
    refused = mallory.api.post("/api/conversations/group", json={"title": spoof})
    assert refused.status_code == 422, refused.text
    view: VictimPage = victim_page(victim.token)
    page = view.page

    page.goto(f"{server_url}/")
    for text, conversation in [*directs.items(), *titled.items()]:
        title = conversation_item(page, conversation).get_by_test_id("conversation-title")
        expect(title).to_have_text(text)
        assert title.text_content() == text
    view.assert_inert()

    conversation_item(page, group["id"]).click()
    expect(messages(page)).to_have_count(len(named))
    names_shown = message_list(page).inner_text()
    for name in DISPLAY_NAMES:
        assert name in names_shown
    assert message_list(page).evaluate(INSPECT_MESSAGES) == {"odd": [], "added": 0}
    page.get_by_test_id("conversation-header").get_by_role(
        "button", name="Group settings", exact=True
    ).click()
    for person, name in zip(named, DISPLAY_NAMES, strict=True):
        member = page.locator(f'[data-testid="member-item"][data-username="{person.username}"]')
        expect(member).to_contain_text(name)
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)
    for conversation in titled.values():
        conversation_item(page, conversation).click()
        expect(page.get_by_test_id("conversation-header")).to_be_visible()
    page.wait_for_timeout(300)  # let any onerror/onload a payload set up fire
    view.assert_inert()
