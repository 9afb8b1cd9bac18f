"""Messages: send (through the writer), edit, delete, history pages."""

from __future__ import annotations

import redis.asyncio as redis
from sqlalchemy.ext.asyncio import AsyncSession

from vaultroom.db import Database
from vaultroom.fanout import Delivery, Fanout
from vaultroom.models import Message
from vaultroom.models.base import utcnow
from vaultroom.schemas.events import MessageEvent
from vaultroom.schemas.messages import MessageOut, MessagesPage
from vaultroom.schemas.text import clean_message_body
from vaultroom.services.conversations import require_member
from vaultroom.services.errors import Conflict, Forbidden, InvalidInput, NotFound, RateLimited
from vaultroom.services.message_writer import (
    MessageWriter,
    SendRequest,
    SendResult,
    retry_result,
)
from vaultroom.services.rate_limits import RateLimit
from vaultroom.settings import Settings
from vaultroom.store import conversations as conversations_store
from vaultroom.store import messages as messages_store

NO_SUCH_MESSAGE = "No such message."


class MessageService:
    """Use cases on messages; every one checks membership first."""

    def __init__(
        self,
        db: Database,
        writer: MessageWriter,
        fanout: Fanout,
        settings: Settings,
        shared: redis.Redis | None = None,
    ) -> None:
        self._db = db
        self._writer = writer
        self._fanout = fanout
        self._settings = settings
        self._send_limit = RateLimit(
            settings.send_rate_limit, "messages", shared, prefix=settings.redis_prefix
        )

    def _clean_body(self, body: str) -> str:
        try:
            return clean_message_body(body, self._settings.max_message_chars)
        except ValueError as exc:
            raise InvalidInput(str(exc), fields={"body": str(exc)}) from None

    async def send(
        self,
        user_id: int,
        conversation_id: int,
        client_msg_id: str,
        body: str,
        *,
        skip_sid: str | None = None,
    ) -> SendResult:
        """Store a message (a retried ``client_msg_id`` returns the stored one)."""
        request = SendRequest(
            sender_id=user_id,
            conversation_id=conversation_id,
            client_msg_id=client_msg_id,
            body=self._clean_body(body),
            skip_sid=skip_sid,
        )
        try:
            await self._send_limit.hit(str(user_id))
        except RateLimited:
            # A retry still gets its message, never a 429: stored or being written.
            if self._writer.is_in_flight(request.key):
                return await self._writer.send(request)
            async with self._db.snapshot() as session:
                stored = await messages_store.find_by_client_ids(session, [request.key])
            if request.key not in stored:
                raise
            return retry_result(request, MessageOut.of(stored[request.key]))
        return await self._writer.send(request)

    async def edit(self, user_id: int, message_id: int, body: str) -> MessageOut:
        """Change the text of one's own message."""
        body = self._clean_body(body)
        await self._send_limit.hit(str(user_id))
        async with self._db.transaction() as session:
            message = await self._own_message(session, user_id, message_id)
            if message.deleted_at is not None:
                raise Conflict("This message was deleted.", code="message_deleted")
            if message.body == body:
                return MessageOut.of(message)
            message.body = body
            message.edited_at = utcnow()
            update = await self._update_of(session, message)
        await self._fanout.publish([update])
        return MessageOut.of(message)

    async def delete(self, user_id: int, message_id: int) -> MessageOut:
        """Delete one's own message: its text is erased, its place (seq) stays."""
        await self._send_limit.hit(str(user_id))
        async with self._db.transaction() as session:
            message = await self._own_message(session, user_id, message_id)
            if message.deleted_at is not None:
                return MessageOut.of(message)
            message.body = ""
            message.deleted_at = utcnow()
            update = await self._update_of(session, message)
        await self._fanout.publish([update])
        return MessageOut.of(message)

    async def history(
        self,
        user_id: int,
        conversation_id: int,
        *,
        before_seq: int | None,
        after_seq: int | None,
        limit: int,
    ) -> MessagesPage:
        """A page ascending by seq: after ``after_seq``, else before ``before_seq``,
        else the latest; ``has_more`` says more exist beyond the page in that direction."""
        limit = max(1, min(limit, self._settings.messages_page_max))
        async with self._db.snapshot() as session:
            await require_member(session, conversation_id, user_id)
            rows = await messages_store.messages_page(
                session,
                conversation_id,
                before_seq=before_seq,
                after_seq=after_seq,
                limit=limit + 1,
            )
        has_more = len(rows) > limit
        if has_more:
            rows = rows[:limit] if after_seq is not None else rows[1:]
        return MessagesPage(messages=[MessageOut.of(row) for row in rows], has_more=has_more)

    async def changes(
        self, user_id: int, conversation_id: int, *, changed_after: int, limit: int
    ) -> MessagesPage:
        """Messages edited or deleted after ``changed_after``, in the order of the changes."""
        limit = max(1, min(limit, self._settings.messages_page_max))
        async with self._db.snapshot() as session:
            await require_member(session, conversation_id, user_id)
            rows = await messages_store.changed_since(
                session, conversation_id, changed_after, limit + 1
            )
        return MessagesPage(
            messages=[MessageOut.of(row) for row in rows[:limit]], has_more=len(rows) > limit
        )

    async def _own_message(self, session: AsyncSession, user_id: int, message_id: int) -> Message:
        message = await messages_store.get_message(session, message_id)
        if message is None:
            raise NotFound(NO_SUCH_MESSAGE)
        try:
            await require_member(session, message.conversation_id, user_id, lock=True)
        except NotFound:
            raise NotFound(NO_SUCH_MESSAGE) from None
        # Read it again now that the conversation is locked: an edit or delete that
        # committed while this one waited must be seen (READ COMMITTED), or an edit
        # could bring a deleted message back.
        await session.refresh(message)
        if message.sender_id != user_id:
            raise Forbidden("You can only change your own messages.")
        return message

    async def _update_of(self, session: AsyncSession, message: Message) -> Delivery:
        """Number the change; ``message:updated`` for every member (published after
        the commit: the change_seq tells clients which copy is newest)."""
        message.change_seq = await messages_store.next_change_seq(session, message.conversation_id)
        await session.flush()
        members = await conversations_store.member_ids(session, [message.conversation_id])
        event = MessageEvent(message=MessageOut.of(message))
        return Delivery("message:updated", event, members[message.conversation_id])
