"""Same-origin checks for cookie-authenticated writes and socket handshakes."""

from __future__ import annotations

from urllib.parse import urlsplit

_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


def _host_and_port(origin: str) -> tuple[str, int] | None:
    """Host name and port of an origin, with the scheme's default port made explicit."""
    try:
        parts = urlsplit(origin)
        port = parts.port or _DEFAULT_PORTS.get(parts.scheme)
    except ValueError:
        return None
    if not parts.hostname or port is None:
        return None
    return parts.hostname, port


def origin_allowed(origin: str, *, host: str | None, scheme: str, allowed: list[str]) -> bool:
    """Whether a browser ``Origin`` is the server itself or one of the allowed origins.

    The server's own origin is the request's ``Host``. When ``Host`` carries no
    port (a reverse proxy's usual ``Host $host``), only the names are compared:
    behind a TLS-terminating proxy the server itself sees plain HTTP on port 80.
    """
    if origin.rstrip("/") in allowed:
        return True
    theirs = _host_and_port(origin)
    if theirs is None or not host:
        return False
    try:
        own = urlsplit(f"{scheme}://{host}")
        own_port = own.port
    except ValueError:
        return False
    if own.hostname != theirs[0]:
        return False
    return own_port is None or own_port == theirs[1]


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
