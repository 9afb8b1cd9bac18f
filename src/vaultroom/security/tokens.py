"""Session tokens: opaque, 256 random bits, kept on the server only as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import secrets

TOKEN_BYTES = 32
# Longer credentials are refused without a database look-up.
MAX_TOKEN_LENGTH = 512


def new_session_token() -> str:
    """A fresh URL-safe token carrying 256 bits of randomness."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    """The hex SHA-256 of a token, the only form the database stores."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
