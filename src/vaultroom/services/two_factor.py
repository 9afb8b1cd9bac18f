"""Two-factor sign-in with TOTP: enrolment, recovery codes, the sign-in's second step.

A sign-in to an account with two-factor on stops after the password at a *challenge*:
a random token (stored hashed, valid ``VAULTROOM_TWO_FACTOR_CHALLENGE_SECONDS``, ended
after ``VAULTROOM_TWO_FACTOR_CHALLENGE_ATTEMPTS`` wrong codes) that the client sends
back with a code. Wrong codes count as failed sign-ins of the account, so the password
throttle covers codes too. A TOTP code is accepted once (its time step is recorded);
a recovery code once (it is marked used in the same transaction that signs in).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from vaultroom.db import Database
from vaultroom.models import AuditKind, TwoFactor
from vaultroom.models.base import utcnow
from vaultroom.schemas.two_factor import (
    LoginSecondStepIn,
    RecoveryCodesOut,
    TwoFactorChallengeOut,
    TwoFactorConfirmIn,
    TwoFactorEnableIn,
    TwoFactorSetupIn,
    TwoFactorSetupOut,
    TwoFactorStatusOut,
)
from vaultroom.security import totp
from vaultroom.security.tokens import hash_token, new_session_token
from vaultroom.services import audit
from vaultroom.services.errors import Conflict, InvalidInput, NotFound, Unauthorized
from vaultroom.services.sessions import AuthContext, ClientInfo, IssuedSession, SessionService
from vaultroom.services.throttles import Throttles
from vaultroom.settings import Settings
from vaultroom.store import two_factor as store
from vaultroom.store import users as users_store

INVALID_CODE = "This code is not valid. Check your authenticator app's time, or use another code."
CHALLENGE_EXPIRED = "This sign-in has expired; enter your password again."
TOTP = "totp"
RECOVERY_CODE = "recovery_code"
# (user id, password, the request field it came in, client): raises when it is wrong.
PasswordCheck = Callable[[int, str, str, ClientInfo], Awaitable[object]]


def account_key(user_id: int) -> str:
    """The key of an account's failed sign-in throttle (passwords and codes share it)."""
    return f"user:{user_id}"


async def open_challenge(
    session: AsyncSession, user_id: int, settings: Settings
) -> TwoFactorChallengeOut:
    """Start the second step of a sign-in whose password was right."""
    token = new_session_token()
    now = utcnow()
    expires_at = now + timedelta(seconds=settings.two_factor_challenge_seconds)
    await store.insert_challenge(
        session, user_id=user_id, token_hash=hash_token(token), now=now, expires_at=expires_at
    )
    return TwoFactorChallengeOut(challenge=token, expires_at=expires_at)


def _invalid_code() -> InvalidInput:
    return InvalidInput(INVALID_CODE, code="invalid_code", fields={"code": INVALID_CODE})


def _already_on() -> Conflict:
    return Conflict("Two-factor sign-in is already on.", code="two_factor_enabled")


def _challenge_expired() -> Unauthorized:
    return Unauthorized(CHALLENGE_EXPIRED, code="challenge_expired")


async def _record_wrong_code(session: AsyncSession, user_id: int, client: ClientInfo) -> None:
    await audit.record(
        session,
        AuditKind.LOGIN_FAILURE,
        user_id=user_id,
        client=client,
        details={"reason": "two_factor_code"},
    )


def _new_codes(user_id: int) -> tuple[list[str], list[str]]:
    codes = totp.new_recovery_codes()
    return codes, [totp.hash_recovery_code(user_id, code) for code in codes]


async def _use_totp(session: AsyncSession, row: TwoFactor, code: str, now: float) -> bool:
    """Spend a TOTP code (normalised) of ``row``'s secret; False when it is not valid now
    or its step (or a later one) was used already."""
    step = totp.matching_step(row.secret, code, now) if totp.is_totp_code(code) else None
    return step is not None and await store.use_step(session, row.user_id, step)


