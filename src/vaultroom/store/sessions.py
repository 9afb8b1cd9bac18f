"""Queries on sign-in sessions."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from vaultroom.models import AuthSession, User


async def insert_session(
    session: AsyncSession,
    *,
    user_id: int,
    token_hash: str,
    now: datetime,
    expires_at: datetime,
    user_agent: str | None,
    ip: str | None,
) -> AuthSession:
    """Add a session row and flush it."""
    row = AuthSession(
        user_id=user_id,
        token_hash=token_hash,
        created_at=now,
        last_used_at=now,
        expires_at=expires_at,
        user_agent=user_agent,
        ip=ip,
    )
    session.add(row)
    await session.flush()
    return row


async def find_sessions_by_token_hashes(
    session: AsyncSession, token_hashes: Collection[str]
) -> dict[str, tuple[AuthSession, User]]:
    """The sessions with these token hashes (those that exist) and their users, by hash."""
    if not token_hashes:
        return {}
    result = await session.execute(
        select(AuthSession, User)
        .join(User, User.id == AuthSession.user_id)
        .where(AuthSession.token_hash.in_(token_hashes))
    )
    return {row[0].token_hash: (row[0], row[1]) for row in result}


async def get_sessions(session: AsyncSession, session_ids: Collection[int]) -> list[AuthSession]:
    """The sessions with these ids (those that exist)."""
    if not session_ids:
        return []
    result = await session.scalars(select(AuthSession).where(AuthSession.id.in_(session_ids)))
    return list(result)


async def touch_sessions(
    session: AsyncSession, session_ids: Collection[int], *, now: datetime, unless_since: datetime
) -> None:
    """Record that these sessions are in use (those not already touched since ``unless_since``)."""
    if not session_ids:
        return
    await session.execute(
        update(AuthSession)
        .where(AuthSession.id.in_(session_ids), AuthSession.last_used_at < unless_since)
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )


async def touch_sessions_from(
    session: AsyncSession, uses: Mapping[int, tuple[datetime, str | None]]
) -> None:
    """Record that sessions were just used: ``{session id: (when, from which address)}``."""
    if not uses:
        return
    await session.execute(
        update(AuthSession),
        [
            {"id": session_id, "last_used_at": when, "ip": ip}
            for session_id, (when, ip) in uses.items()
        ],
    )


async def list_active_sessions(
    session: AsyncSession, user_id: int, *, idle_since: datetime, now: datetime
) -> list[AuthSession]:
    """A user's sessions that are neither revoked nor expired, most recently used first."""
    result = await session.execute(
        select(AuthSession)
        .where(
            AuthSession.user_id == user_id,
            AuthSession.revoked_at.is_(None),
            AuthSession.expires_at > now,
            AuthSession.last_used_at > idle_since,
        )
        .order_by(AuthSession.last_used_at.desc(), AuthSession.id.desc())
    )
    return list(result.scalars())


async def revoke_session(
    session: AsyncSession, *, user_id: int, session_id: int, now: datetime
) -> bool:
    """Revoke one of a user's sessions; whether an active one was found."""
    result = await session.execute(
        update(AuthSession)
        .where(
            AuthSession.id == session_id,
            AuthSession.user_id == user_id,
            AuthSession.revoked_at.is_(None),
        )
        .values(revoked_at=now)
        .returning(AuthSession.id)
    )
    return result.first() is not None


async def revoke_other_sessions(
    session: AsyncSession, *, user_id: int, keep_session_id: int | None, now: datetime
) -> list[int]:
    """Revoke every active session of a user but one; the ids revoked."""
    query = update(AuthSession).where(
        AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None)
    )
    if keep_session_id is not None:
        query = query.where(AuthSession.id != keep_session_id)
    result = await session.execute(query.values(revoked_at=now).returning(AuthSession.id))
    return [row[0] for row in result]
