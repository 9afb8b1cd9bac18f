"""Public user objects. ``email`` only ever appears in the caller's own ``Me``."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class UserOut(BaseModel):
    """A user as every other user sees them."""

    id: int
    username: str
    display_name: str | None
    role: str
    online: bool
    last_seen_at: datetime | None
    created_at: datetime


class MeOut(UserOut):
    """The caller, with their email."""

    email: str


class UsersPage(BaseModel):
    """One page of the users list; pass ``next_cursor`` back as ``cursor``."""

    users: list[UserOut]
    next_cursor: str | None
