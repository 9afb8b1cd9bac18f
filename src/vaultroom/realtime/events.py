"""Socket.IO events from clients: validated into pydantic models, one service call, an ack.

Every handler answers ``{ok: true, ...}`` or ``{ok: false, error: {code, message}}``;
a bad payload never crashes the socket or goes unanswered. Authorization (membership)
is checked by the service on every event, not once at connect time.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import socketio
from pydantic import BaseModel, ValidationError

from vaultroom.db import database_unavailable
from vaultroom.fanout.rooms import PRESENCE_ROOM_PREFIX, presence_room
from vaultroom.schemas.errors import ErrorDetail, error_fields
from vaultroom.schemas.events import (
    DeleteMessageEvent,
    EditMessageEvent,
    PresenceWatchEvent,
    ReadEvent,
    SendMessageEvent,
    TypingEvent,
    error_ack,
    ok_ack,
)
from vaultroom.services.container import Services
from vaultroom.services.errors import ServiceError

logger = logging.getLogger(__name__)

Ack = dict[str, Any]
PayloadT = TypeVar("PayloadT", bound=BaseModel)


@dataclass(frozen=True)
class SocketCaller:
    """Who sent an event: the user and session authenticated at connect, and the socket."""

    user_id: int
    session_id: int
    sid: str


Handler = Callable[[Services, SocketCaller, PayloadT], Awaitable[Ack]]


def _invalid(message: str, fields: dict[str, str] | None = None) -> Ack:
    return error_ack(ErrorDetail(code="invalid_input", message=message, fields=fields))


def _with_retry_after(ack: Ack, seconds: int | None) -> Ack:
    # What REST says in Retry-After, an ack says in error.retry_after (seconds).
    if seconds:
        ack["error"]["retry_after"] = seconds
    return ack


def register_event_handlers(
    sio: socketio.AsyncServer,
    get_services: Callable[[], Services],
    callers: dict[str, SocketCaller],
) -> None:
    """Attach every client event of the contract to ``sio``."""

    def on(
        event: str, model: type[PayloadT], handler: Handler[PayloadT], *, limited: bool = True
    ) -> None:
        # ``limited``: counted against VAULTROOM_SOCKET_EVENT_RATE_LIMIT (sends have their own).
        async def handle(sid: str, *args: Any) -> Ack:
            caller = callers.get(sid)
            if caller is None:
                return error_ack(ErrorDetail(code="unauthorized", message="Sign in first."))
            services = get_services()
            try:
                if limited:
                    await services.throttles.socket_event(caller.user_id)
                if len(args) != 1 or not isinstance(args[0], dict):
                    return _invalid(f"'{event}' takes one object as its payload.")
                try:
                    payload = model.model_validate(args[0])
                except ValidationError as exc:
                    fields = error_fields(exc.errors())
                    summary = "; ".join(f"{name}: {message}" for name, message in fields.items())
                    return _invalid(f"Invalid input ({summary}).", fields)
                return await handler(services, caller, payload)
            except ServiceError as exc:
                ack = error_ack(ErrorDetail(code=exc.code, message=exc.message, fields=exc.fields))
                return _with_retry_after(ack, getattr(exc, "retry_after", None))
            except Exception as exc:
                if database_unavailable(exc):
                    logger.warning("database unavailable: %s", type(exc).__name__)
                    message = "The service is unavailable for a moment; try again."
                    ack = error_ack(ErrorDetail(code="unavailable", message=message))
                    return _with_retry_after(ack, 1)
                logger.exception("socket event %s failed", event)
                message = "Something went wrong on the server."
                return error_ack(ErrorDetail(code="internal_error", message=message))

        sio.on(event, handle)

    async def unknown_event(event: str, _sid: str, *_args: Any) -> Ack:
        return error_ack(
            ErrorDetail(code="unknown_event", message=f"No such event: {event[:64]!r}.")
        )

    on("message:send", SendMessageEvent, _send_message, limited=False)
    on("message:edit", EditMessageEvent, _edit_message)
    on("message:delete", DeleteMessageEvent, _delete_message)
    on("conversation:read", ReadEvent, _mark_read)
    on("typing", TypingEvent, _typing)

    async def watch_presence(
        services: Services, caller: SocketCaller, event: PresenceWatchEvent
    ) -> Ack:
        # Rooms per watched user: a change reaches its watchers only, so a client
        # showing a few people does not pay for every user of the deployment.
        wanted = set(event.user_ids)
        limit = services.settings.presence_watch_max
        if len(wanted) > limit:
            message = f"Watch at most {limit} users at once."
            return _invalid(message, {"user_ids": message})
        target = {presence_room(user_id) for user_id in wanted}
        current = {room for room in sio.rooms(caller.sid) if room.startswith(PRESENCE_ROOM_PREFIX)}
        for room in current - target:  # the "everyone" room included
            await sio.leave_room(caller.sid, room)
        for room in target - current:
            await sio.enter_room(caller.sid, room)
        states = await services.users.presence_of(wanted)
        return ok_ack(presence=[state.model_dump(mode="json") for state in states])

    on("presence:watch", PresenceWatchEvent, watch_presence)
    sio.on("*", unknown_event)


async def _send_message(services: Services, caller: SocketCaller, event: SendMessageEvent) -> Ack:
    # The sending socket gets the message in this ack instead of ``message:new``.
    result = await services.messages.send(
        caller.user_id, event.conversation_id, event.client_msg_id, event.body, skip_sid=caller.sid
    )
    return ok_ack(message=result.message_json)


async def _edit_message(services: Services, caller: SocketCaller, event: EditMessageEvent) -> Ack:
    message = await services.messages.edit(caller.user_id, event.message_id, event.body)
    return ok_ack(message=message.model_dump(mode="json"))


async def _delete_message(
    services: Services, caller: SocketCaller, event: DeleteMessageEvent
) -> Ack:
    message = await services.messages.delete(caller.user_id, event.message_id)
    return ok_ack(message=message.model_dump(mode="json"))


async def _mark_read(services: Services, caller: SocketCaller, event: ReadEvent) -> Ack:
    marker = await services.conversations.mark_read(
        caller.user_id, event.conversation_id, event.seq
    )
    return ok_ack(last_read_seq=marker.last_read_seq, unread_count=marker.unread_count)


async def _typing(services: Services, caller: SocketCaller, event: TypingEvent) -> Ack:
    relayed = await services.typing.typing(caller.user_id, event.conversation_id)
    return ok_ack(relayed=relayed)
