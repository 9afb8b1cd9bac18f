"""Unknown ``/api`` paths get a JSON 404, and known paths under another method a 405."""

from __future__ import annotations

from fastapi import FastAPI, Request, Response
from starlette.exceptions import HTTPException
from starlette.routing import BaseRoute, Match, Mount
from starlette.types import Scope

from vaultroom.services.errors import NotFound

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
FALLBACK_NAME = "unknown_api_route"


def _allowed_methods(routes: list[BaseRoute], scope: Scope) -> list[str]:
    """The methods some real route accepts at this path."""
    allowed = []
    for method in METHODS:
        probe = {**scope, "method": method}
        for route in routes:
            if isinstance(route, Mount) or getattr(route, "name", None) == FALLBACK_NAME:
                continue
            if route.matches(probe)[0] is Match.FULL:
                allowed.append(method)
                break
    return allowed


def install_api_fallback(api: FastAPI) -> None:
    """Add the catch-all after every API route (before the web app's mount)."""

    @api.api_route(
        "/api/{path:path}", methods=list(METHODS), include_in_schema=False, name=FALLBACK_NAME
    )
    async def unknown_api_route(path: str, request: Request) -> Response:
        allowed = _allowed_methods(api.router.routes, request.scope)
        if allowed and request.method == "OPTIONS":
            return Response(status_code=204, headers={"Allow": ", ".join(allowed)})
        if allowed:
            raise HTTPException(
                405,
                f"{request.method} is not allowed on /api/{path}.",
                headers={"Allow": ", ".join(allowed)},
            )
        raise NotFound(f"No API route {request.method} /api/{path}.")
