"""ASGI middleware for ``/api``: request size limit and cross-site write refusal."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vaultroom.api.errors import error_response
from vaultroom.security.origins import cross_site_write

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _headers(scope: Scope) -> dict[str, str]:
    return {key.decode("latin-1"): value.decode("latin-1") for key, value in scope["headers"]}


def _too_large_message(max_bytes: int) -> str:
    return f"The request body is larger than {max_bytes} bytes."


class RequestSizeLimit:
    """Refuse request bodies over ``max_bytes`` with 413, whether or not they declare a length."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Only this one header is needed on every request; don't decode them all.
        declared = next(
            (
                value.decode("latin-1")
                for key, value in scope["headers"]
                if key == b"content-length"
            ),
            "",
        )
        if declared.isdigit() and int(declared) > self.max_bytes:
            response = error_response(413, "payload_too_large", _too_large_message(self.max_bytes))
            await response(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # Raised inside the route's body read; FastAPI lets an
                    # HTTPException through and the app's handler answers 413
                    # in the contract's shape.
                    raise HTTPException(413, _too_large_message(self.max_bytes))
            return message

        await self.app(scope, limited_receive, send)


class CrossSiteWriteGuard:
    """Refuse ``/api`` writes whose ``Origin``/``Sec-Fetch-Site`` names another site.

    This covers sign-in and registration too (login CSRF); routes that
    authenticate by cookie additionally require an ``Origin`` (see ``api.deps``).
    """

    def __init__(self, app: ASGIApp, allowed_origins: list[str]) -> None:
        self.app = app
        self.allowed_origins = allowed_origins

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] in UNSAFE_METHODS
            and scope["path"].startswith("/api/")
            and cross_site_write(
                _headers(scope),
                scheme=scope.get("scheme", "http"),
                allowed=self.allowed_origins,
                require_origin=False,
            )
        ):
            response = error_response(403, "cross_site_request", "Cross-site request refused.")
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
