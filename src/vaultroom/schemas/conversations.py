"""Conversations as each member sees them, and the bodies that create or change them."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from vaultroom.schemas.ids import RowIdField, SeqField
from vaultroom.schemas.messages import MessageOut
from vaultroom.schemas.users import UserOut

TITLE_MAX = 100


class MembershipOut(BaseModel):
    """A member's role and read marker (roles manage groups; markers show "seen")."""

    user_id: int
    role: str
    last_read_seq: int
    joined_at: datetime


class ConversationState(BaseModel):
    """What every member sees alike: title, members, roles and markers, last message.

    ``conversation:updated`` carries this, one payload for all members; each
    member's own marker is in ``memberships``.
    """

    id: int
    kind: str
    title: str | None
    members: list[UserOut]
    memberships: list[MembershipOut]
    last_message: MessageOut | None
    last_seq: int
    # Edits and deletes so far; above what a client saw: fetch ``?changed_after=``.
    last_change_seq: int
    created_at: datetime


class ConversationOut(ConversationState):
    """A conversation from the caller's point of view (read marker, unread count)."""

    last_read_seq: int
    unread_count: int


class ConversationsOut(BaseModel):
    """The caller's conversations, most recent activity first."""

    conversations: list[ConversationOut]


class DirectIn(BaseModel):
    """Open (or find) the one direct conversation with a user."""

    user_id: RowIdField


class GroupIn(BaseModel):
    """A new group; the caller is its owner and need not be listed."""

    title: str = Field(max_length=4 * TITLE_MAX)
    member_ids: list[RowIdField] = Field(default_factory=list, max_length=10000)


class RenameIn(BaseModel):
    """A group's new title."""

    title: str = Field(max_length=4 * TITLE_MAX)


class AddMemberIn(BaseModel):
    """A user to add to a group."""

    user_id: RowIdField


class RoleIn(BaseModel):
    """A member's new role in a group (set by the owner)."""

    role: Literal["admin", "member"]


class ReadIn(BaseModel):
    """Move the caller's read marker forward to ``seq``."""

    seq: SeqField


class ReadMarkerOut(BaseModel):
    """Where the caller's read marker is now and what is still unread."""

    conversation_id: int
    last_read_seq: int
    unread_count: int
