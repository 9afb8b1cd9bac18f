"""Where a request comes from is recorded only in a clean form."""

from __future__ import annotations

import pytest

from vaultroom.services.sessions import ClientInfo


@pytest.mark.parametrize(
    ("ip", "agent", "expected_ip", "expected_agent"),
    [
        ("127.0.0.1", "curl/8", "127.0.0.1", "curl/8"),
        ("::1", None, "::1", None),
        ("x" * 100, "a\u0000b\u0007c", None, "abc"),
        ("", "z" * 600, None, "z" * 512),
        (None, "", None, None),
    ],
)
def test_client_info_keeps_only_clean_values(
    ip: str | None, agent: str | None, expected_ip: str | None, expected_agent: str | None
) -> None:
    info = ClientInfo.of(ip, agent)
    assert info.ip == expected_ip
    assert info.user_agent == expected_agent
