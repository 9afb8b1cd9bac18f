"""What services hand to fan-out: events and who receives them."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import BaseModel


@dataclass(frozen=True)
class Delivery:
    """One event for a set of users (every open socket of each), or for everyone.

    ``user_ids=None`` reaches every connected user, or only the sockets in
    ``rooms`` when given (presence: its watchers); ``skip_sid`` leaves out the
    socket that caused the event when it already has the result in its ack.
    ``payload`` is a model, or its JSON form already made (a new message's, made
    once for its ack and its event).
    """

    event: str
    payload: BaseModel | dict[str, Any]
    user_ids: Collection[int] | None
    skip_sid: str | None = None
    rooms: Sequence[str] | None = None

    def data(self) -> dict[str, Any]:
        """The payload in its JSON form (never to be changed: it may be shared)."""
        if isinstance(self.payload, dict):
            return self.payload
        return self.payload.model_dump(mode="json")


class Fanout(Protocol):
    """Delivers committed events to connected clients and ends revoked sessions' sockets.

    Delivery is best effort: the database is the source of truth and clients
    that miss an event catch up by resync.
    """

    async def publish(self, deliveries: Sequence[Delivery]) -> None:
        """Emit each delivery, in order."""
        ...

    async def revoke_sessions(self, session_ids: Sequence[int]) -> None:
        """Tell the sockets of these sessions (``session:revoked``) and close them."""
        ...


class NoClients:
    """Fan-out for a process that holds no sockets (the CLI): nothing to deliver."""

    async def publish(self, deliveries: Sequence[Delivery]) -> None:
        """Nobody is connected here."""

    async def revoke_sessions(self, session_ids: Sequence[int]) -> None:
        """No sockets to close here."""
