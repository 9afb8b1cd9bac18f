"""``/api/admin``: what administrators (users with the ``admin`` role) may read."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from vaultroom.api.auth import AuditCursor, AuditLimit
from vaultroom.api.deps import CallerDep, ServicesDep
from vaultroom.schemas.audit import AuditPage
from vaultroom.schemas.errors import ErrorResponse
from vaultroom.schemas.ids import MAX_ID

router = APIRouter(
    prefix="/admin",
    tags=["admin"],
    responses={
        401: {"model": ErrorResponse},
        403: {"model": ErrorResponse},
        422: {"model": ErrorResponse},
        429: {"model": ErrorResponse},
    },
)


@router.get("/audit")
async def audit_events(
    caller: CallerDep,
    services: ServicesDep,
    user_id: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="Only this user's events")
    ] = None,
    limit: AuditLimit = 50,
    cursor: AuditCursor = None,
) -> AuditPage:
    """Every user's security events, newest first (admins only)."""
    return await services.audit.all_events(caller, user_id=user_id, cursor=cursor, limit=limit)
