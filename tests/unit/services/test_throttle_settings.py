"""The throttle settings: each limit in the ``limits`` notation, exempt addresses as networks."""

from __future__ import annotations

import pytest

from vaultroom.settings import Settings


@pytest.mark.parametrize(
    "setting",
    [
        "login_failure_account_limit",
        "login_failure_ip_limit",
        "registration_ip_limit",
        "rest_rate_limit",
        "socket_event_rate_limit",
    ],
)
def test_each_limit_is_checked_at_start_up(setting: str) -> None:
    with pytest.raises(ValueError, match="30/10 seconds"):
        Settings.model_validate({setting: "often"})


def test_exempt_addresses_must_be_addresses_or_networks() -> None:
    assert Settings(rate_limit_exempt_ips="10.0.0.0/8, ::1").rate_limit_exempt_ips == [
        "10.0.0.0/8",
        "::1",
    ]
    with pytest.raises(ValueError, match="not an IP address"):
        Settings(rate_limit_exempt_ips="proxy.local")
