"""The services of one node, built once at start-up and shared by every transport."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import redis.asyncio as redis

from vaultroom.db import Database
from vaultroom.fanout import Fanout
from vaultroom.security.passwords import PasswordHasher
from vaultroom.services.accounts import AccountService
from vaultroom.services.audit import AuditLog
from vaultroom.services.conversation_views import ConversationViews
from vaultroom.services.conversations import ConversationService
from vaultroom.services.message_writer import MessageWriter
from vaultroom.services.messages import MessageService
from vaultroom.services.presence import LocalPresence, PresenceBackend, PresenceService
from vaultroom.services.rate_limits import Throttle
from vaultroom.services.sessions import SessionService
from vaultroom.services.throttles import Throttles
from vaultroom.services.two_factor import TwoFactorService
from vaultroom.services.typing import TypingRelay
from vaultroom.services.users import UserDirectory
from vaultroom.settings import Settings


@dataclass(frozen=True)
class Services:
    """Everything a transport handler may call."""

    settings: Settings
    db: Database
    fanout: Fanout
    presence: PresenceService
    sessions: SessionService
    accounts: AccountService
    two_factor: TwoFactorService
    users: UserDirectory
    conversations: ConversationService
    messages: MessageService
    typing: TypingRelay
    writer: MessageWriter
    throttles: Throttles
    audit: AuditLog
    # Whether the cluster broker answers (None on a single node: there is none).
    broker_check: Callable[[], Awaitable[bool]] | None = None

    async def start(self) -> None:
        """Start the background tasks (the message writer)."""
        self.writer.start()

    async def close(self) -> None:
        """Finish queued writes, take this node's users offline, close the database."""
        await self.writer.stop()
        await self.presence.close()
        await self.db.dispose()


def build_services(
    settings: Settings,
    fanout: Fanout,
    *,
    presence_backend: PresenceBackend | None = None,
    shared: redis.Redis | None = None,
    broker_check: Callable[[], Awaitable[bool]] | None = None,
) -> Services:
    """Create the database engines and the services on top of them.

    A node of a cluster passes its presence backend and the Redis connection that
    throttles share; a single node keeps all of that in memory.
    """
    db = Database(settings)
    presence = PresenceService(
        db, presence_backend or LocalPresence(fanout), grace_seconds=settings.presence_grace_seconds
    )
    sessions = SessionService(db, settings, fanout)
    users = UserDirectory(db, settings, presence)
    writer = MessageWriter(
        db, fanout, batch_max=settings.write_batch_max, queue_max=settings.write_queue_max
    )
    throttles = Throttles(settings, shared)
    audit_log = AuditLog(db, settings)
    accounts = AccountService(
        db, settings, PasswordHasher(settings), sessions, throttles, audit_log
    )
    return Services(
        settings=settings,
        db=db,
        fanout=fanout,
        presence=presence,
        sessions=sessions,
        accounts=accounts,
        two_factor=TwoFactorService(db, settings, sessions, throttles, accounts.check_password),
        users=users,
        conversations=ConversationService(db, ConversationViews(users), fanout, settings),
        messages=MessageService(db, writer, fanout, settings, shared),
        typing=TypingRelay(
            db,
            fanout,
            Throttle(settings.typing_interval_seconds, shared, prefix=settings.redis_prefix),
        ),
        writer=writer,
        throttles=throttles,
        audit=audit_log,
        broker_check=broker_check,
    )
