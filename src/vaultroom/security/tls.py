"""TLS for ``serve``: TLS 1.2+ only, forward-secret AEAD ciphers; plain HTTP on loopback only."""

from __future__ import annotations

import ipaddress
import ssl
from collections.abc import Callable
from pathlib import Path
from typing import Any

# TLS 1.2 suites: ECDHE key exchange (forward secrecy) with AES-GCM or ChaCha20-Poly1305
# only; no CBC, no RSA key exchange, no SHA-1. TLS 1.3 suites are all AEAD and are
# not affected by this list (OpenSSL keeps its defaults for them).
TLS12_CIPHERS = ":".join(
    [
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384",
        "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-CHACHA20-POLY1305",
        "ECDHE-RSA-CHACHA20-POLY1305",
    ]
)
MINIMUM_VERSION = ssl.TLSVersion.TLSv1_2


def harden(context: ssl.SSLContext) -> ssl.SSLContext:
    """Refuse SSL 3, TLS 1.0 and 1.1 and every cipher outside ``TLS12_CIPHERS``."""
    context.minimum_version = MINIMUM_VERSION
    context.set_ciphers(TLS12_CIPHERS)
    context.options |= ssl.OP_NO_COMPRESSION | ssl.OP_NO_RENEGOTIATION
    context.options |= ssl.OP_CIPHER_SERVER_PREFERENCE
    return context


def server_context(certfile: Path, keyfile: Path | None) -> ssl.SSLContext:
    """A hardened server context holding the certificate chain and its key.

    Raises ``OSError`` (missing or unreadable file) or ``ssl.SSLError`` (not PEM,
    or the key does not match the certificate).
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certfile, keyfile)
    return harden(context)


def uvicorn_context_factory(_config: Any, default: Callable[[], ssl.SSLContext]) -> ssl.SSLContext:
    """uvicorn's ``ssl_context_factory``: its own context (certificate, ALPN), hardened.

    A module-level function, so that ``serve --workers N`` can hand it to worker processes.
    """
    return harden(default())


def is_loopback_host(host: str) -> bool:
    """Whether binding ``host`` listens on this machine's loopback interface only."""
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False  # another host name: it may resolve to anything
