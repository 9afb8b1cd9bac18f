"""Conversation objects as each member sees them (members, last message, unread count)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from vaultroom.models import Conversation, ConversationMember, Message, User
from vaultroom.schemas.conversations import ConversationOut, ConversationState, MembershipOut
from vaultroom.schemas.messages import MessageOut
from vaultroom.schemas.users import UserOut
from vaultroom.services.users import UserDirectory
from vaultroom.store import conversations as conversations_store
from vaultroom.store import messages as messages_store


class ConversationViews:
    """Builds ``ConversationOut`` objects with a few queries for any number of conversations."""

    def __init__(self, directory: UserDirectory) -> None:
        self._directory = directory

    async def for_viewer(
        self,
        session: AsyncSession,
        viewer_id: int,
        rows: Sequence[tuple[Conversation, ConversationMember]],
    ) -> list[ConversationOut]:
        """The viewer's conversations (each with the viewer's membership), in the given order."""
        ids = [conversation.id for conversation, _member in rows]
        members, memberships = await self._members(session, ids)
        last = await messages_store.messages_at(
            session, [(conversation.id, conversation.last_seq) for conversation, _ in rows]
        )
        unread = await conversations_store.unread_counts(session, viewer_id, ids)
        return [
            self._view(
                conversation,
                member,
                members.get(conversation.id, []),
                memberships.get(conversation.id, []),
                last.get(conversation.id),
                unread.get(conversation.id, 0),
            )
            for conversation, member in rows
        ]

    async def shared(self, session: AsyncSession, conversation: Conversation) -> ConversationState:
        """The conversation as every member sees it alike (built once, whatever its size)."""
        rows = await conversations_store.memberships_with_users(session, [conversation.id])
        members, memberships = self._group(rows)
        last = await messages_store.messages_at(session, [(conversation.id, conversation.last_seq)])
        last_message = last.get(conversation.id)
        return ConversationState(
            id=conversation.id,
            kind=conversation.kind,
            title=conversation.title,
            members=members.get(conversation.id, []),
            memberships=memberships.get(conversation.id, []),
            last_message=MessageOut.of(last_message) if last_message is not None else None,
            last_seq=conversation.last_seq,
            last_change_seq=conversation.last_change_seq,
            created_at=conversation.created_at,
        )

    async def seen_by(
        self, session: AsyncSession, state: ConversationState, viewer_id: int
    ) -> ConversationOut | None:
        """``state`` from one member's point of view (``None`` if they are not a member)."""
        marker = next((m.last_read_seq for m in state.memberships if m.user_id == viewer_id), None)
        if marker is None:
            return None
        unread = await conversations_store.unread_counts(session, viewer_id, [state.id])
        return ConversationOut(
            **dict(state), last_read_seq=marker, unread_count=unread.get(state.id, 0)
        )

    async def _members(
        self, session: AsyncSession, ids: Sequence[int]
    ) -> tuple[dict[int, list[UserOut]], dict[int, list[MembershipOut]]]:
        return self._group(await conversations_store.memberships_with_users(session, ids))

    def _group(
        self, rows: Sequence[tuple[ConversationMember, User]]
    ) -> tuple[dict[int, list[UserOut]], dict[int, list[MembershipOut]]]:
        users: dict[int, list[UserOut]] = {}
        memberships: dict[int, list[MembershipOut]] = {}
        for member, user in rows:
            users.setdefault(member.conversation_id, []).append(self._directory.public(user))
            memberships.setdefault(member.conversation_id, []).append(
                MembershipOut(
                    user_id=member.user_id,
                    role=member.role,
                    last_read_seq=member.last_read_seq,
                    joined_at=member.joined_at,
                )
            )
        return users, memberships

    @staticmethod
    def _view(
        conversation: Conversation,
        member: ConversationMember,
        members: list[UserOut],
        memberships: list[MembershipOut],
        last_message: Message | None,
        unread_count: int,
    ) -> ConversationOut:
        return ConversationOut(
            id=conversation.id,
            kind=conversation.kind,
            title=conversation.title,
            members=members,
            memberships=memberships,
            last_message=MessageOut.of(last_message) if last_message is not None else None,
            last_seq=conversation.last_seq,
            last_change_seq=conversation.last_change_seq,
            last_read_seq=member.last_read_seq,
            unread_count=unread_count,
            created_at=conversation.created_at,
        )
