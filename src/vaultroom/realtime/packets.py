r"""The Socket.IO packet class VaultRoom's server uses: text only, encoded by orjson.

python-socketio walks every payload it sends, recursively, to find binary
values to send as attachments; VaultRoom's payloads are JSON objects with no
binary in them, so that walk is pure cost (about a twentieth of the server's CPU
per message in profiles). Clients still may not send binary: their payloads are
validated against JSON models and refused.

Packets are encoded with orjson rather than the standard library's ``json``: two
encodings per message (its ack and its delivery) were about 5 % of the server's
time at 100 pairs (cProfile, docs/performance.md). orjson writes the same JSON
except that text outside ASCII is sent as UTF-8 rather than ``\u`` escapes (both
are JSON); what it refuses (integers beyond 64 bits, lone surrogates) falls back
to the standard library. Decoding what clients send stays engine.io's (the
standard library, with its limit on integer length).
"""

from __future__ import annotations

import json
from typing import Any

import orjson
from engineio import json as engineio_json
from socketio import packet


class PacketJson:
    """The ``json`` of :class:`TextPacket`: orjson's ``dumps``, engine.io's ``loads``."""

    loads = staticmethod(engineio_json.loads)

    @staticmethod
    def dumps(data: Any, **_options: Any) -> str:
        """Compact JSON text of ``data`` (socketio passes compact separators)."""
        try:
            return orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS).decode()
        except TypeError:  # orjson.JSONEncodeError: what only the standard library writes
            return json.dumps(data, separators=(",", ":"))


class TextPacket(packet.Packet):  # type: ignore[misc]
    """A Socket.IO packet that never looks for binary attachments."""

    uses_binary_events = False
    json = PacketJson
