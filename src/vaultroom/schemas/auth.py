"""Requests and responses of the sign-up, sign-in and session endpoints."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, EmailStr, Field, StringConstraints, field_validator

from vaultroom.schemas.text import NO_CONTROL_CHARACTERS, clean_name
from vaultroom.schemas.users import MeOut
from vaultroom.security.password_policy import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH

USERNAME_PATTERN = re.compile(r"^[a-z0-9_.-]{3,32}$")
DISPLAY_NAME_MAX = 64

Password = Annotated[str, Field(min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH)]


def _normalise_username(value: object) -> object:
    if isinstance(value, str):
        value = value.strip().lower()
        if not USERNAME_PATTERN.fullmatch(value):
            raise ValueError("Use 3 to 32 characters: letters a-z, digits, '_', '.' or '-'.")
    return value


DISPLAY_NAME_JSON_PATTERN = "^[^\\u0000-\\u001f\\u007f-\\u009f\\u202a-\\u202e\\u2066-\\u2069]*$"


def _normalise_display_name(value: object) -> object:
    if not isinstance(value, str):
        return value
    value = clean_name(value)
    if len(value) > DISPLAY_NAME_MAX:
        raise ValueError(f"Use at most {DISPLAY_NAME_MAX} characters.")
    return value or None


class RegisterIn(BaseModel):
    """A new account. The username is lowercased; it and the email are unique in any case."""

    username: str = Field(
        json_schema_extra={"pattern": "^[A-Za-z0-9_.-]{3,32}$", "minLength": 3, "maxLength": 32}
    )
    email: EmailStr = Field(max_length=254)
    password: Password
    display_name: str | None = Field(
        default=None,
        json_schema_extra={"maxLength": DISPLAY_NAME_MAX, "pattern": DISPLAY_NAME_JSON_PATTERN},
    )

    _username = field_validator("username", mode="before")(_normalise_username)
    _display_name = field_validator("display_name", mode="before")(_normalise_display_name)


class LoginIn(BaseModel):
    """Sign in with a username or an email."""

    login: Annotated[
        str, StringConstraints(min_length=1, max_length=254, pattern=NO_CONTROL_CHARACTERS)
    ]
    password: Annotated[str, Field(min_length=1, max_length=MAX_PASSWORD_LENGTH)]


class PasswordChangeIn(BaseModel):
    """Change the caller's password; every other session is signed out."""

    current_password: Annotated[str, Field(min_length=1, max_length=MAX_PASSWORD_LENGTH)]
    new_password: Password


class SignedInOut(BaseModel):
    """The account, its new session token and when that session ends at the latest."""

    user: MeOut
    token: str
    expires_at: datetime


class SessionOut(BaseModel):
    """One of the caller's sessions (never its token)."""

    id: int
    created_at: datetime
    last_used_at: datetime
    expires_at: datetime
    user_agent: str | None
    ip: str | None
    current: bool


class SessionsOut(BaseModel):
    """The caller's active sessions, most recently used first."""

    sessions: list[SessionOut]
