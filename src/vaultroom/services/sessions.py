"""Sign-in sessions: issuing tokens, checking them on every request, revoking them."""

from __future__ import annotations

import ipaddress
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from vaultroom.db import Database
from vaultroom.fanout import Fanout
from vaultroom.models import AuditKind, AuthSession, User
from vaultroom.models.base import utcnow
from vaultroom.schemas.auth import SessionOut
from vaultroom.security.tokens import hash_token, new_session_token
from vaultroom.services import audit
from vaultroom.services.coalesce import Coalesced
from vaultroom.services.errors import NotFound, Unauthorized
from vaultroom.settings import Settings
from vaultroom.store import sessions as sessions_store

# ``last_used_at`` is written at most this often per session, not on every request.
TOUCH_INTERVAL = timedelta(seconds=60)
USER_AGENT_MAX = 512


@dataclass(frozen=True)
class ClientInfo:
    """Where a request comes from, recorded on the session it opens or uses."""

    ip: str | None
    user_agent: str | None

    @classmethod
    def of(cls, ip: str | None, user_agent: str | None) -> ClientInfo:
        """Checked values: an address that is not an IP is dropped, the agent is cut short."""
        try:
            address = str(ipaddress.ip_address(ip)) if ip else None
        except ValueError:
            address = None
        agent = "".join(char for char in user_agent or "" if char.isprintable())
        return cls(ip=address, user_agent=agent[:USER_AGENT_MAX] or None)


@dataclass(frozen=True)
class AuthContext:
    """An authenticated caller: the user and the session they used."""

    user: User
    session_id: int


@dataclass(frozen=True)
class IssuedSession:
    """A freshly opened session; ``token`` is shown to the client once and never stored."""

    user: User
    token: str
    expires_at: datetime
    session_id: int


class SessionService:
    """Opens, checks, lists and revokes sessions."""

    def __init__(self, db: Database, settings: Settings, fanout: Fanout) -> None:
        self._db = db
        self._settings = settings
        self._fanout = fanout
        # Token hash -> (session, user); session id -> (now, ip) once touched.
        self._lookups: Coalesced[str, None, tuple[AuthSession, User]] = Coalesced(
            self._find_sessions
        )
        self._touches: Coalesced[int, tuple[datetime, str | None], None] = Coalesced(self._touch)

    async def _find_sessions(
        self, token_hashes: Mapping[str, None]
    ) -> Mapping[str, tuple[AuthSession, User]]:
        async with self._db.snapshot() as session:
            return await sessions_store.find_sessions_by_token_hashes(session, list(token_hashes))

    async def _touch(self, uses: Mapping[int, tuple[datetime, str | None]]) -> Mapping[int, None]:
        async with self._db.transaction() as session:
            await sessions_store.touch_sessions_from(session, uses)
        return {}

    async def notify_revoked(self, session_ids: list[int]) -> None:
        """End the sockets of sessions just revoked (call after the commit)."""
        if session_ids:
            await self._fanout.revoke_sessions(session_ids)

    async def open_session(
        self, session: AsyncSession, user: User, client: ClientInfo
    ) -> IssuedSession:
        """Issue a new token for ``user`` inside the caller's transaction."""
        token = new_session_token()
        now = utcnow()
        expires_at = now + self._settings.session_absolute_lifetime
        row = await sessions_store.insert_session(
            session,
            user_id=user.id,
            token_hash=hash_token(token),
            now=now,
            expires_at=expires_at,
            user_agent=client.user_agent,
            ip=client.ip,
        )
        return IssuedSession(user=user, token=token, expires_at=expires_at, session_id=row.id)

    def _is_live(self, row: AuthSession, now: datetime) -> bool:
        return (
            row.revoked_at is None
            and now < row.expires_at
            and now < row.last_used_at + self._settings.session_idle_timeout
        )

    async def authenticate(self, token: str, client: ClientInfo) -> AuthContext:
        """The caller behind ``token``; ``Unauthorized`` if it is unknown, revoked or expired."""
        now = utcnow()
        # Concurrent calls (a connect storm, parallel requests) share their queries.
        found = await self._lookups.one(hash_token(token), None)
        if found is None or not self._is_live(found[0], now):
            raise Unauthorized("Your session has expired or was revoked; sign in again.")
        row, user = found
        if now - row.last_used_at >= TOUCH_INTERVAL:
            await self._touches.get({row.id: (now, client.ip)})
        return AuthContext(user=user, session_id=row.id)

    async def check_connected(self, session_ids: Collection[int]) -> list[int]:
        """For sessions with an open socket: the ones no longer live (revoked, expired,
        gone); the others are marked used, as an open socket is use."""
        now = utcnow()
        async with self._db.snapshot() as session:
            rows = await sessions_store.get_sessions(session, session_ids)
        live = {row.id for row in rows if self._is_live(row, now)}
        if live:
            async with self._db.transaction() as session:
                await sessions_store.touch_sessions(
                    session, live, now=now, unless_since=now - TOUCH_INTERVAL
                )
        return sorted(set(session_ids) - live)

    async def list_sessions(self, caller: AuthContext) -> list[SessionOut]:
        """The caller's live sessions, the current one marked."""
        now = utcnow()
        async with self._db.snapshot() as session:
            rows = await sessions_store.list_active_sessions(
                session,
                caller.user.id,
                idle_since=now - self._settings.session_idle_timeout,
                now=now,
            )
        return [
            SessionOut(
                id=row.id,
                created_at=row.created_at,
                last_used_at=row.last_used_at,
                expires_at=row.expires_at,
                user_agent=row.user_agent,
                ip=row.ip,
                current=row.id == caller.session_id,
            )
            for row in rows
        ]

    async def revoke(
        self, caller: AuthContext, session_id: int, client: ClientInfo | None = None
    ) -> None:
        """Revoke one of the caller's own sessions (404 for anyone else's)."""
        await self._revoke(caller, session_id, AuditKind.SESSION_REVOKED, client)

    async def logout(self, caller: AuthContext, client: ClientInfo | None = None) -> None:
        """Revoke the session the caller used."""
        await self._revoke(caller, caller.session_id, AuditKind.LOGOUT, client)

    async def _revoke(
        self, caller: AuthContext, session_id: int, kind: AuditKind, client: ClientInfo | None
    ) -> None:
        async with self._db.transaction() as session:
            revoked = await sessions_store.revoke_session(
                session, user_id=caller.user.id, session_id=session_id, now=utcnow()
            )
            if revoked:
                await audit.record(
                    session,
                    kind,
                    user_id=caller.user.id,
                    client=client,
                    details={"session_id": session_id},
                )
        if not revoked:
            raise NotFound("No such session.")
        await self.notify_revoked([session_id])
