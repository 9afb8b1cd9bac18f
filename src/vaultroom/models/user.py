"""Users: accounts that sign in and chat."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from vaultroom.models.base import Base, BigIntId, UTCDateTime, utcnow


class UserRole(StrEnum):
    """What a user may do beyond chatting."""

    USER = "user"
    MODERATOR = "moderator"
    ADMIN = "admin"


def email_key(email: str) -> str:
    """The form of an email that uniqueness and look-ups compare: case-folded."""
    return email.strip().casefold()


class User(Base):
    """An account. ``username`` is stored lowercased and ``email_key`` case-folded,
    so both are unique in any case."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint("role IN ('user', 'moderator', 'admin')", name="role_valid"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(32), unique=True)
    email: Mapped[str] = mapped_column(String(254))
    # The email case-folded in Python (SQL's lower() only folds ASCII on SQLite).
    email_key: Mapped[str] = mapped_column(String(320), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default=UserRole.USER.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
