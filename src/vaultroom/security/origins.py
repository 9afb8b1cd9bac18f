"""Same-origin checks for cookie-authenticated writes and socket handshakes."""

from __future__ import annotations

from urllib.parse import urlsplit

_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


def _netloc(origin: str) -> str | None:
    """``host:port`` of an origin, with the default port made explicit."""
    try:
        parts = urlsplit(origin)
        port = parts.port or _DEFAULT_PORTS.get(parts.scheme)
    except ValueError:
        return None
    if not parts.hostname or port is None:
        return None
    return f"{parts.hostname}:{port}"


def origin_allowed(origin: str, *, host: str | None, scheme: str, allowed: list[str]) -> bool:
    """Whether a browser ``Origin`` is the server itself or one of the allowed origins.

    The server's own origin is the request's ``Host``; the scheme is not compared,
    because behind a TLS-terminating proxy the server sees plain HTTP.
    """
    if origin.rstrip("/") in allowed:
        return True
    own = _netloc(f"{scheme}://{host}") if host else None
    return own is not None and _netloc(origin) == own


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
