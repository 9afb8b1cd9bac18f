"""The user directory: listing, searching and showing users."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime

from vaultroom.db import Database
from vaultroom.models import User
from vaultroom.schemas.events import PresenceEvent
from vaultroom.schemas.users import MeOut, UserOut, UsersPage
from vaultroom.services.coalesce import Coalesced
from vaultroom.services.errors import NotFound
from vaultroom.services.presence import PresenceService
from vaultroom.settings import Settings
from vaultroom.store import users as users_store


class UserDirectory:
    """Shows users to each other, with their presence."""

    def __init__(self, db: Database, settings: Settings, presence: PresenceService) -> None:
        self._db = db
        self._settings = settings
        self._presence = presence
        # The presence:watch of every socket of a connect storm: a few queries, not one each.
        self._last_seen: Coalesced[int, None, datetime | None] = Coalesced(self._find_last_seen)

    async def _find_last_seen(self, user_ids: Mapping[int, None]) -> dict[int, datetime | None]:
        async with self._db.snapshot() as session:
            return await users_store.last_seen_of(session, list(user_ids))

    def public(self, user: User) -> UserOut:
        """A user as others see them."""
        return UserOut(
            id=user.id,
            username=user.username,
            display_name=user.display_name,
            role=user.role,
            online=self._presence.is_online(user.id),
            last_seen_at=user.last_seen_at,
            created_at=user.created_at,
        )

    def private(self, user: User) -> MeOut:
        """A user as they see themselves (with their email)."""
        return MeOut(**self.public(user).model_dump(), email=user.email)

    async def list_users(
        self, caller_id: int, *, prefix: str | None, cursor: str | None, limit: int
    ) -> UsersPage:
        """Users except the caller, by username, optionally by username prefix."""
        limit = max(1, min(limit, self._settings.users_page_max))
        prefix = prefix.strip().lower() if prefix else None
        async with self._db.snapshot() as session:
            rows = await users_store.list_users_page(
                session,
                exclude_user_id=caller_id,
                username_prefix=prefix,
                after_username=cursor or None,
                limit=limit + 1,
            )
        page = rows[:limit]
        # The cursor is the last username of the page: any string is a position.
        next_cursor = page[-1].username if len(rows) > limit else None
        return UsersPage(users=[self.public(user) for user in page], next_cursor=next_cursor)

    async def presence_of(self, user_ids: Collection[int]) -> list[PresenceEvent]:
        """The presence of each of these users that exists, by id."""
        last_seen = await self._last_seen.get(dict.fromkeys(user_ids))
        # Read after the query: what the caller's socket is told next is newer than this.
        return [
            PresenceEvent(
                user_id=user_id,
                online=self._presence.is_online(user_id),
                last_seen_at=last_seen[user_id],
            )
            for user_id in sorted(last_seen)
        ]

    async def get_user(self, user_id: int) -> UserOut:
        """One user by id."""
        async with self._db.snapshot() as session:
            user = await users_store.get_user(session, user_id)
        if user is None:
            raise NotFound("No such user.")
        return self.public(user)
