"""The audit log: security events (sign-ins, password changes, revocations...)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from vaultroom.models.base import Base, BigIntId, UTCDateTime, utcnow


class AuditKind(StrEnum):
    """What happened. Stored as text without a database constraint, so that a new kind
    needs no migration."""

    REGISTER = "register"
    LOGIN_SUCCESS = "login_success"
    LOGIN_FAILURE = "login_failure"
    # The password was right; the sign-in waits for its two-factor code.
    TWO_FACTOR_CHALLENGE = "two_factor_challenge"
    LOGOUT = "logout"
    PASSWORD_CHANGE = "password_change"  # noqa: S105 - an event kind
    SESSION_REVOKED = "session_revoked"
    ROLE_CHANGE = "role_change"
    TWO_FACTOR_ENABLED = "two_factor_enabled"
    TWO_FACTOR_DISABLED = "two_factor_disabled"
    RECOVERY_CODE_USED = "recovery_code_used"
    RECOVERY_CODES_RENEWED = "recovery_codes_renewed"


class AuditEvent(Base):
    """One security event. ``user_id`` is the account it concerns (kept null when the
    account is deleted, or when a sign-in named no existing account); ``details`` is a
    small JSON object (ids, roles) and never holds a password, token or hash."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_user_id_id", "user_id", "id"),
        Index("ix_audit_events_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    user_id: Mapped[int | None] = mapped_column(
        BigIntId, ForeignKey("users.id", ondelete="SET NULL")
    )
    kind: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(256))
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
