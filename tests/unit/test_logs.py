"""Log records of the websockets library lose credentials and frame contents."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import Enum

import pytest

from vaultroom.logs import RedactSecrets


class Opcode(Enum):
    TEXT = 1


@dataclass
class Frame:
    opcode: Opcode
    data: bytes


def record(msg: str, *args: object) -> logging.LogRecord:
    """A debug record as ``logger.debug(msg, *args)`` makes it."""
    return logging.LogRecord("uvicorn.error", logging.DEBUG, __file__, 1, msg, args, None)


@pytest.mark.parametrize("direction", ["<", ">"])
def test_frame_contents_are_withheld(direction: str) -> None:
    entry = record(f"{direction} %s", Frame(Opcode.TEXT, b'40{"token":"s3cret"}'))

    assert RedactSecrets().filter(entry)

    assert entry.getMessage() == f"{direction} TEXT [20 bytes, contents not logged]"


@pytest.mark.parametrize("header", ["Cookie", "authorization", "Set-Cookie", "Proxy-Authorization"])
def test_credential_headers_are_redacted(header: str) -> None:
    entry = record("< %s: %s", header, "vaultroom_session=s3cret")

    assert RedactSecrets().filter(entry)

    assert entry.getMessage() == f"< {header}: [redacted]"


def test_other_headers_and_messages_are_kept() -> None:
    header = record("< %s: %s", "User-Agent", "curl/8")
    plain = record("connection %s open", "abc")

    assert RedactSecrets().filter(header) and RedactSecrets().filter(plain)

    assert header.getMessage() == "< User-Agent: curl/8"
    assert plain.getMessage() == "connection abc open"
