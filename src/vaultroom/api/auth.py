"""``/api/auth``: register, sign in and out, the caller, sessions, password."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.responses import JSONResponse

from vaultroom.api.deps import (
    CallerDep,
    ClientDep,
    RowId,
    ServicesDep,
    clear_session_cookie,
    set_session_cookie,
)
from vaultroom.schemas.audit import AuditPage
from vaultroom.schemas.auth import (
    LoginIn,
    PasswordChangeIn,
    RegisterIn,
    SessionsOut,
    SignedInOut,
)
from vaultroom.schemas.errors import ErrorResponse
from vaultroom.schemas.text import NO_CONTROL_CHARACTERS
from vaultroom.schemas.two_factor import LoginSecondStepIn, TwoFactorChallengeOut
from vaultroom.schemas.users import MeOut
from vaultroom.services.container import Services
from vaultroom.services.sessions import IssuedSession

router = APIRouter(
    prefix="/auth",
    tags=["auth"],
    responses={
        413: {"model": ErrorResponse},  # a body over VAULTROOM_MAX_REQUEST_BYTES
        422: {"model": ErrorResponse},
        429: {"model": ErrorResponse},
    },
)
_UNAUTHORIZED: dict[int | str, dict[str, Any]] = {401: {"model": ErrorResponse}}

AuditLimit = Annotated[
    int,
    Query(
        ge=1, le=1000, description="Page size; above VAULTROOM_USERS_PAGE_MAX (100) it is lowered"
    ),
]
AuditCursor = Annotated[
    str | None,
    Query(max_length=32, pattern=NO_CONTROL_CHARACTERS, description="The previous next_cursor"),
]


def _signed_in(
    services: Services, issued: IssuedSession, request: Request, response: Response
) -> SignedInOut:
    set_session_cookie(response, request, services.settings, issued)
    return SignedInOut(
        user=services.users.private(issued.user), token=issued.token, expires_at=issued.expires_at
    )


@router.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    responses={409: {"model": ErrorResponse}},
)
async def register(
    data: RegisterIn,
    services: ServicesDep,
    client: ClientDep,
    request: Request,
    response: Response,
) -> SignedInOut:
    """Create an account and sign it in (the token is also set as a cookie)."""
    issued = await services.accounts.register(data, client)
    return _signed_in(services, issued, request, response)


@router.post(
    "/login",
    response_model=SignedInOut,
    responses={
        **_UNAUTHORIZED,
        202: {
            "model": TwoFactorChallengeOut,
            "description": "The password is right and the account has two-factor sign-in: "
            "finish with POST /api/auth/login/2fa.",
        },
    },
)
async def login(
    data: LoginIn,
    services: ServicesDep,
    client: ClientDep,
    request: Request,
    response: Response,
) -> SignedInOut | JSONResponse:
    """Sign in with a username or email and a password."""
    outcome = await services.accounts.login(data, client)
    if isinstance(outcome, TwoFactorChallengeOut):
        return JSONResponse(outcome.model_dump(mode="json"), status_code=status.HTTP_202_ACCEPTED)
    return _signed_in(services, outcome, request, response)


@router.post("/login/2fa", responses=_UNAUTHORIZED)
async def login_second_step(
    data: LoginSecondStepIn,
    services: ServicesDep,
    client: ClientDep,
    request: Request,
    response: Response,
) -> SignedInOut:
    """Finish a sign-in that answered 202: the challenge and a code from the
    authenticator app, or a recovery code."""
    issued = await services.two_factor.complete_login(data, client)
    return _signed_in(services, issued, request, response)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, responses=_UNAUTHORIZED)
async def logout(
    caller: CallerDep, services: ServicesDep, client: ClientDep, request: Request
) -> Response:
    """Revoke the session used for this request."""
    await services.sessions.logout(caller, client)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    clear_session_cookie(response, request, services.settings)
    return response


@router.get("/me", responses=_UNAUTHORIZED)
async def me(caller: CallerDep, services: ServicesDep) -> MeOut:
    """The caller, with their email."""
    return services.users.private(caller.user)


@router.get("/sessions", responses=_UNAUTHORIZED)
async def list_sessions(caller: CallerDep, services: ServicesDep) -> SessionsOut:
    """The caller's active sessions."""
    return SessionsOut(sessions=await services.sessions.list_sessions(caller))


@router.delete(
    "/sessions/{session_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**_UNAUTHORIZED, 404: {"model": ErrorResponse}},
)
async def revoke_session(
    session_id: RowId, caller: CallerDep, services: ServicesDep, client: ClientDep
) -> Response:
    """Revoke one of the caller's sessions."""
    await services.sessions.revoke(caller, session_id, client)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/password", status_code=status.HTTP_204_NO_CONTENT, responses=_UNAUTHORIZED)
async def change_password(
    data: PasswordChangeIn, caller: CallerDep, services: ServicesDep, client: ClientDep
) -> Response:
    """Change the caller's password; every other session is revoked."""
    await services.accounts.change_password(caller, data, client)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/audit", responses=_UNAUTHORIZED)
async def own_audit_events(
    caller: CallerDep,
    services: ServicesDep,
    limit: AuditLimit = 50,
    cursor: AuditCursor = None,
) -> AuditPage:
    """The caller's security events (sign-ins, password changes...), newest first."""
    return await services.audit.own_events(caller, cursor=cursor, limit=limit)
