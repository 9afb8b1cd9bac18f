"""Names of the Socket.IO rooms events are addressed to."""

from __future__ import annotations


def user_room(user_id: int) -> str:
    """The room every socket of a user joins."""
    return f"user:{user_id}"


SESSION_ROOM_PREFIX = "session:"

# Every authenticated socket (broadcasts such as presence go here, never to
# sockets still in their handshake).
SIGNED_IN_ROOM = "signed-in"


def session_room(session_id: int) -> str:
    """The room of every socket opened with one session (to disconnect it on revocation)."""
    return f"{SESSION_ROOM_PREFIX}{session_id}"
