"""The services of one node, built once at start-up and shared by every transport."""

from __future__ import annotations

from dataclasses import dataclass

from vaultroom.db import Database
from vaultroom.fanout import Fanout
from vaultroom.security.passwords import PasswordHasher
from vaultroom.services.accounts import AccountService
from vaultroom.services.conversation_views import ConversationViews
from vaultroom.services.conversations import ConversationService
from vaultroom.services.message_writer import MessageWriter
from vaultroom.services.messages import MessageService
from vaultroom.services.presence import PresenceService
from vaultroom.services.sessions import SessionService
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
    users: UserDirectory
    conversations: ConversationService
    messages: MessageService
    typing: TypingRelay
    writer: MessageWriter

    async def start(self) -> None:
        """Start the background tasks (the message writer)."""
        self.writer.start()

    async def close(self) -> None:
        """Finish queued writes, take this node's users offline, close the database."""
        await self.writer.stop()
        await self.presence.close()
        await self.db.dispose()


def build_services(settings: Settings, fanout: Fanout) -> Services:
    """Create the database engines and the services on top of them."""
    db = Database(settings)
    presence = PresenceService(db, fanout, grace_seconds=settings.presence_grace_seconds)
    sessions = SessionService(db, settings, fanout)
    users = UserDirectory(db, settings, presence)
    writer = MessageWriter(
        db, fanout, batch_max=settings.write_batch_max, queue_max=settings.write_queue_max
    )
    return Services(
        settings=settings,
        db=db,
        fanout=fanout,
        presence=presence,
        sessions=sessions,
        accounts=AccountService(db, PasswordHasher(settings), sessions),
        users=users,
        conversations=ConversationService(db, ConversationViews(users), fanout, settings),
        messages=MessageService(db, writer, fanout, settings),
        typing=TypingRelay(db, fanout, interval_seconds=settings.typing_interval_seconds),
        writer=writer,
    )
