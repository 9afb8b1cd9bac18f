"""SQLAlchemy models: the tables of VaultRoom."""

from vaultroom.models.base import Base
from vaultroom.models.session import AuthSession
from vaultroom.models.user import User, UserRole

__all__ = ["AuthSession", "Base", "User", "UserRole"]
