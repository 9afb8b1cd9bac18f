"""The services of one node, built once at start-up and shared by every transport."""

from __future__ import annotations

from dataclasses import dataclass

from vaultroom.db import Database
from vaultroom.security.passwords import PasswordHasher
from vaultroom.services.accounts import AccountService
from vaultroom.services.presence import PresenceRegistry
from vaultroom.services.sessions import SessionService
from vaultroom.services.users import UserDirectory
from vaultroom.settings import Settings


@dataclass(frozen=True)
class Services:
    """Everything a transport handler may call."""

    settings: Settings
    db: Database
    presence: PresenceRegistry
    sessions: SessionService
    accounts: AccountService
    users: UserDirectory


def build_services(settings: Settings) -> Services:
    """Create the database engines and the services on top of them."""
    db = Database(settings)
    presence = PresenceRegistry()
    sessions = SessionService(db, settings)
    return Services(
        settings=settings,
        db=db,
        presence=presence,
        sessions=sessions,
        accounts=AccountService(db, PasswordHasher(settings), sessions),
        users=UserDirectory(db, settings, presence),
    )
