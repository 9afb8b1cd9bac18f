"""The Socket.IO server: authenticated handshakes, personal rooms, presence.

python-socketio is untyped; only ``realtime/`` and ``fanout/`` touch it, behind typed functions.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from http.cookies import CookieError, SimpleCookie
from typing import Any

import socketio

from vaultroom.db import database_unavailable
from vaultroom.fanout.rooms import PRESENCE_ALL_ROOM, SIGNED_IN_ROOM, session_room, user_room
from vaultroom.realtime.events import SocketCaller, register_event_handlers
from vaultroom.realtime.manager import DirectSendManager
from vaultroom.realtime.packets import TextPacket
from vaultroom.realtime.transport import use_lean_websockets
from vaultroom.security.cookies import session_cookie_name
from vaultroom.security.origins import origin_allowed
from vaultroom.security.tokens import MAX_TOKEN_LENGTH
from vaultroom.services.container import Services
from vaultroom.services.errors import Unauthorized
from vaultroom.services.sessions import AuthContext, ClientInfo
from vaultroom.settings import Settings

logger = logging.getLogger(__name__)

# How long a handshake waits for this node's registration in the cluster's presence
# map (a bound: past it the socket connects anyway, and events may need a resync).
REGISTRATION_WAIT_SECONDS = 5.0


def _refusal(code: str, message: str) -> socketio.exceptions.ConnectionRefusedError:
    # python-socketio sends ``{"message": message, "data": {...}}`` as the
    # ``connect_error`` payload (the built-in ConnectionRefusedError would be
    # reduced to a fixed "Connection refused by server").
    return socketio.exceptions.ConnectionRefusedError(message, {"code": code, "message": message})


# What the connect handler reads of a handshake's environ (``asgi.scope``: its
# scheme and client address); a WebSocket's environ keeps only these for its life.
HANDSHAKE_ENVIRON_KEYS = frozenset(
    {"asgi.scope", "HTTP_COOKIE", "HTTP_ORIGIN", "HTTP_HOST", "HTTP_USER_AGENT"}
)


def handshake_scheme(environ: dict[str, Any]) -> str:
    """The scheme the socket was reached by, as uvicorn established it.

    Not engine.io's ``wsgi.url_scheme``: that one believes any client's
    ``X-Forwarded-Proto``, while uvicorn trusts it only from the configured proxies.
    """
    scope = environ.get("asgi.scope") or {}
    return str(scope.get("scheme", "http"))


def handshake_credentials(
    environ: dict[str, Any], auth: object, settings: Settings
) -> tuple[str | None, bool]:
    """The token from ``auth: {token}`` or else the session cookie; whether it was the cookie."""
    if isinstance(auth, dict) and isinstance(auth.get("token"), str):
        return auth["token"], False
    try:
        cookies = SimpleCookie(environ.get("HTTP_COOKIE", ""))
    except CookieError:
        return None, False
    secure = handshake_scheme(environ) in {"https", "wss"}
    morsel = cookies.get(session_cookie_name(settings, secure=secure))
    return (morsel.value, True) if morsel is not None else (None, False)


def _still_open(sio: socketio.AsyncServer, sid: str) -> bool:
    """Whether the engine.io connection under a Socket.IO socket is still open."""
    eio_sid = sio.manager.eio_sid_from_sid(sid, "/")
    socket = sio.eio.sockets.get(eio_sid) if eio_sid is not None else None
    return socket is not None and not socket.closed


async def _authenticate_handshake(
    services: Services, settings: Settings, environ: dict[str, Any], auth: object
) -> AuthContext:
    """The caller of a handshake, or a refusal saying why (in the contract's shape)."""
    token, via_cookie = handshake_credentials(environ, auth, settings)
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise _refusal("unauthorized", "Sign in first: send auth {token} or the session cookie.")
    if via_cookie and not environ.get("HTTP_ORIGIN"):
        raise _refusal("origin_required", "A cookie handshake must carry an Origin header.")
    peer = (environ.get("asgi.scope") or {}).get("client") or (None,)
    client = ClientInfo.of(peer[0], environ.get("HTTP_USER_AGENT"))
    try:
        return await services.sessions.authenticate(token, client)
    except Unauthorized as exc:
        raise _refusal(exc.code, exc.message) from None
    except Exception as exc:
        if not database_unavailable(exc):
            logger.exception("socket handshake failed")
        raise _refusal("unavailable", "The service is unavailable; try again.") from None


def create_socket_server(
    settings: Settings, get_services: Callable[[], Services]
) -> socketio.AsyncServer:
    """A Socket.IO server whose handshake requires a live session."""

    def allowed_origin(origin: str | None, environ: dict[str, Any]) -> bool:
        if origin is None:
            return True  # non-browser clients; cookie handshakes are checked below
        return origin_allowed(
            origin,
            host=environ.get("HTTP_HOST"),
            scheme=handshake_scheme(environ),
            allowed=settings.allowed_origins,
        )

    sio = socketio.AsyncServer(
        async_mode="asgi",
        cors_allowed_origins=allowed_origin,
        max_http_buffer_size=settings.max_socket_message_bytes,
        logger=False,
        engineio_logger=False,
        serializer=TextPacket,
        client_manager=DirectSendManager(),
    )
    use_lean_websockets(sio.eio, environ_keys=HANDSHAKE_ENVIRON_KEYS)

    async def connect(sid: str, environ: dict[str, Any], auth: object = None) -> None:
        services = get_services()
        caller = await _authenticate_handshake(services, settings, environ, auth)
        if not _still_open(sio, sid):
            # The client left while it was being authenticated: python-socketio
            # will not report that disconnect, so the socket must not be counted.
            raise _refusal("gone", "The connection closed during the handshake.")
        # Entering a room does not wait on anything, so a disconnect cannot slip in
        # between counting the socket and the check below.
        callers[sid] = SocketCaller(caller.user.id, caller.session_id, sid)
        for room in (
            user_room(caller.user.id),
            session_room(caller.session_id),
            SIGNED_IN_ROOM,
            PRESENCE_ALL_ROOM,  # until the client watches only some users
        ):
            await sio.enter_room(sid, room)
        services.presence.socket_opened(caller.user.id)
        # In a cluster, events reach the nodes registered as holding the user: once
        # this node is, a resync the client starts after connecting misses nothing.
        await services.presence.registered(caller.user.id, REGISTRATION_WAIT_SECONDS)
        if not _still_open(sio, sid):
            # Nothing suspends after this check until python-socketio marks the socket
            # connected; a client gone before it is uncounted here (no disconnect comes).
            if callers.pop(sid, None) is not None:
                services.presence.socket_closed(caller.user.id)
            raise _refusal("gone", "The connection closed during the handshake.")

    async def disconnect(sid: str, _reason: object = None) -> None:
        caller = callers.pop(sid, None)
        if caller is not None:
            get_services().presence.socket_closed(caller.user_id)

    callers: dict[str, SocketCaller] = {}  # the authenticated sockets of this node
    sio.on("connect", connect)
    sio.on("disconnect", disconnect)
    register_event_handlers(sio, get_services, callers)
    return sio
