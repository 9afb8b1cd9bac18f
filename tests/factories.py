"""Test data made through the public API, so it is valid by construction."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import httpx

DEFAULT_PASSWORD = "a long and unusual passphrase"
_counter = itertools.count(1)


@dataclass
class RegisteredUser:
    """A user the factory registered: their public object, token and password."""

    id: int
    username: str
    email: str
    password: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        """The Bearer header for this user's session."""
        return {"Authorization": f"Bearer {self.token}"}


class UserFactory:
    """Registers users over REST; the client's cookie jar is left empty afterwards."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def create(self, username: str | None = None, **fields: Any) -> RegisteredUser:
        """Register a user (unique name unless given) and return it with its token."""
        number = next(_counter)
        username = username or f"user{number}"
        body = {
            "username": username,
            "email": fields.pop("email", f"{username}@example.com"),
            "password": fields.pop("password", DEFAULT_PASSWORD),
            **fields,
        }
        response = await self.client.post("/api/auth/register", json=body)
        assert response.status_code == 201, response.text
        self.client.cookies.clear()
        data = response.json()
        return RegisteredUser(
            id=data["user"]["id"],
            username=data["user"]["username"],
            email=data["user"]["email"],
            password=body["password"],
            token=data["token"],
        )

    async def login(self, login: str, password: str = DEFAULT_PASSWORD) -> str:
        """Sign in and return the new token."""
        response = await self.client.post(
            "/api/auth/login", json={"login": login, "password": password}
        )
        assert response.status_code == 200, response.text
        self.client.cookies.clear()
        token: str = response.json()["token"]
        return token
