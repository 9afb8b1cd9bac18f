"""Conversation objects as each member sees them (members, last message, unread count)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from vaultroom.models import Conversation, ConversationMember
from vaultroom.schemas.conversations import ConversationOut, ConversationState, MembershipOut
from vaultroom.schemas.messages import MessageOut
from vaultroom.schemas.users import UserOut
from vaultroom.services.users import UserDirectory
from vaultroom.store import conversations as conversations_store
from vaultroom.store import messages as messages_store


class ConversationViews:
    """Builds conversation objects with a few queries for any number of conversations."""

    def __init__(self, directory: UserDirectory) -> None:
        self._directory = directory

    async def for_viewer(
        self,
        session: AsyncSession,
        viewer_id: int,
        rows: Sequence[tuple[Conversation, ConversationMember]],
    ) -> list[ConversationOut]:
        """The viewer's conversations (each with the viewer's membership), in the given order."""
        states = await self._states(session, [conversation for conversation, _ in rows])
        unread = await conversations_store.unread_counts(session, viewer_id, list(states))
        return [
            ConversationOut(
                **dict(states[conversation.id]),
                last_read_seq=member.last_read_seq,
                unread_count=unread.get(conversation.id, 0),
            )
            for conversation, member in rows
        ]

    async def shared(self, session: AsyncSession, conversation: Conversation) -> ConversationState:
        """The conversation as every member sees it alike (built once, whatever its size)."""
        return (await self._states(session, [conversation]))[conversation.id]

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

    async def _states(
        self, session: AsyncSession, conversations: Sequence[Conversation]
    ) -> dict[int, ConversationState]:
        """What all members see of each conversation: two queries in all."""
        ids = [conversation.id for conversation in conversations]
        users: dict[int, list[UserOut]] = {i: [] for i in ids}
        memberships: dict[int, list[MembershipOut]] = {i: [] for i in ids}
        for member, user in await conversations_store.memberships_with_users(session, ids):
            users[member.conversation_id].append(self._directory.public(user))
            memberships[member.conversation_id].append(
                MembershipOut(
                    user_id=member.user_id,
                    role=member.role,
                    last_read_seq=member.last_read_seq,
                    joined_at=member.joined_at,
                )
            )
        last = await messages_store.messages_at(
            session, [(c.id, c.last_seq) for c in conversations]
        )
        return {
            conversation.id: ConversationState(
                id=conversation.id,
                kind=conversation.kind,
                title=conversation.title,
                members=users[conversation.id],
                memberships=memberships[conversation.id],
                last_message=MessageOut.of(last[conversation.id])
                if conversation.id in last
                else None,
                last_seq=conversation.last_seq,
                last_change_seq=conversation.last_change_seq,
                created_at=conversation.created_at,
            )
            for conversation in conversations
        }
