"""``/api/messages/{id}``: edit and delete one's own messages."""

from __future__ import annotations

from fastapi import APIRouter

from vaultroom.api.deps import CallerDep, RowId, ServicesDep
from vaultroom.schemas.errors import ErrorResponse
from vaultroom.schemas.messages import EditMessageIn, MessageEnvelope

router = APIRouter(
    prefix="/messages",
    tags=["messages"],
    responses={
        401: {"model": ErrorResponse},
        403: {"model": ErrorResponse},
        404: {"model": ErrorResponse},
        409: {"model": ErrorResponse},
        413: {"model": ErrorResponse},  # a body over VAULTROOM_MAX_REQUEST_BYTES
        422: {"model": ErrorResponse},
        429: {"model": ErrorResponse},
    },
)


@router.patch("/{message_id}")
async def edit_message(
    message_id: RowId, body: EditMessageIn, caller: CallerDep, services: ServicesDep
) -> MessageEnvelope:
    """Change the text of your own message (members are told: ``message:updated``)."""
    message = await services.messages.edit(caller.user.id, message_id, body.body)
    return MessageEnvelope(message=message)


@router.delete("/{message_id}")
async def delete_message(
    message_id: RowId, caller: CallerDep, services: ServicesDep
) -> MessageEnvelope:
    """Delete your own message: its text is erased, its seq stays (``deleted: true``)."""
    message = await services.messages.delete(caller.user.id, message_id)
    return MessageEnvelope(message=message)
