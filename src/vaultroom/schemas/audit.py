"""Audit log entries as the API shows them."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from vaultroom.models.audit import AuditKind

# Values of ``details``: ids, roles, an attempted login name; never a secret.
DetailValue = str | int | bool | None


class AuditEventOut(BaseModel):
    """One security event: what, when, from where."""

    id: int
    user_id: int | None
    kind: AuditKind
    created_at: datetime
    ip: str | None
    user_agent: str | None
    details: dict[str, DetailValue]


class AuditPage(BaseModel):
    """One page of events, newest first; pass ``next_cursor`` back as ``cursor``."""

    events: list[AuditEventOut]
    next_cursor: str | None
