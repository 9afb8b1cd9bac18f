"""Conversations and their members."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from vaultroom.models.base import Base, BigIntId, UTCDateTime, utcnow


class ConversationKind(StrEnum):
    """A one-to-one conversation or a group with a title."""

    DIRECT = "direct"
    GROUP = "group"


class MemberRole(StrEnum):
    """What a member may do in a group: owners and admins manage it."""

    OWNER = "owner"
    ADMIN = "admin"
    MEMBER = "member"


def direct_key(user_a: int, user_b: int) -> str:
    """The key that makes one direct conversation per pair of users (in either order)."""
    low, high = sorted((user_a, user_b))
    return f"{low}:{high}"


class Conversation(Base):
    """A conversation. ``last_seq`` is the seq of its latest message (0 when empty);
    ``direct_key`` is set for direct conversations only and is unique."""

    __tablename__ = "conversations"
    __table_args__ = (CheckConstraint("kind IN ('direct', 'group')", name="kind_valid"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str | None] = mapped_column(String(100))
    direct_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_by: Mapped[int | None] = mapped_column(
        BigIntId, ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    # Counts edits and deletes; each changed message records the value it got,
    # so clients can fetch what changed while they were away.
    last_change_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    # When the latest message was sent (or the conversation created): list order.
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ConversationMember(Base):
    """A user's membership of a conversation and their read marker."""

    __tablename__ = "conversation_members"
    __table_args__ = (
        CheckConstraint("role IN ('owner', 'admin', 'member')", name="role_valid"),
        Index("ix_conversation_members_user_id", "user_id"),
    )

    conversation_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(16), default=MemberRole.MEMBER.value)
    last_read_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
