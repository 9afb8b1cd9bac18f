"""Queries on two-factor secrets, recovery codes and sign-ins waiting for a code."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from vaultroom.models import LoginChallenge, RecoveryCode, TwoFactor


async def get(session: AsyncSession, user_id: int) -> TwoFactor | None:
    """The user's TOTP row, enabled or waiting for its first code."""
    return await session.get(TwoFactor, user_id)


async def lock(session: AsyncSession, user_id: int) -> TwoFactor | None:
    """The user's TOTP row, locked until the transaction ends (PostgreSQL)."""
    result = await session.execute(
        select(TwoFactor).where(TwoFactor.user_id == user_id).with_for_update()
    )
    return result.scalar_one_or_none()


async def is_enabled(session: AsyncSession, user_id: int) -> bool:
    """Whether the user signs in with a second factor."""
    found = await session.scalar(
        select(TwoFactor.user_id).where(
            TwoFactor.user_id == user_id, TwoFactor.enabled_at.is_not(None)
        )
    )
    return found is not None


async def start_enrolment(session: AsyncSession, user_id: int, secret: str, now: datetime) -> None:
    """Replace any unfinished enrolment by one with this secret (never an enabled one:
    the caller checked under the lock)."""
    await session.execute(delete(TwoFactor).where(TwoFactor.user_id == user_id))
    session.add(TwoFactor(user_id=user_id, secret=secret, created_at=now))
    await session.flush()


async def use_step(session: AsyncSession, user_id: int, step: int) -> bool:
    """Record that the code of ``step`` was accepted; False when that step or a later
    one was already used (a replayed code)."""
    result = await session.execute(
        update(TwoFactor)
        .where(
            TwoFactor.user_id == user_id,
            or_(TwoFactor.last_step.is_(None), TwoFactor.last_step < step),
        )
        .values(last_step=step)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


async def enable(session: AsyncSession, user_id: int, now: datetime) -> None:
    """Finish the enrolment."""
    await session.execute(
        update(TwoFactor)
        .where(TwoFactor.user_id == user_id)
        .values(enabled_at=now)
        .execution_options(synchronize_session=False)
    )


async def remove(session: AsyncSession, user_id: int) -> None:
    """Turn two-factor sign-in off: the secret, the recovery codes and pending sign-ins go."""
    await session.execute(delete(TwoFactor).where(TwoFactor.user_id == user_id))
    await session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    await delete_challenges(session, user_id)


async def replace_recovery_codes(
    session: AsyncSession, user_id: int, code_hashes: Iterable[str]
) -> None:
    """Forget the user's recovery codes and store these instead."""
    await session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    await session.execute(
        insert(RecoveryCode), [{"user_id": user_id, "code_hash": h} for h in code_hashes]
    )


async def use_recovery_code(
    session: AsyncSession, user_id: int, code_hash: str, now: datetime
) -> bool:
    """Spend a recovery code; False when it is not one of the user's unused codes."""
    result = await session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user_id,
            RecoveryCode.code_hash == code_hash,
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


async def recovery_codes_left(session: AsyncSession, user_id: int) -> int:
    """How many of the user's recovery codes are unused."""
    count = await session.scalar(
        select(func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))
    )
    return int(count or 0)


async def insert_challenge(
    session: AsyncSession, *, user_id: int, token_hash: str, now: datetime, expires_at: datetime
) -> None:
    """Add a sign-in waiting for its code; the user's expired ones are cleared on the way."""
    await session.execute(
        delete(LoginChallenge).where(
            LoginChallenge.user_id == user_id, LoginChallenge.expires_at <= now
        )
    )
    session.add(
        LoginChallenge(
            user_id=user_id, token_hash=token_hash, created_at=now, expires_at=expires_at
        )
    )
    await session.flush()


async def challenge_user(session: AsyncSession, token_hash: str, now: datetime) -> int | None:
    """The user of the unexpired sign-in with this token hash, if any."""
    return await session.scalar(
        select(LoginChallenge.user_id).where(
            LoginChallenge.token_hash == token_hash, LoginChallenge.expires_at > now
        )
    )


async def lock_challenge(
    session: AsyncSession, token_hash: str, now: datetime
) -> LoginChallenge | None:
    """The unexpired sign-in with this token hash, locked until the transaction ends."""
    result = await session.execute(
        select(LoginChallenge)
        .where(LoginChallenge.token_hash == token_hash, LoginChallenge.expires_at > now)
        .with_for_update()
    )
    return result.scalar_one_or_none()


async def count_challenge_failure(session: AsyncSession, challenge_id: int) -> None:
    """One more wrong code for this sign-in."""
    await session.execute(
        update(LoginChallenge)
        .where(LoginChallenge.id == challenge_id)
        .values(failures=LoginChallenge.failures + 1)
        .execution_options(synchronize_session=False)
    )


async def delete_challenge(session: AsyncSession, challenge_id: int) -> None:
    """End a waiting sign-in (it succeeded or ran out of tries)."""
    await session.execute(delete(LoginChallenge).where(LoginChallenge.id == challenge_id))


async def delete_challenges(session: AsyncSession, user_id: int) -> None:
    """End every sign-in of this user that waits for a code."""
    await session.execute(delete(LoginChallenge).where(LoginChallenge.user_id == user_id))
