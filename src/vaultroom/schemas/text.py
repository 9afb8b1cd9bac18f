"""Constraints shared by free-text inputs."""

from __future__ import annotations

import re
import unicodedata

# No C0 control characters or DEL: PostgreSQL refuses NUL in text, and no
# legitimate login, search or cursor contains the others.
NO_CONTROL_CHARACTERS = r"^[^\x00-\x1f\x7f]*$"

# Bidirectional embeddings, overrides and isolates can make a name display as
# another one; joiners (ZWJ, ZWNJ) stay allowed, as emoji and several scripts need them.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")

# What a message may not contain: the control characters (Unicode category Cc: C0,
# DEL and C1) but tab, newline and carriage return, and lone surrogates (Cs). One
# regular expression, where a loop over unicodedata.category cost a call per character.
_MESSAGE_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def clean_name(value: str) -> str:
    """A title or name: NFC, trimmed; raises ``ValueError`` on control or direction
    characters (and lone surrogates, which no database can store)."""
    value = unicodedata.normalize("NFC", value).strip()
    if any(unicodedata.category(char) in {"Cc", "Cs"} or char in BIDI_CONTROLS for char in value):
        raise ValueError("Control characters and direction overrides are not allowed.")
    return value


def clean_message_body(value: str, max_chars: int) -> str:
    """A message body trimmed, 1 to ``max_chars`` characters; raises ``ValueError``.

    Newlines and tabs are kept; other control characters and lone surrogates
    (which JSON can carry but UTF-8 cannot store) are refused.
    """
    value = value.strip()
    if not value:
        raise ValueError("A message cannot be empty.")
    if len(value) > max_chars:
        raise ValueError(f"A message has at most {max_chars} characters.")
    if _MESSAGE_FORBIDDEN.search(value):
        raise ValueError("Control characters are not allowed in a message.")
    return value
