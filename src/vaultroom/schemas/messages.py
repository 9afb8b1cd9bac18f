"""Messages as clients see them, and the bodies that create or change them."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from vaultroom.models import Message
from vaultroom.schemas.ids import ClientMsgId

# Bodies longer than this are refused by the schema before the configured
# limit (VAULTROOM_MAX_MESSAGE_CHARS) is even checked.
BODY_SCHEMA_MAX = 16000


class MessageOut(BaseModel):
    """A stored message; a deleted one keeps its seq with an empty body."""

    id: int
    conversation_id: int
    seq: int
    sender_id: int
    client_msg_id: str
    body: str
    created_at: datetime
    edited_at: datetime | None
    deleted: bool
    # 0 until edited or deleted; then the conversation's change counter at that moment
    # (a copy with a higher change_seq is newer).
    change_seq: int

    @classmethod
    def of(cls, message: Message) -> MessageOut:
        """The public form of a row."""
        deleted = message.deleted_at is not None
        return cls(
            id=message.id,
            conversation_id=message.conversation_id,
            seq=message.seq,
            sender_id=message.sender_id,
            client_msg_id=message.client_msg_id,
            body="" if deleted else message.body,
            created_at=message.created_at,
            edited_at=message.edited_at,
            deleted=deleted,
            change_seq=message.change_seq,
        )


class MessageEnvelope(BaseModel):
    """``{message}``: a send's or an edit's result, and the ``message:*`` events."""

    message: MessageOut


class MessagesPage(BaseModel):
    """Messages ascending by seq; ``has_more`` says whether the page was cut short."""

    messages: list[MessageOut]
    has_more: bool


class SendMessageIn(BaseModel):
    """A new message; resending the same ``client_msg_id`` returns the stored one."""

    client_msg_id: ClientMsgId
    body: str = Field(max_length=BODY_SCHEMA_MAX)


class EditMessageIn(BaseModel):
    """The new text of one's own message."""

    body: str = Field(max_length=BODY_SCHEMA_MAX)
