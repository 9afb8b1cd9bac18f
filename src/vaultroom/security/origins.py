"""Same-origin checks for cookie-authenticated writes and socket handshakes."""

from __future__ import annotations

from urllib.parse import urlsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}
# A socket's own scheme is ws/wss; the Origin its page sends is http/https.
_PAGE_SCHEME = {"http": "http", "https": "https", "ws": "http", "wss": "https"}


def _origin_tuple(scheme: str, netloc: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of a web origin, with the default port made explicit."""
    try:
        parts = urlsplit(f"{scheme}://{netloc}")
        port = parts.port or _DEFAULT_PORTS[scheme]
    except (ValueError, KeyError):
        return None
    return (scheme, parts.hostname, port) if parts.hostname else None


def origin_allowed(origin: str, *, host: str | None, scheme: str, allowed: list[str]) -> bool:
    """Whether a browser ``Origin`` is the server itself or one of the allowed origins.

    The server's own origin is the scheme it was reached by (behind a proxy: the
    forwarded scheme, trusted from ``VAULTROOM_FORWARDED_ALLOW_IPS``) and the
    ``Host`` header. Scheme, host and port must all match.
    """
    origin = origin.strip().rstrip("/")
    if origin in allowed:
        return True
    page_scheme = _PAGE_SCHEME.get(scheme)
    if not host or page_scheme is None:
        return False
    their_scheme, separator, their_netloc = origin.partition("://")
    if not separator or their_scheme not in _DEFAULT_PORTS or "/" in their_netloc:
        return False
    theirs = _origin_tuple(their_scheme, their_netloc)
    return theirs is not None and theirs == _origin_tuple(page_scheme, host)


def cross_site_write(
    headers: dict[str, str], *, scheme: str, allowed: list[str], require_origin: bool
) -> bool:
    """Whether a state-changing request must be refused as cross-site.

    ``headers`` are lowercased request headers. ``Origin`` decides when present,
    then ``Sec-Fetch-Site``; with neither, the request is refused only when
    ``require_origin`` (it authenticates with the cookie a browser attaches).
    """
    origin = headers.get("origin")
    if origin is not None:
        return not origin_allowed(origin, host=headers.get("host"), scheme=scheme, allowed=allowed)
    fetch_site = headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site not in {"same-origin", "none"}
    return require_origin
