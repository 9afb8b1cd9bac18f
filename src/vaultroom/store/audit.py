"""Queries on the audit log."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vaultroom.models import AuditEvent


async def insert_event(
    session: AsyncSession,
    *,
    kind: str,
    user_id: int | None,
    ip: str | None,
    user_agent: str | None,
    details: dict[str, Any] | None,
) -> AuditEvent:
    """Add an event to the caller's transaction."""
    row = AuditEvent(kind=kind, user_id=user_id, ip=ip, user_agent=user_agent, details=details)
    session.add(row)
    await session.flush()
    return row


async def list_events_page(
    session: AsyncSession, *, user_id: int | None, before_id: int | None, limit: int
) -> list[AuditEvent]:
    """Up to ``limit`` events, newest first, older than ``before_id``, of one user or all."""
    query = select(AuditEvent)
    if user_id is not None:
        query = query.where(AuditEvent.user_id == user_id)
    if before_id is not None:
        query = query.where(AuditEvent.id < before_id)
    result = await session.execute(query.order_by(AuditEvent.id.desc()).limit(limit))
    return list(result.scalars())
