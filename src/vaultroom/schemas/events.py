"""Socket.IO payloads: one model per event, both directions (mirrored in web/src/lib/events.ts)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from vaultroom.schemas.conversations import ConversationState
from vaultroom.schemas.errors import ErrorDetail
from vaultroom.schemas.ids import ClientMsgId, RowIdField, SeqField
from vaultroom.schemas.messages import BODY_SCHEMA_MAX, MessageOut


class ClientEvent(BaseModel):
    """A payload from a client: unknown keys are refused, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


# Client -> server ---------------------------------------------------------


class SendMessageEvent(ClientEvent):
    """``message:send``."""

    conversation_id: RowIdField
    client_msg_id: ClientMsgId
    body: str = Field(max_length=BODY_SCHEMA_MAX)


class EditMessageEvent(ClientEvent):
    """``message:edit``."""

    message_id: RowIdField
    body: str = Field(max_length=BODY_SCHEMA_MAX)


class DeleteMessageEvent(ClientEvent):
    """``message:delete``."""

    message_id: RowIdField


class ReadEvent(ClientEvent):
    """``conversation:read``: move the read marker forward."""

    conversation_id: RowIdField
    seq: SeqField


class PresenceWatchEvent(ClientEvent):
    """``presence:watch``: receive ``presence`` only about these users from now on."""

    user_ids: list[RowIdField] = Field(max_length=100_000)


class TypingEvent(ClientEvent):
    """``typing``: the caller is typing in a conversation."""

    conversation_id: RowIdField


# Server -> client ---------------------------------------------------------


class MessageEvent(BaseModel):
    """``message:new`` and ``message:updated``."""

    message: MessageOut


class ConversationEvent(BaseModel):
    """``conversation:updated``: created, renamed, members or roles changed. The same
    payload for every member (no per-member ``last_read_seq``/``unread_count``: a
    change of members does not move anyone's marker; yours is in ``memberships``)."""

    conversation: ConversationState


class ConversationRemovedEvent(BaseModel):
    """``conversation:removed``: the receiver is no longer a member (left or removed)."""

    conversation_id: int


class ReadMarkerEvent(BaseModel):
    """``conversation:read``: a member's read marker moved. ``unread_count`` is only
    sent to the reader's own sockets (it is theirs)."""

    conversation_id: int
    user_id: int
    seq: int
    unread_count: int | None = None


class TypingNotice(BaseModel):
    """``typing``: someone is typing in a conversation the receiver is a member of."""

    conversation_id: int
    user_id: int


class PresenceEvent(BaseModel):
    """``presence``: a user came online or went offline."""

    user_id: int
    online: bool
    last_seen_at: datetime | None


class ResyncRequest(BaseModel):
    """``resync``: events meant for this socket may have been missed; fetch what changed."""


class SessionRevokedEvent(BaseModel):
    """``session:revoked``: this socket's session ended; it is disconnected next."""

    session_id: int


# Acks ----------------------------------------------------------------------


def ok_ack(**fields: Any) -> dict[str, Any]:
    """``{ok: true, ...}``."""
    return {"ok": True, **fields}


def error_ack(error: ErrorDetail) -> dict[str, Any]:
    """``{ok: false, error: {code, message, fields?}}``."""
    return {"ok": False, "error": error.model_dump(exclude_none=True)}
