"""Message bodies: which characters are refused."""

from __future__ import annotations

import unicodedata

import pytest

from vaultroom.schemas.text import clean_message_body


def test_a_body_is_refused_exactly_for_control_characters_and_lone_surrogates() -> None:
    # Every code point up to the end of the surrogates (C0, DEL, C1, the surrogates
    # and everything between), against Unicode's own categories.
    for code in range(0xE000):
        char = chr(code)
        refused = char not in "\t\n\r" and unicodedata.category(char) in {"Cc", "Cs"}
        body = f"a{char}b"
        if refused:
            with pytest.raises(ValueError, match="Control characters"):
                clean_message_body(body, 100)
        else:
            assert clean_message_body(body, 100) == body.strip()


def test_a_body_is_trimmed_and_its_length_bounded() -> None:
    assert clean_message_body("  hi\tthere \n", 10) == "hi\tthere"
    with pytest.raises(ValueError, match="empty"):
        clean_message_body(" \n\t ", 10)
    with pytest.raises(ValueError, match="at most 3"):
        clean_message_body("abcd", 3)
