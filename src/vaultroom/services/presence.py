"""Who is online on this node: a user is online while at least one socket is open.

The real-time layer reports sockets opening and closing; user objects read from here.
"""

from __future__ import annotations

from collections import Counter


class PresenceRegistry:
    """Counts the open sockets of each user held by this process."""

    def __init__(self) -> None:
        self._sockets: Counter[int] = Counter()

    def socket_opened(self, user_id: int) -> bool:
        """Count a new socket; whether the user just came online."""
        self._sockets[user_id] += 1
        return self._sockets[user_id] == 1

    def socket_closed(self, user_id: int) -> bool:
        """Forget a socket; whether the user just went offline."""
        if self._sockets[user_id] <= 1:
            self._sockets.pop(user_id, None)
            return True
        self._sockets[user_id] -= 1
        return False

    def is_online(self, user_id: int) -> bool:
        """Whether the user has an open socket."""
        return self._sockets[user_id] > 0  # a Counter answers 0 without storing the key
