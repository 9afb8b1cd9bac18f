"""The session cookie's name: ``__Host-`` prefixed over TLS (host-only, path /, Secure)."""

from __future__ import annotations

from vaultroom.settings import Settings


def session_cookie_name(settings: Settings, *, secure: bool) -> str:
    """The cookie name for a request that did (``secure``) or did not arrive over TLS."""
    return f"__Host-{settings.session_cookie_name}" if secure else settings.session_cookie_name
