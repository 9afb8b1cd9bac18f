"""Queries on users."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from vaultroom.models import User
from vaultroom.models.user import email_key


async def insert_user(
    session: AsyncSession,
    *,
    username: str,
    email: str,
    password_hash: str,
    display_name: str | None,
    role: str,
) -> User:
    """Add a user and flush, so that a unique conflict raises here."""
    user = User(
        username=username,
        email=email,
        email_key=email_key(email),
        password_hash=password_hash,
        display_name=display_name,
        role=role,
    )
    session.add(user)
    await session.flush()
    return user


async def get_user(session: AsyncSession, user_id: int) -> User | None:
    """The user with this id, if any."""
    return await session.get(User, user_id)


async def find_user_by_login(session: AsyncSession, login: str) -> User | None:
    """The user whose username or email (any case) is ``login``."""
    login = login.strip()
    result = await session.execute(
        select(User).where(or_(User.username == login.lower(), User.email_key == email_key(login)))
    )
    return result.scalars().first()


async def username_taken(session: AsyncSession, username: str) -> bool:
    """Whether a user already has this (lowercased) username."""
    found = await session.scalar(select(User.id).where(User.username == username))
    return found is not None


async def email_taken(session: AsyncSession, email: str) -> bool:
    """Whether a user already has this email, in any case."""
    found = await session.scalar(select(User.id).where(User.email_key == email_key(email)))
    return found is not None


async def list_users_page(
    session: AsyncSession,
    *,
    exclude_user_id: int,
    username_prefix: str | None,
    after_username: str | None,
    limit: int,
) -> list[User]:
    """Up to ``limit`` users ordered by username, after a cursor, matching a prefix."""
    query = select(User).where(User.id != exclude_user_id)
    if username_prefix:
        query = query.where(User.username.startswith(username_prefix, autoescape=True))
    if after_username is not None:
        query = query.where(User.username > after_username)
    result = await session.execute(query.order_by(User.username).limit(limit))
    return list(result.scalars())


async def lock_user(session: AsyncSession, user_id: int) -> User | None:
    """The user with this id, its row locked until the transaction ends (PostgreSQL)."""
    return await session.get(User, user_id, with_for_update=True)


async def lock_password_hash(session: AsyncSession, user_id: int) -> str | None:
    """A user's current password hash, locking the row until the transaction ends.

    (PostgreSQL: ``FOR UPDATE``; SQLite's write transactions are serial already.)
    """
    result = await session.execute(
        select(User.password_hash).where(User.id == user_id).with_for_update()
    )
    return result.scalar_one_or_none()


async def set_password_hash(session: AsyncSession, user_id: int, password_hash: str) -> None:
    """Replace a user's password hash."""
    await session.execute(
        update(User).where(User.id == user_id).values(password_hash=password_hash)
    )


async def existing_ids(session: AsyncSession, user_ids: Collection[int]) -> set[int]:
    """Which of these user ids exist."""
    if not user_ids:
        return set()
    result = await session.scalars(select(User.id).where(User.id.in_(user_ids)))
    return set(result)


async def last_seen_of(
    session: AsyncSession, user_ids: Collection[int]
) -> dict[int, datetime | None]:
    """When each of these users (those that exist) was last seen online."""
    if not user_ids:
        return {}
    result = await session.execute(select(User.id, User.last_seen_at).where(User.id.in_(user_ids)))
    return {user_id: last_seen for user_id, last_seen in result.all()}


async def set_last_seen(session: AsyncSession, user_ids: Collection[int], when: datetime) -> None:
    """Record when users were last seen online."""
    await session.execute(update(User).where(User.id.in_(user_ids)).values(last_seen_at=when))
