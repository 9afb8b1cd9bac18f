"""Queries on messages."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from vaultroom.models import Conversation, Message


async def find_by_client_ids(
    session: AsyncSession, keys: Collection[tuple[int, str]]
) -> dict[tuple[int, str], Message]:
    """Stored messages by ``(sender_id, client_msg_id)``."""
    if not keys:
        return {}
    result = await session.execute(
        select(Message).where(tuple_(Message.sender_id, Message.client_msg_id).in_(list(keys)))
    )
    return {(message.sender_id, message.client_msg_id): message for message in result.scalars()}


async def lock_conversations(
    session: AsyncSession, conversation_ids: Collection[int]
) -> dict[int, int]:
    """The ``last_seq`` of each existing conversation, rows locked in id order.

    Locking in one order means two writers never deadlock; holding the lock until
    commit makes seqs follow commit order. ``FOR NO KEY UPDATE``: foreign-key checks
    (``KEY SHARE``) of other inserts are not blocked. (SQLite: the write
    transaction is already exclusive.)
    """
    if not conversation_ids:
        return {}
    result = await session.execute(
        select(Conversation.id, Conversation.last_seq)
        .where(Conversation.id.in_(conversation_ids))
        .order_by(Conversation.id)
        .with_for_update(key_share=True)
    )
    return dict(result.all())


async def set_last_seqs(session: AsyncSession, last_seqs: Mapping[int, int], now: datetime) -> None:
    """Record the newest seq (and activity time) of several conversations.

    One statement run for every conversation (an ORM bulk update by primary key,
    executemany), so it is compiled once whatever the batch holds.
    """
    if not last_seqs:
        return
    await session.execute(
        update(Conversation),
        [
            {"id": conversation_id, "last_seq": last_seq, "last_activity_at": now}
            for conversation_id, last_seq in last_seqs.items()
        ],
    )


async def insert_messages(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> list[Message]:
    """Insert many messages; the stored rows, in the given order.

    The rows come back matched by ``(conversation_id, seq)``, not by position:
    asking SQLAlchemy to keep the parameter order makes it insert one row per
    statement on SQLite, while this way a batch is one multi-row INSERT.
    """
    if not rows:
        return []
    result = await session.scalars(insert(Message).returning(Message), list(rows))
    stored = {(message.conversation_id, message.seq): message for message in result}
    return [stored[(row["conversation_id"], row["seq"])] for row in rows]


async def next_change_seq(session: AsyncSession, conversation_id: int) -> int:
    """Count one more edit or delete in the conversation; the new count."""
    result = await session.execute(
        update(Conversation)
        .where(Conversation.id == conversation_id)
        .values(last_change_seq=Conversation.last_change_seq + 1)
        .returning(Conversation.last_change_seq)
        .execution_options(synchronize_session=False)
    )
    return int(result.scalar_one())


async def changed_since(
    session: AsyncSession, conversation_id: int, change_seq: int, limit: int
) -> list[Message]:
    """Up to ``limit`` messages edited or deleted after ``change_seq``, in change order."""
    result = await session.scalars(
        select(Message)
        .where(Message.conversation_id == conversation_id, Message.change_seq > change_seq)
        .order_by(Message.change_seq)
        .limit(limit)
    )
    return list(result)


async def get_message(session: AsyncSession, message_id: int) -> Message | None:
    """A message by id."""
    return await session.get(Message, message_id)


async def messages_page(
    session: AsyncSession,
    conversation_id: int,
    *,
    before_seq: int | None,
    after_seq: int | None,
    limit: int,
) -> list[Message]:
    """Up to ``limit`` messages ascending by seq.

    With ``after_seq`` the page starts right after it; otherwise it ends right
    before ``before_seq`` (or at the newest message).
    """
    query = select(Message).where(Message.conversation_id == conversation_id)
    if before_seq is not None:
        query = query.where(Message.seq < before_seq)
    if after_seq is not None:
        query = query.where(Message.seq > after_seq).order_by(Message.seq).limit(limit)
        return list((await session.scalars(query)).all())
    rows = list((await session.scalars(query.order_by(Message.seq.desc()).limit(limit))).all())
    rows.reverse()
    return rows


async def messages_at(
    session: AsyncSession, positions: Collection[tuple[int, int]]
) -> dict[int, Message]:
    """Messages by ``(conversation_id, seq)``, keyed by conversation (the last messages)."""
    positions = [(cid, seq) for cid, seq in positions if seq > 0]
    if not positions:
        return {}
    result = await session.scalars(
        select(Message).where(tuple_(Message.conversation_id, Message.seq).in_(positions))
    )
    return {message.conversation_id: message for message in result}
