"""Throttles against brute force and floods: failed sign-ins, registrations, requests.

Each is a ``RateLimit`` (in memory on one node, in Redis across a cluster). Failed
sign-ins are limited per account and per client address: an account over its limit
refuses every sign-in, a correct password included, until the window slides past the
failures (no permanent lockout an attacker could inflict on a victim). An unknown
login is limited exactly like an existing account, so a 429 never tells whether the
account exists.
"""

from __future__ import annotations

import contextlib
import ipaddress
from collections.abc import AsyncIterator

import redis.asyncio as redis

from vaultroom.services.errors import RateLimited
from vaultroom.services.rate_limits import RateLimit
from vaultroom.settings import Settings

FAILED_SIGN_INS = "failed sign-ins"


class Attempt:
    """One guarded sign-in attempt: ``fail()`` when the credential was wrong."""

    def __init__(self) -> None:
        self.failed = False

    def fail(self) -> None:
        """Count this attempt as a failed sign-in."""
        self.failed = True


class Throttles:
    """The limits a node enforces on its clients, built once from the settings."""

    def __init__(self, settings: Settings, shared: redis.Redis | None = None) -> None:
        prefix = settings.redis_prefix
        self._account_failures = RateLimit(
            settings.login_failure_account_limit, FAILED_SIGN_INS, shared, prefix=prefix
        )
        self._ip_failures = RateLimit(
            settings.login_failure_ip_limit, "sign-in failures from this address", shared, prefix
        )
        self._registrations = RateLimit(
            settings.registration_ip_limit, "registrations from this address", shared, prefix
        )
        self._requests = RateLimit(settings.rest_rate_limit, "requests", shared, prefix=prefix)
        self._socket_events = RateLimit(
            settings.socket_event_rate_limit, "events", shared, prefix=prefix
        )
        self._exempt = [
            ipaddress.ip_network(item, strict=False) for item in settings.rate_limit_exempt_ips
        ]

    def _limited_ip(self, ip: str | None) -> str | None:
        """The address to count, or None when it is unknown or exempt."""
        if ip is None:
            return None
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return None
        if any(address in network for network in self._exempt):
            return None
        return str(address)

    @contextlib.asynccontextmanager
    async def sign_in_attempt(self, account_key: str, ip: str | None) -> AsyncIterator[Attempt]:
        """Guard one check of a credential (password or code) of an account.

        A failure is reserved before the check (``RateLimited`` when the account or the
        address has no failure left) and given back unless the body calls
        ``attempt.fail()``. Reserving first means concurrent guesses cannot all pass
        the limit before any of them is counted.
        """
        address = self._limited_ip(ip)
        await self._account_failures.hit(account_key)
        if address is not None:
            try:
                await self._ip_failures.hit(address)
            except RateLimited:
                await self._account_failures.refund(account_key)
                raise
        attempt = Attempt()
        try:
            yield attempt
        finally:
            if not attempt.failed:
                await self._account_failures.refund(account_key)
                if address is not None:
                    await self._ip_failures.refund(address)

    async def registration(self, ip: str | None) -> None:
        """Count a registration attempt from ``ip``; ``RateLimited`` beyond the limit."""
        address = self._limited_ip(ip)
        if address is not None:
            await self._registrations.hit(address)

    async def request(self, user_id: int) -> None:
        """Count an authenticated REST request; ``RateLimited`` beyond the limit."""
        await self._requests.hit(str(user_id))

    async def socket_event(self, user_id: int) -> None:
        """Count a socket event other than a send; ``RateLimited`` beyond the limit."""
        await self._socket_events.hit(str(user_id))
