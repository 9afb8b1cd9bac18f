"""``/api/conversations``: the list, direct and group conversations, members, history, read."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status

from vaultroom.api.deps import CallerDep, ClientDep, RowId, SeqQuery, ServicesDep
from vaultroom.schemas.conversations import (
    AddMemberIn,
    ConversationOut,
    ConversationsOut,
    DirectIn,
    GroupIn,
    ReadIn,
    ReadMarkerOut,
    RenameIn,
    RoleIn,
)
from vaultroom.schemas.errors import ErrorResponse
from vaultroom.schemas.ids import MAX_ID
from vaultroom.schemas.messages import MessageEnvelope, MessagesPage, SendMessageIn
from vaultroom.services.errors import InvalidInput

router = APIRouter(
    prefix="/conversations",
    tags=["conversations"],
    responses={
        401: {"model": ErrorResponse},
        413: {"model": ErrorResponse},  # a body over VAULTROOM_MAX_REQUEST_BYTES
        422: {"model": ErrorResponse},
        429: {"model": ErrorResponse},
    },
)
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorResponse}}
_MANAGE: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorResponse},
    404: {"model": ErrorResponse},
    409: {"model": ErrorResponse},
}


@router.get("")
async def list_conversations(caller: CallerDep, services: ServicesDep) -> ConversationsOut:
    """The caller's conversations, most recent activity first."""
    found = await services.conversations.list_for(caller.user.id)
    return ConversationsOut(conversations=found)


@router.post("/direct", responses={201: {"model": ConversationOut}, **_NOT_FOUND})
async def open_direct(
    body: DirectIn, caller: CallerDep, services: ServicesDep, response: Response
) -> ConversationOut:
    """The one direct conversation with a user: 201 when created, 200 afterwards (same id)."""
    conversation, created = await services.conversations.open_direct(caller.user.id, body.user_id)
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return conversation


@router.post("/group", status_code=status.HTTP_201_CREATED)
async def create_group(body: GroupIn, caller: CallerDep, services: ServicesDep) -> ConversationOut:
    """A new group with the caller as owner."""
    return await services.conversations.create_group(caller.user.id, body.title, body.member_ids)


@router.get("/{conversation_id}", responses=_NOT_FOUND)
async def get_conversation(
    conversation_id: RowId, caller: CallerDep, services: ServicesDep
) -> ConversationOut:
    """One conversation (members only)."""
    return await services.conversations.get(caller.user.id, conversation_id)


@router.patch("/{conversation_id}", responses=_MANAGE)
async def rename_conversation(
    conversation_id: RowId, body: RenameIn, caller: CallerDep, services: ServicesDep
) -> ConversationOut:
    """Rename a group (owner or admin)."""
    return await services.conversations.rename(caller.user.id, conversation_id, body.title)


@router.post("/{conversation_id}/members", responses=_MANAGE)
async def add_member(
    conversation_id: RowId, body: AddMemberIn, caller: CallerDep, services: ServicesDep
) -> ConversationOut:
    """Add a member to a group (owner or admin)."""
    return await services.conversations.add_member(caller.user.id, conversation_id, body.user_id)


@router.delete(
    "/{conversation_id}/members/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=_MANAGE,
)
async def remove_member(
    conversation_id: RowId, user_id: RowId, caller: CallerDep, services: ServicesDep
) -> None:
    """Remove a member (owner or admin), or leave (your own id)."""
    await services.conversations.remove_member(caller.user.id, conversation_id, user_id)


@router.patch("/{conversation_id}/members/{user_id}", responses=_MANAGE)
async def set_member_role(
    conversation_id: RowId,
    user_id: RowId,
    body: RoleIn,
    caller: CallerDep,
    services: ServicesDep,
    client: ClientDep,
) -> ConversationOut:
    """Make a member an admin, or a plain member again (the owner only)."""
    return await services.conversations.set_role(
        caller.user.id, conversation_id, user_id, body.role, client
    )


@router.get("/{conversation_id}/messages", responses=_NOT_FOUND)
async def list_messages(
    conversation_id: RowId,
    caller: CallerDep,
    services: ServicesDep,
    before_seq: SeqQuery = None,
    after_seq: SeqQuery = None,
    changed_after: Annotated[
        int | None,
        Query(
            ge=0,
            le=MAX_ID,
            description="Instead of a page by seq: the messages edited or deleted after "
            "this change_seq, in change order (see the conversation's last_change_seq)",
        ),
    ] = None,
    limit: Annotated[
        int,
        Query(
            ge=1,
            le=1000,
            description="Page size; above VAULTROOM_MESSAGES_PAGE_MAX (200) it is lowered to it",
        ),
    ] = 50,
) -> MessagesPage:
    """Messages ascending by seq: after ``after_seq``, else before ``before_seq``, else the
    latest page; ``has_more`` says whether more exist in the direction of the page.
    With ``changed_after``: the messages changed since then, in change order."""
    if changed_after is not None:
        if before_seq is not None or after_seq is not None:
            message = "changed_after cannot be combined with before_seq or after_seq."
            raise InvalidInput(message, fields={"changed_after": message})
        return await services.messages.changes(
            caller.user.id, conversation_id, changed_after=changed_after, limit=limit
        )
    return await services.messages.history(
        caller.user.id, conversation_id, before_seq=before_seq, after_seq=after_seq, limit=limit
    )


@router.post(
    "/{conversation_id}/messages",
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"model": MessageEnvelope},
        409: {"model": ErrorResponse},  # the client_msg_id was used in another conversation
        429: {"model": ErrorResponse},
        **_NOT_FOUND,
    },
)
async def send_message(
    conversation_id: RowId,
    body: SendMessageIn,
    caller: CallerDep,
    services: ServicesDep,
    response: Response,
) -> MessageEnvelope:
    """Send a message: 201 when stored, 200 with the stored one when ``client_msg_id`` repeats."""
    result = await services.messages.send(
        caller.user.id, conversation_id, body.client_msg_id, body.body
    )
    if not result.created:
        response.status_code = status.HTTP_200_OK
    return MessageEnvelope(message=result.message)


@router.post("/{conversation_id}/read", responses=_NOT_FOUND)
async def mark_read(
    conversation_id: RowId, body: ReadIn, caller: CallerDep, services: ServicesDep
) -> ReadMarkerOut:
    """Move the caller's read marker forward to ``seq`` (it never moves back)."""
    return await services.conversations.mark_read(caller.user.id, conversation_id, body.seq)
