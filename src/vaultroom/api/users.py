"""``/api/users``: the user directory."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from vaultroom.api.deps import CallerDep, RowId, ServicesDep
from vaultroom.schemas.errors import ErrorResponse
from vaultroom.schemas.text import NO_CONTROL_CHARACTERS
from vaultroom.schemas.users import UserOut, UsersPage

router = APIRouter(
    prefix="/users",
    tags=["users"],
    responses={
        401: {"model": ErrorResponse},
        422: {"model": ErrorResponse},
        429: {"model": ErrorResponse},
    },
)


@router.get("")
async def list_users(
    caller: CallerDep,
    services: ServicesDep,
    q: Annotated[
        str | None,
        Query(max_length=32, pattern=NO_CONTROL_CHARACTERS, description="Username prefix"),
    ] = None,
    limit: Annotated[
        int,
        Query(
            ge=1,
            le=1000,
            description="Page size; above VAULTROOM_USERS_PAGE_MAX (100) it is lowered to it",
        ),
    ] = 50,
    cursor: Annotated[
        str | None,
        Query(
            max_length=256,
            pattern=NO_CONTROL_CHARACTERS,
            description="The previous page's next_cursor",
        ),
    ] = None,
) -> UsersPage:
    """Every user except the caller, by username; ``q`` filters by username prefix."""
    return await services.users.list_users(caller.user.id, prefix=q, cursor=cursor, limit=limit)


@router.get("/{user_id}", responses={404: {"model": ErrorResponse}})
async def get_user(user_id: RowId, _caller: CallerDep, services: ServicesDep) -> UserOut:
    """One user."""
    return await services.users.get_user(user_id)
