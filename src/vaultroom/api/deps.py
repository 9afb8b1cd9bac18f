"""Dependencies shared by routes: the services, the caller, where the request comes from."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query, Request, Response

from vaultroom.schemas.ids import MAX_ID
from vaultroom.security.cookies import session_cookie_name
from vaultroom.security.origins import cross_site_write
from vaultroom.security.tokens import MAX_TOKEN_LENGTH
from vaultroom.services.container import Services
from vaultroom.services.errors import Forbidden, Unauthorized
from vaultroom.services.sessions import AuthContext, ClientInfo, IssuedSession
from vaultroom.settings import Settings

RowId = Annotated[int, Path(ge=1, le=MAX_ID)]
SeqQuery = Annotated[int | None, Query(ge=0, le=MAX_ID)]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_services(request: Request) -> Services:
    """The node's services, created by the app's lifespan."""
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def client_info(request: Request) -> ClientInfo:
    """The caller's address and user agent."""
    return ClientInfo.of(
        request.client.host if request.client else None, request.headers.get("user-agent")
    )


ClientDep = Annotated[ClientInfo, Depends(client_info)]


def read_credentials(request: Request, settings: Settings) -> tuple[str | None, bool]:
    """The session token (Bearer header first, then cookie) and whether it came by cookie."""
    authorization = request.headers.get("authorization")
    if authorization is not None:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("Send the token as 'Authorization: Bearer <token>'.")
        return token.strip(), False
    secure = request.url.scheme == "https"
    cookie = request.cookies.get(session_cookie_name(settings, secure=secure))
    return cookie, cookie is not None


async def current_caller(request: Request, services: ServicesDep) -> AuthContext:
    """The authenticated caller, or 401; a cookie-authenticated write must be same-origin;
    429 when the caller made too many requests (``VAULTROOM_REST_RATE_LIMIT``)."""
    token, via_cookie = read_credentials(request, services.settings)
    if not token:
        raise Unauthorized("Sign in to continue.")
    if len(token) > MAX_TOKEN_LENGTH:
        raise Unauthorized("Your session has expired or was revoked; sign in again.")
    if (
        via_cookie
        and request.method not in SAFE_METHODS
        and cross_site_write(
            {key.lower(): value for key, value in request.headers.items()},
            scheme=request.url.scheme,
            allowed=services.settings.allowed_origins,
            require_origin=True,
        )
    ):
        raise Forbidden("Cross-site request refused.", code="cross_site_request")
    caller = await services.sessions.authenticate(token, client_info(request))
    await services.throttles.request(caller.user.id)
    return caller


CallerDep = Annotated[AuthContext, Depends(current_caller)]


def set_session_cookie(
    response: Response, request: Request, settings: Settings, issued: IssuedSession
) -> None:
    """Give the browser its session in an HttpOnly, SameSite=Lax cookie."""
    secure = request.url.scheme == "https"
    response.set_cookie(
        session_cookie_name(settings, secure=secure),
        issued.token,
        max_age=int(settings.session_absolute_lifetime.total_seconds()),
        path="/",
        secure=secure,
        httponly=True,
        samesite="lax",
    )


def clear_session_cookie(response: Response, request: Request, settings: Settings) -> None:
    """Remove the session cookie from the browser."""
    secure = request.url.scheme == "https"
    response.delete_cookie(
        session_cookie_name(settings, secure=secure),
        path="/",
        secure=secure,
        httponly=True,
        samesite="lax",
    )
