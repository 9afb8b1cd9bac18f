"""SQLAlchemy models: the tables of VaultRoom."""

from vaultroom.models.audit import AuditEvent, AuditKind
from vaultroom.models.base import Base
from vaultroom.models.conversation import (
    Conversation,
    ConversationKind,
    ConversationMember,
    MemberRole,
)
from vaultroom.models.message import Message
from vaultroom.models.session import AuthSession
from vaultroom.models.two_factor import LoginChallenge, RecoveryCode, TwoFactor
from vaultroom.models.user import User, UserRole

__all__ = [
    "AuditEvent",
    "AuditKind",
    "AuthSession",
    "Base",
    "Conversation",
    "ConversationKind",
    "ConversationMember",
    "LoginChallenge",
    "MemberRole",
    "Message",
    "RecoveryCode",
    "TwoFactor",
    "User",
    "UserRole",
]
