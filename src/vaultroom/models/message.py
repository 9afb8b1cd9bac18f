"""Messages: numbered per conversation by a gap-free ``seq``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from vaultroom.models.base import Base, BigIntId, UTCDateTime, utcnow


class Message(Base):
    """One message. ``(conversation_id, seq)`` orders history and serves its pages;
    ``(sender_id, client_msg_id)`` makes a retried send return the stored row.
    A deleted message keeps its row and seq with an empty body."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("conversation_id", "seq"),
        UniqueConstraint("sender_id", "client_msg_id"),
        Index("ix_messages_conversation_id_change_seq", "conversation_id", "change_seq"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    conversation_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("conversations.id", ondelete="CASCADE")
    )
    seq: Mapped[int] = mapped_column(BigInteger)
    # No cascade: removing a user must never punch holes in others' history.
    sender_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("users.id"))
    client_msg_id: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The conversation's change counter at this message's latest edit or delete (0: never).
    change_seq: Mapped[int] = mapped_column(BigInteger, default=0)