async def _use_code(session: AsyncSession, row: TwoFactor, code: str, now: float) -> str | None:
    """Spend ``code`` (TOTP or recovery) in the caller's transaction; which kind it was,
    or None when it is not valid (or already used)."""
    normalised = totp.normalise_code(code)
    if totp.is_totp_code(normalised):
        return TOTP if await _use_totp(session, row, normalised, now) else None
    code_hash = totp.hash_recovery_code(row.user_id, normalised)
    if await store.use_recovery_code(session, row.user_id, code_hash, utcnow()):
        return RECOVERY_CODE
    return None


class TwoFactorService:
    """Turns two-factor sign-in on and off and checks the sign-in's second step."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        sessions: SessionService,
        throttles: Throttles,
        check_password: PasswordCheck,
    ) -> None:
        self._db = db
        self._settings = settings
        self._sessions = sessions
        self._throttles = throttles
        self._check_password = check_password
        # Seconds since the epoch, for TOTP steps (tests step through codes with it).
        self.clock: Callable[[], float] = time.time

    async def status(self, caller: AuthContext) -> TwoFactorStatusOut:
        """Whether the caller has two-factor on, and how many recovery codes are left."""
        async with self._db.snapshot() as session:
            row = await store.get(session, caller.user.id)
            enabled = row is not None and row.enabled_at is not None
            left = await store.recovery_codes_left(session, caller.user.id) if enabled else 0
        return TwoFactorStatusOut(
            enabled=enabled, enabled_at=row.enabled_at if row else None, recovery_codes_left=left
        )

    async def setup(
        self, caller: AuthContext, data: TwoFactorSetupIn, client: ClientInfo
    ) -> TwoFactorSetupOut:
        """Start (or restart) an enrolment with a new secret; nothing changes for sign-in
        until ``enable`` gets a code of it."""
        await self._check_password(caller.user.id, data.password, "password", client)
        secret = totp.new_secret()
        async with self._db.transaction() as session:
            row = await store.lock(session, caller.user.id)
            if row is not None and row.enabled_at is not None:
                raise _already_on()
            await store.start_enrolment(session, caller.user.id, secret, utcnow())
        uri = totp.provisioning_uri(
            secret, account=caller.user.username, issuer=self._settings.two_factor_issuer
        )
        return TwoFactorSetupOut(secret=secret, otpauth_uri=uri, qr_svg=totp.qr_svg(uri))

    async def enable(
        self, caller: AuthContext, data: TwoFactorEnableIn, client: ClientInfo
    ) -> RecoveryCodesOut:
        """Finish the enrolment with a code from the app; returns the recovery codes.
        Wrong codes count as failed sign-ins (a stolen session cannot guess its way
        into turning two-factor on with a secret its owner never saw)."""
        user_id = caller.user.id
        codes, hashes = _new_codes(user_id)
        setup_lifetime = timedelta(seconds=self._settings.two_factor_setup_seconds)
        async with self._throttles.sign_in_attempt(account_key(user_id), client.ip) as attempt:
            async with self._db.transaction() as session:
                row = await store.lock(session, user_id)
                if row is not None and row.enabled_at is not None:
                    raise _already_on()
                if row is None or row.created_at + setup_lifetime <= utcnow():
                    raise Conflict(
                        "Set up two-factor sign-in first (a set-up not finished in time ends).",
                        code="two_factor_not_set_up",
                    )
                code = totp.normalise_code(data.code)
                accepted = await _use_totp(session, row, code, self.clock())
                if accepted:
                    await store.enable(session, user_id, utcnow())
                    await store.replace_recovery_codes(session, user_id, hashes)
                    await audit.record(
                        session, AuditKind.TWO_FACTOR_ENABLED, user_id=user_id, client=client
                    )
            if not accepted:
                attempt.fail()
                raise _invalid_code()
        return RecoveryCodesOut(recovery_codes=codes)

    async def disable(
        self, caller: AuthContext, data: TwoFactorConfirmIn, client: ClientInfo
    ) -> None:
        """Turn two-factor sign-in off: needs the password and a code."""
        await self._confirmed_change(caller, data, client, renew_codes=False)

    async def renew_recovery_codes(
        self, caller: AuthContext, data: TwoFactorConfirmIn, client: ClientInfo
    ) -> RecoveryCodesOut:
        """Replace the recovery codes (the old ones stop working): password and a code."""
        codes = await self._confirmed_change(caller, data, client, renew_codes=True)
        return RecoveryCodesOut(recovery_codes=codes)

    async def _confirmed_change(
        self,
        caller: AuthContext,
        data: TwoFactorConfirmIn,
        client: ClientInfo,
        *,
        renew_codes: bool,
    ) -> list[str]:
        user_id = caller.user.id
        await self._check_password(user_id, data.password, "password", client)
        codes, hashes = _new_codes(user_id) if renew_codes else ([], [])
        async with self._throttles.sign_in_attempt(account_key(user_id), client.ip) as attempt:
            async with self._db.transaction() as session:
                row = await store.lock(session, user_id)
                if row is None or row.enabled_at is None:
                    raise Conflict("Two-factor sign-in is off.", code="two_factor_not_enabled")
                used = await _use_code(session, row, data.code, self.clock())
                if used is None:
                    await _record_wrong_code(session, user_id, client)
                else:
                    if renew_codes:
                        await store.replace_recovery_codes(session, user_id, hashes)
                    else:
                        await store.remove(session, user_id)
                    kind = (
                        AuditKind.RECOVERY_CODES_RENEWED
                        if renew_codes
                        else AuditKind.TWO_FACTOR_DISABLED
                    )
                    await audit.record(
                        session, kind, user_id=user_id, client=client, details={"with": used}
                    )
            if used is None:
                attempt.fail()
                raise _invalid_code()
        return codes

    async def reset(self, username: str) -> bool:
        """Turn two-factor off for an account that lost its authenticator and its
        recovery codes (the ``reset-2fa`` command: an operator who checked who asks).
        False when it was off."""
        async with self._db.transaction() as session:
            user = await users_store.find_user_by_login(session, username)
            if user is None:
                raise NotFound("No such user.")
            row = await store.lock(session, user.id)
            if row is None or row.enabled_at is None:
                return False
            await store.remove(session, user.id)
            await audit.record(
                session,
                AuditKind.TWO_FACTOR_DISABLED,
                user_id=user.id,
                client=None,
                details={"via": "cli"},
            )
        return True

    async def complete_login(self, data: LoginSecondStepIn, client: ClientInfo) -> IssuedSession:
        """The second step of a sign-in: a valid code for the challenge opens a session.

        Locks in the order every other writer uses (user, two-factor row, challenge),
        so that a password change or turning two-factor off cannot deadlock with it."""
        token_hash = hash_token(data.challenge)
        async with self._db.snapshot() as session:
            user_id = await store.challenge_user(session, token_hash, utcnow())
        if user_id is None:
            raise _challenge_expired()
        issued: IssuedSession | None = None
        exhausted = False
        async with self._throttles.sign_in_attempt(account_key(user_id), client.ip) as attempt:
            async with self._db.transaction() as session:
                user = await users_store.lock_user(session, user_id)
                row = await store.lock(session, user_id)
                challenge = await store.lock_challenge(session, token_hash, utcnow())
                if challenge is None or row is None or row.enabled_at is None or user is None:
                    raise _challenge_expired()  # used, expired, or two-factor turned off
                used = await _use_code(session, row, data.code, self.clock())
                if used is None:
                    limit = self._settings.two_factor_challenge_attempts
                    exhausted = challenge.failures + 1 >= limit
                    if exhausted:
                        await store.delete_challenge(session, challenge.id)
                    else:
                        await store.count_challenge_failure(session, challenge.id)
                    await _record_wrong_code(session, user_id, client)
                else:
                    await store.delete_challenge(session, challenge.id)
                    issued = await self._sessions.open_session(session, user, client)
                    await audit.record(
                        session,
                        AuditKind.LOGIN_SUCCESS,
                        user_id=user_id,
                        client=client,
                        details={"session_id": issued.session_id, "second_factor": used},
                    )
                    if used == RECOVERY_CODE:
                        left = await store.recovery_codes_left(session, user_id)
                        await audit.record(
                            session,
                            AuditKind.RECOVERY_CODE_USED,
                            user_id=user_id,
                            client=client,
                            details={"codes_left": left},
                        )
            if issued is None:
                attempt.fail()
                if exhausted:
                    raise _challenge_expired()
                raise Unauthorized(INVALID_CODE, code="invalid_code")
        return issued
