"""The Socket.IO packet class VaultRoom's server uses: text only.

python-socketio walks every payload it sends, recursively, to find binary
values to send as attachments; VaultRoom's payloads are JSON objects with no
binary in them, so that walk is pure cost (about a twentieth of the server's CPU
per message in profiles). Clients still may not send binary: their payloads are
validated against JSON models and refused.
"""

from __future__ import annotations

from socketio import packet


class TextPacket(packet.Packet):  # type: ignore[misc]
    """A Socket.IO packet that never looks for binary attachments."""

    uses_binary_events = False
