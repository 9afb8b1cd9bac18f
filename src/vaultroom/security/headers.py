"""Security headers on every HTTP response: CSP, HSTS over TLS, and the anti-framing/sniffing set.

One pure ASGI middleware around the whole app (API, Socket.IO polling, the web app,
errors), so no response can miss them. A response that already carries a header
keeps its own (``/api/docs`` brings a CSP of its own).
"""

from __future__ import annotations

import re
from functools import lru_cache

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Two years, the HSTS preload list's minimum; only ever sent over HTTPS.
HSTS = "max-age=63072000; includeSubDomains"
# Powerful features the chat never uses, off for the page and anything it embeds.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "hid",
        "idle-detection",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
)
STATIC_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "permissions-policy": PERMISSIONS_POLICY,
    "cross-origin-opener-policy": "same-origin",
    "x-frame-options": "DENY",
}
# A Host header that is a plain host name or IP literal with an optional port: only
# that may go into the policy (anything else could smuggle in directives).
_SAFE_HOST = re.compile(r"(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")


@lru_cache(maxsize=256)
def content_security_policy(secure: bool, host: str | None) -> str:
    """The web app's policy: its own scripts, styles and sockets only, no inline code.

    ``connect-src 'self'`` does not cover WebSocket URLs in every browser, so the
    socket URL of the host the page was loaded from is named too (``wss:`` over
    HTTPS, ``ws:`` over plain HTTP).
    """
    connect = "'self'"
    if host and _SAFE_HOST.fullmatch(host):
        connect += f" {'wss' if secure else 'ws'}://{host.lower()}"
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            f"connect-src {connect}",
            "object-src 'none'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "form-action 'self'",
        ]
    )


def _host(scope: Scope) -> str | None:
    for key, value in scope["headers"]:
        if key == b"host":
            return str(value.decode("latin-1"))
    return None


class SecurityHeaders:
    """Adds the security headers to every ``http.response.start`` that lacks them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._static = [(name.encode(), value.encode()) for name, value in STATIC_HEADERS.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # The scheme is the connection's, or a trusted proxy's X-Forwarded-Proto.
        secure = scope.get("scheme") == "https"
        added = [*self._static]
        added.append(
            (b"content-security-policy", content_security_policy(secure, _host(scope)).encode())
        )
        if secure:
            added.append((b"strict-transport-security", HSTS.encode()))
        if scope["path"].startswith("/api/"):
            # API answers are per user and may hold secrets (tokens, a TOTP secret,
            # recovery codes): no cache, shared or private, keeps them.
            added.append((b"cache-control", b"no-store"))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend(item for item in added if item[0] not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
