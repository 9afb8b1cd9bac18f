"""The audit log: recording security events and showing them to their user and to admins.

Events are written in the transaction of the action they record, when it has one,
so an event exists exactly when its action happened. ``details`` holds ids and
roles, never a password, token or hash.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from vaultroom.db import Database
from vaultroom.models import AuditEvent, AuditKind, UserRole
from vaultroom.schemas.audit import AuditEventOut, AuditPage, DetailValue
from vaultroom.services.errors import Forbidden, InvalidInput
from vaultroom.settings import Settings
from vaultroom.store import audit as audit_store

if TYPE_CHECKING:
    from vaultroom.services.sessions import AuthContext, ClientInfo

# The user agent is kept this long in the log (enough to tell devices apart).
AUDIT_USER_AGENT_MAX = 256
# An attempted login that matches no account is recorded cut to this length.
ATTEMPTED_LOGIN_MAX = 64


def attempted_login(login: str) -> str:
    """How a sign-in's login that names no account is recorded: normalised, cut short."""
    return login.strip().casefold()[:ATTEMPTED_LOGIN_MAX]


async def record(
    session: AsyncSession,
    kind: AuditKind,
    *,
    user_id: int | None,
    client: ClientInfo | None,
    details: dict[str, DetailValue] | None = None,
) -> None:
    """Add an event to the caller's transaction."""
    agent = client.user_agent if client is not None else None
    await audit_store.insert_event(
        session,
        kind=kind.value,
        user_id=user_id,
        ip=client.ip if client is not None else None,
        user_agent=agent[:AUDIT_USER_AGENT_MAX] if agent else None,
        details=details or None,
    )


def _event_out(row: AuditEvent) -> AuditEventOut:
    details: dict[str, Any] = row.details if isinstance(row.details, dict) else {}
    return AuditEventOut(
        id=row.id,
        user_id=row.user_id,
        kind=AuditKind(row.kind),
        created_at=row.created_at,
        ip=row.ip,
        user_agent=row.user_agent,
        details={
            str(key): value
            for key, value in details.items()
            if value is None or isinstance(value, str | int | bool)
        },
    )


def _before_id(cursor: str | None) -> int | None:
    if not cursor:
        return None
    if not cursor.isdigit() or len(cursor) > 19:
        message = "Pass back the next_cursor of the previous page."
        raise InvalidInput(message, fields={"cursor": message})
    return int(cursor)


class AuditLog:
    """Records events outside other transactions and shows the log."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self._db = db
        self._settings = settings

    async def record_alone(
        self,
        kind: AuditKind,
        *,
        user_id: int | None,
        client: ClientInfo | None,
        details: dict[str, DetailValue] | None = None,
    ) -> None:
        """Record an event in a transaction of its own (an action that writes nothing
        else, such as a failed sign-in)."""
        async with self._db.transaction() as session:
            await record(session, kind, user_id=user_id, client=client, details=details)

    async def own_events(self, caller: AuthContext, *, cursor: str | None, limit: int) -> AuditPage:
        """The caller's events, newest first."""
        return await self._page(caller.user.id, cursor=cursor, limit=limit)

    async def all_events(
        self, caller: AuthContext, *, user_id: int | None, cursor: str | None, limit: int
    ) -> AuditPage:
        """Every event (or one user's), newest first: admins only."""
        if caller.user.role != UserRole.ADMIN.value:
            raise Forbidden("Only administrators can read the audit log.")
        return await self._page(user_id, cursor=cursor, limit=limit)

    async def _page(self, user_id: int | None, *, cursor: str | None, limit: int) -> AuditPage:
        limit = max(1, min(limit, self._settings.users_page_max))
        before_id = _before_id(cursor)
        async with self._db.snapshot() as session:
            rows = await audit_store.list_events_page(
                session, user_id=user_id, before_id=before_id, limit=limit + 1
            )
        page = rows[:limit]
        next_cursor = str(page[-1].id) if len(rows) > limit else None
        return AuditPage(events=[_event_out(row) for row in page], next_cursor=next_cursor)
