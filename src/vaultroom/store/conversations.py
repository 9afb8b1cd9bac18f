"""Queries on conversations and their members."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, and_, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from vaultroom.models import Conversation, ConversationMember, Message, User


async def get_conversation(
    session: AsyncSession, conversation_id: int, *, lock: bool = False
) -> Conversation | None:
    """A conversation by id; ``lock`` holds its row until the transaction ends
    (PostgreSQL ``FOR NO KEY UPDATE``: membership changes, edits and sends to it
    queue up, while foreign-key checks of inserts do not wait)."""
    query = select(Conversation).where(Conversation.id == conversation_id)
    if lock:
        query = query.with_for_update(key_share=True)
    result = await session.execute(query)
    return result.scalars().first()


async def get_membership(
    session: AsyncSession, conversation_id: int, user_id: int
) -> ConversationMember | None:
    """The user's membership of the conversation, if they are a member."""
    return await session.get(ConversationMember, (conversation_id, user_id))


async def find_direct(session: AsyncSession, key: str) -> Conversation | None:
    """The direct conversation with this pair key, if it exists."""
    result = await session.execute(select(Conversation).where(Conversation.direct_key == key))
    return result.scalars().first()


async def insert_conversation(
    session: AsyncSession,
    *,
    kind: str,
    title: str | None,
    direct_key: str | None,
    created_by: int,
    members: Sequence[tuple[int, str]],
    now: datetime,
) -> Conversation:
    """Add a conversation with its members, ``(user_id, role)`` each, and flush
    (a taken ``direct_key`` raises here)."""
    conversation = Conversation(
        kind=kind,
        title=title,
        direct_key=direct_key,
        created_by=created_by,
        created_at=now,
        last_seq=0,
        last_change_seq=0,
        last_activity_at=now,
    )
    session.add(conversation)
    await session.flush()
    await add_members(session, conversation.id, members, last_read_seq=0, now=now)
    return conversation


async def add_members(
    session: AsyncSession,
    conversation_id: int,
    members: Sequence[tuple[int, str]],
    *,
    last_read_seq: int,
    now: datetime,
) -> None:
    """Make users members, ``(user_id, role)`` each, in one flush."""
    session.add_all(
        ConversationMember(
            conversation_id=conversation_id,
            user_id=user_id,
            role=role,
            last_read_seq=last_read_seq,
            joined_at=now,
        )
        for user_id, role in members
    )
    await session.flush()


async def remove_member(session: AsyncSession, conversation_id: int, user_id: int) -> None:
    """End a membership."""
    await session.execute(
        delete(ConversationMember).where(
            ConversationMember.conversation_id == conversation_id,
            ConversationMember.user_id == user_id,
        )
    )


async def member_ids(
    session: AsyncSession, conversation_ids: Collection[int]
) -> dict[int, set[int]]:
    """The member user ids of each conversation."""
    found: dict[int, set[int]] = {conversation_id: set() for conversation_id in conversation_ids}
    if not conversation_ids:
        return found
    result = await session.execute(
        select(ConversationMember.conversation_id, ConversationMember.user_id).where(
            ConversationMember.conversation_id.in_(conversation_ids)
        )
    )
    for conversation_id, user_id in result:
        found[conversation_id].add(user_id)
    return found


async def memberships_with_users(
    session: AsyncSession, conversation_ids: Collection[int]
) -> list[tuple[ConversationMember, User]]:
    """Every membership of these conversations with its user, oldest member first."""
    if not conversation_ids:
        return []
    result = await session.execute(
        select(ConversationMember, User)
        .join(User, User.id == ConversationMember.user_id)
        .where(ConversationMember.conversation_id.in_(conversation_ids))
        .order_by(ConversationMember.joined_at, ConversationMember.user_id)
    )
    return list(result.all())


async def user_conversations(
    session: AsyncSession, user_id: int
) -> list[tuple[Conversation, ConversationMember]]:
    """The user's conversations with their membership, most recent activity first."""
    result = await session.execute(
        select(Conversation, ConversationMember)
        .join(ConversationMember, ConversationMember.conversation_id == Conversation.id)
        .where(ConversationMember.user_id == user_id)
        .order_by(Conversation.last_activity_at.desc(), Conversation.id.desc())
    )
    return list(result.all())


def _unread_condition(reader_id: int | InstrumentedAttribute[int]) -> ColumnElement[bool]:
    return and_(
        Message.seq > ConversationMember.last_read_seq,
        Message.sender_id != reader_id,
        Message.deleted_at.is_(None),
    )


async def unread_counts(
    session: AsyncSession, user_id: int, conversation_ids: Collection[int]
) -> dict[int, int]:
    """Per conversation, the messages of others after the user's read marker."""
    if not conversation_ids:
        return {}
    result = await session.execute(
        select(Message.conversation_id, func.count(Message.id))
        .join(
            ConversationMember,
            and_(
                ConversationMember.conversation_id == Message.conversation_id,
                ConversationMember.user_id == user_id,
            ),
        )
        .where(Message.conversation_id.in_(conversation_ids), _unread_condition(user_id))
        .group_by(Message.conversation_id)
    )
    return dict(result.all())


async def advance_read_marker(
    session: AsyncSession, conversation_id: int, user_id: int, seq: int
) -> bool:
    """Move a read marker forward to ``seq`` (never back); whether it moved."""
    result = await session.execute(
        update(ConversationMember)
        .where(
            ConversationMember.conversation_id == conversation_id,
            ConversationMember.user_id == user_id,
            ConversationMember.last_read_seq < seq,
        )
        .values(last_read_seq=seq)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))
