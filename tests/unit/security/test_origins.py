"""Same-origin decisions for writes and handshakes."""

from __future__ import annotations

import pytest

from vaultroom.security.origins import cross_site_write, origin_allowed


@pytest.mark.parametrize(
    ("origin", "scheme", "host", "allowed"),
    [
        ("http://127.0.0.1:8000", "http", "127.0.0.1:8000", True),
        ("http://127.0.0.1:8000/", "http", "127.0.0.1:8000", True),
        ("https://chat.example.com", "https", "chat.example.com", True),
        ("https://chat.example.com:443", "https", "chat.example.com", True),
        ("http://chat.example.com", "http", "chat.example.com:80", True),
        ("http://127.0.0.1:8000", "ws", "127.0.0.1:8000", True),
        ("https://chat.example.com", "wss", "chat.example.com", True),
        ("https://127.0.0.1:8000", "http", "127.0.0.1:8000", False),
        ("http://chat.example.com", "https", "chat.example.com", False),
        ("https://chat.example.com:8443", "https", "chat.example.com", False),
        ("https://chat.example.com", "http", "chat.example.com", False),
        ("ws://127.0.0.1:8000", "http", "127.0.0.1:8000", False),
        ("foo://127.0.0.1:8000", "http", "127.0.0.1:8000", False),
        ("https://evil.example", "https", "chat.example.com", False),
        ("https://chat.example.com.evil.example", "https", "chat.example.com", False),
        ("http://127.0.0.1:9000", "http", "127.0.0.1:8000", False),
        ("http://127.0.0.1:8000/path", "http", "127.0.0.1:8000", False),
        ("null", "http", "127.0.0.1:8000", False),
        ("", "http", "127.0.0.1:8000", False),
        ("http://[::1", "http", "127.0.0.1:8000", False),
        ("http://127.0.0.1:8000", "http", "", False),
    ],
)
def test_the_origin_must_be_the_server_itself(
    origin: str, scheme: str, host: str, allowed: bool
) -> None:
    assert origin_allowed(origin, host=host, scheme=scheme, allowed=[]) is allowed


def test_configured_origins_are_allowed() -> None:
    assert origin_allowed(
        "https://app.example.com/",
        host="api.example.com",
        scheme="https",
        allowed=["https://app.example.com"],
    )


@pytest.mark.parametrize(
    ("headers", "require_origin", "refused"),
    [
        ({"origin": "https://evil.example", "host": "a.test"}, False, True),
        ({"origin": "http://a.test", "host": "a.test"}, True, False),
        ({"sec-fetch-site": "cross-site", "host": "a.test"}, False, True),
        ({"sec-fetch-site": "same-site", "host": "a.test"}, False, True),
        ({"sec-fetch-site": "same-origin", "host": "a.test"}, True, False),
        ({"sec-fetch-site": "none", "host": "a.test"}, True, False),
        ({"host": "a.test"}, False, False),
        ({"host": "a.test"}, True, True),
    ],
)
def test_cross_site_write(headers: dict[str, str], require_origin: bool, refused: bool) -> None:
    verdict = cross_site_write(headers, scheme="http", allowed=[], require_origin=require_origin)
    assert verdict is refused
