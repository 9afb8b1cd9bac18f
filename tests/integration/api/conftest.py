"""Helpers for the conversation and message tests: a small REST client over ``users``."""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from tests.factories import RegisteredUser, UserFactory
from vaultroom.app import create_app
from vaultroom.settings import Settings

_client_msg_ids = itertools.count(1)


def new_client_msg_id() -> str:
    """A client_msg_id never used before in this test session."""
    return f"cmid-{next(_client_msg_ids)}"


class Chat:
    """Conversation and message calls as one user or another; asserts the happy statuses."""

    def __init__(self, users: UserFactory) -> None:
        self.users = users
        self.http = users.client

    async def direct(self, me: RegisteredUser, other: RegisteredUser) -> dict[str, Any]:
        """Open (or find) the direct conversation of ``me`` with ``other``."""
        response = await self.http.post(
            "/api/conversations/direct", json={"user_id": other.id}, headers=me.headers
        )
        assert response.status_code in {200, 201}, response.text
        conversation: dict[str, Any] = response.json()
        return conversation

    async def group(
        self, owner: RegisteredUser, *members: RegisteredUser, title: str = "Team"
    ) -> dict[str, Any]:
        """A new group owned by ``owner`` with ``members``."""
        response = await self.http.post(
            "/api/conversations/group",
            json={"title": title, "member_ids": [member.id for member in members]},
            headers=owner.headers,
        )
        assert response.status_code == 201, response.text
        conversation: dict[str, Any] = response.json()
        return conversation

    async def get(self, me: RegisteredUser, conversation_id: int) -> dict[str, Any]:
        """One conversation as ``me`` sees it."""
        response = await self.http.get(f"/api/conversations/{conversation_id}", headers=me.headers)
        assert response.status_code == 200, response.text
        conversation: dict[str, Any] = response.json()
        return conversation

    async def listing(self, me: RegisteredUser) -> list[dict[str, Any]]:
        """``me``'s conversation list."""
        response = await self.http.get("/api/conversations", headers=me.headers)
        assert response.status_code == 200, response.text
        conversations: list[dict[str, Any]] = response.json()["conversations"]
        return conversations

    async def send(
        self,
        me: RegisteredUser,
        conversation_id: int,
        body: str = "hello",
        client_msg_id: str | None = None,
    ) -> dict[str, Any]:
        """Send a new message (201) and return it."""
        response = await self.post_message(me, conversation_id, body, client_msg_id)
        assert response.status_code == 201, response.text
        message: dict[str, Any] = response.json()["message"]
        return message

    async def post_message(
        self,
        me: RegisteredUser,
        conversation_id: int,
        body: str = "hello",
        client_msg_id: str | None = None,
    ) -> httpx.Response:
        """The raw response to a send (JSON with ASCII escapes, so that any string,
        even a lone surrogate, reaches the server)."""
        payload = {"client_msg_id": client_msg_id or new_client_msg_id(), "body": body}
        return await self.http.post(
            f"/api/conversations/{conversation_id}/messages",
            content=json.dumps(payload),
            headers={**me.headers, "Content-Type": "application/json"},
        )

    async def history(
        self, me: RegisteredUser, conversation_id: int, **params: int
    ) -> dict[str, Any]:
        """One page of history (``before_seq``, ``after_seq``, ``limit``)."""
        response = await self.http.get(
            f"/api/conversations/{conversation_id}/messages", params=params, headers=me.headers
        )
        assert response.status_code == 200, response.text
        page: dict[str, Any] = response.json()
        return page

    async def seqs(self, me: RegisteredUser, conversation_id: int) -> list[int]:
        """The seqs of the whole (short) history."""
        page = await self.history(me, conversation_id, limit=200)
        assert page["has_more"] is False
        return [message["seq"] for message in page["messages"]]

    async def read(self, me: RegisteredUser, conversation_id: int, seq: int) -> dict[str, Any]:
        """Move ``me``'s read marker to ``seq``."""
        response = await self.http.post(
            f"/api/conversations/{conversation_id}/read", json={"seq": seq}, headers=me.headers
        )
        assert response.status_code == 200, response.text
        marker: dict[str, Any] = response.json()
        return marker

    async def add(
        self, me: RegisteredUser, conversation_id: int, user: RegisteredUser
    ) -> httpx.Response:
        """The raw response to adding ``user``."""
        return await self.http.post(
            f"/api/conversations/{conversation_id}/members",
            json={"user_id": user.id},
            headers=me.headers,
        )

    async def remove(
        self, me: RegisteredUser, conversation_id: int, user: RegisteredUser
    ) -> httpx.Response:
        """The raw response to removing ``user`` (``me`` itself: leaving)."""
        return await self.http.delete(
            f"/api/conversations/{conversation_id}/members/{user.id}", headers=me.headers
        )

    async def set_role(
        self, me: RegisteredUser, conversation_id: int, member: RegisteredUser, role: str
    ) -> httpx.Response:
        """``PATCH .../members/{id}`` as ``me``: change ``member``'s role."""
        return await self.http.patch(
            f"/api/conversations/{conversation_id}/members/{member.id}",
            json={"role": role},
            headers=me.headers,
        )

    async def make_admin(
        self, owner: RegisteredUser, conversation_id: int, member: RegisteredUser
    ) -> None:
        """The owner makes ``member`` an admin."""
        response = await self.set_role(owner, conversation_id, member, "admin")
        assert response.status_code == 200, response.text


def roles(conversation: dict[str, Any]) -> dict[int, str]:
    """Each member's role, by user id."""
    return {row["user_id"]: row["role"] for row in conversation["memberships"]}


@pytest.fixture
def chat(users: UserFactory) -> Chat:
    """Conversation and message calls through the in-process client."""
    return Chat(users)


@asynccontextmanager
async def client_for(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """An in-process client for an app built with other ``settings``."""
    application = create_app(settings)
    async with LifespanManager(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http
