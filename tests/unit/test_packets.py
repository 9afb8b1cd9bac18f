"""VaultRoom's Socket.IO packets: encoded by orjson, read back as the standard library would."""

from __future__ import annotations

import json
from typing import Any

import pytest
from socketio import packet

from vaultroom.realtime.packets import PacketJson, TextPacket


@pytest.mark.parametrize(
    "data",
    [
        ["message:new", {"message": {"id": 1, "body": 'héllo 👋 \u2028 "quoted" \\ \n', "seq": 7}}],
        ["presence", {"user_id": 3, "online": True, "last_seen_at": None, "ratio": 1.5}],
        ["big", {"n": 2**70}],  # beyond orjson: the standard library writes it
        ["keys", {1: "one", "two": 2}],  # non-string keys become strings, as in json
        ["surrogate", {"s": "\ud800"}],  # orjson refuses it; json escapes it
    ],
)
def test_an_event_packet_reads_back_as_what_was_sent(data: list[Any]) -> None:
    encoded = TextPacket(packet.EVENT, data=data, id=12).encode()

    assert isinstance(encoded, str) and encoded.startswith("212[")
    expected = json.loads(json.dumps(data))  # what the standard library would send
    assert json.loads(encoded[3:]) == expected
    assert TextPacket(encoded_packet=encoded).data == expected


def test_encoding_is_compact_and_keeps_text_outside_ascii_as_text() -> None:
    assert PacketJson.dumps({"a": [1, 2], "b": "é"}) == '{"a":[1,2],"b":"é"}'


def test_decoding_keeps_engine_io_s_limit_on_integer_length() -> None:
    with pytest.raises(ValueError, match="too large"):
        PacketJson.loads("[" + "9" * 101 + "]")
