"""Session tokens are long, random and stored only as a hash."""

from __future__ import annotations

import base64
import hashlib

from vaultroom.security.tokens import hash_token, new_session_token


def test_tokens_carry_256_random_bits() -> None:
    token = new_session_token()
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    assert len(raw) == 32


def test_tokens_do_not_repeat() -> None:
    assert len({new_session_token() for _ in range(1000)}) == 1000


def test_the_hash_is_sha256_hex() -> None:
    assert hash_token("abc") == hashlib.sha256(b"abc").hexdigest()
