"""Signed-in people for browser tests: a REST session to seed data, and a browser context.

Registering over REST and handing the session cookie to a fresh browser context is
much faster than filling the form every time; one test signs up through the form.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
from playwright.sync_api import Browser, BrowserContext, Dialog, Page, ViewportSize

PASSWORD = "a long and unusual passphrase"
SESSION_COOKIE = "vaultroom_session"
DESKTOP = ViewportSize(width=1280, height=800)
PHONE = ViewportSize(width=390, height=844)
_numbers = itertools.count(1)


@dataclass
class Person:
    """A registered user, their REST client (Bearer token) and their browser context."""

    id: int
    username: str
    display_name: str
    api: httpx.Client
    context: BrowserContext
    page: Page
    dialogs: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        """How others see this person's name in a direct conversation."""
        return self.display_name or self.username

    def new_page(self) -> Page:
        """Open another page in this person's browser, recording dialogs, and use it."""
        self.page = self.context.new_page()
        self.page.on("dialog", self.record_dialog)
        return self.page

    def record_dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def direct_conversation(self, other: Person, *, via: str | None = None) -> int:
        """The id of the direct conversation with ``other`` (created if needed)."""
        url = f"{via or ''}/api/conversations/direct"
        response = self.api.post(url, json={"user_id": other.id})
        assert response.status_code in {200, 201}, response.text
        conversation_id: int = response.json()["id"]
        return conversation_id

    def send(self, conversation_id: int, body: str, *, via: str | None = None) -> dict[str, Any]:
        """Send a message over REST (to the server at ``via``, else the usual one)."""
        payload = {"client_msg_id": str(uuid.uuid4()), "body": body}
        url = f"{via or ''}/api/conversations/{conversation_id}/messages"
        response = self.api.post(url, json=payload)
        assert response.status_code == 201, response.text
        message: dict[str, Any] = response.json()["message"]
        return message

    def edit(self, message_id: int, body: str, *, via: str | None = None) -> None:
        """Edit one of this person's messages over REST."""
        response = self.api.patch(f"{via or ''}/api/messages/{message_id}", json={"body": body})
        assert response.status_code == 200, response.text

    def delete(self, message_id: int, *, via: str | None = None) -> None:
        """Delete one of this person's messages over REST."""
        response = self.api.delete(f"{via or ''}/api/messages/{message_id}")
        assert response.status_code == 200, response.text


class People:
    """Registers people on one server; closes their contexts and clients at the end."""

    def __init__(self, *, browser: Browser, url: str) -> None:
        self.browser = browser
        self.url = url
        self.made: list[Person] = []
        self.contexts: list[BrowserContext] = []

    def sign_up(self, name: str, *, display_name: str = "", phone: bool = False) -> Person:
        """Register ``name`` plus a unique number, signed in in a new context (page blank)."""
        username = f"{name}{next(_numbers)}"
        api = httpx.Client(base_url=self.url, timeout=30)
        body = {"username": username, "email": f"{username}@example.com", "password": PASSWORD}
        if display_name:
            body["display_name"] = display_name
        response = api.post("/api/auth/register", json=body)
        assert response.status_code == 201, response.text
        data = response.json()
        api.cookies.clear()
        api.headers["Authorization"] = f"Bearer {data['token']}"
        context = self.signed_in_context(data["token"], phone=phone)
        person = Person(
            id=data["user"]["id"],
            username=username,
            display_name=display_name,
            api=api,
            context=context,
            page=context.new_page(),
        )
        person.page.on("dialog", person.record_dialog)
        self.made.append(person)
        return person

    def another_device(self, person: Person, *, phone: bool = False) -> Page:
        """A blank page in a new context where ``person`` signed in again (a new session)."""
        with httpx.Client(base_url=self.url, timeout=30) as api:
            response = api.post(
                "/api/auth/login", json={"login": person.username, "password": PASSWORD}
            )
        assert response.status_code == 200, response.text
        page = self.signed_in_context(response.json()["token"], phone=phone).new_page()
        page.on("dialog", person.record_dialog)
        return page

    def signed_in_context(self, token: str, *, phone: bool = False) -> BrowserContext:
        """A new browser context holding this session cookie."""
        context = self.browser.new_context(
            locale="en-US",
            viewport=PHONE if phone else DESKTOP,
            is_mobile=phone,
            has_touch=phone,
        )
        context.add_cookies(
            [
                {
                    "name": SESSION_COOKIE,
                    "value": token,
                    "url": self.url,
                    "httpOnly": True,
                    "sameSite": "Lax",
                }
            ]
        )
        self.contexts.append(context)
        return context

    def close(self) -> None:
        """Close every context and client made here."""
        for context in self.contexts:
            context.close()
        for person in self.made:
            person.api.close()
