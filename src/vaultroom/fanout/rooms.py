"""Names of the Socket.IO rooms events are addressed to."""

from __future__ import annotations


def user_room(user_id: int) -> str:
    """The room every socket of a user joins."""
    return f"user:{user_id}"


SESSION_ROOM_PREFIX = "session:"

PRESENCE_ROOM_PREFIX = "presence:"
# Sockets that receive every user's presence: each one, until it sends
# ``presence:watch`` to receive only the users it shows.
PRESENCE_ALL_ROOM = f"{PRESENCE_ROOM_PREFIX}all"


def presence_room(user_id: int) -> str:
    """The room of the sockets watching one user's presence."""
    return f"{PRESENCE_ROOM_PREFIX}{user_id}"


def presence_rooms(user_id: int) -> list[str]:
    """Where a change of the user's presence goes: watchers of everyone, and of them."""
    return [PRESENCE_ALL_ROOM, presence_room(user_id)]


# Every authenticated socket (broadcasts such as resync go here, never to
# sockets still in their handshake).
SIGNED_IN_ROOM = "signed-in"


def session_room(session_id: int) -> str:
    """The room of every socket opened with one session (to disconnect it on revocation)."""
    return f"{SESSION_ROOM_PREFIX}{session_id}"
