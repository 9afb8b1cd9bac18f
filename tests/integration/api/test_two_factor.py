"""Two-factor sign-in (TOTP): enrolment, the sign-in's second step, single-use recovery
codes and TOTP codes, throttled code guessing, turning it off, and the audit entries.

The server's TOTP clock is the test's: each code is taken 30 seconds (one step) after
the previous one, as if the user waited for the next code, so no test sleeps.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import pyotp
import pytest
from sqlalchemy import select, update

from tests.factories import DEFAULT_PASSWORD, RegisteredUser, UserFactory
from vaultroom.app import VaultRoomApp
from vaultroom.models import AuditEvent, LoginChallenge, RecoveryCode, TwoFactor
from vaultroom.models.base import utcnow

Json = dict[str, Any]


@dataclass
class Authenticator:
    """The user's authenticator app, and the clock the server reads TOTP steps from."""

    now: float
    secret: str = ""
    recovery_codes: list[str] = field(default_factory=list)

    def code(self) -> str:
        """The app's next code: one step (30 s) after the previous one."""
        self.now += 30
        return pyotp.TOTP(self.secret).at(self.now)

    def same_code_again(self) -> str:
        """The code of the step already used (a replay)."""
        return pyotp.TOTP(self.secret).at(self.now)


@pytest.fixture
def app_clock(app: VaultRoomApp) -> Authenticator:
    """An authenticator whose clock the server's TOTP checks read."""
    authenticator = Authenticator(now=1_800_000_000.0)
    app.services.two_factor.clock = lambda: authenticator.now
    return authenticator


async def post(
    http: httpx.AsyncClient, url: str, user: RegisteredUser | None, body: Json
) -> httpx.Response:
    response = await http.post(url, json=body, headers=user.headers if user else None)
    http.cookies.clear()
    return response


async def enrol(http: httpx.AsyncClient, user: RegisteredUser, app_: Authenticator) -> None:
    """Turn two-factor on for ``user`` with ``app_``, keeping the recovery codes."""
    setup = await post(http, "/api/auth/2fa/setup", user, {"password": user.password})
    assert setup.status_code == 200, setup.text
    app_.secret = setup.json()["secret"]
    enabled = await post(http, "/api/auth/2fa/enable", user, {"code": app_.code()})
    assert enabled.status_code == 200, enabled.text
    app_.recovery_codes = enabled.json()["recovery_codes"]


async def password_step(http: httpx.AsyncClient, user: RegisteredUser) -> str:
    """Sign in with the password; the account has two-factor on: the challenge."""
    response = await post(
        http, "/api/auth/login", None, {"login": user.username, "password": user.password}
    )
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["two_factor_required"] is True
    assert "token" not in body and "user" not in body
    assert "set-cookie" not in response.headers
    challenge: str = body["challenge"]
    return challenge


async def code_step(http: httpx.AsyncClient, challenge: str, code: str) -> httpx.Response:
    return await post(http, "/api/auth/login/2fa", None, {"challenge": challenge, "code": code})


async def status_of(http: httpx.AsyncClient, user: RegisteredUser) -> Json:
    response = await http.get("/api/auth/2fa", headers=user.headers)
    assert response.status_code == 200, response.text
    body: Json = response.json()
    return body


async def events_of(app: VaultRoomApp, user: RegisteredUser) -> list[AuditEvent]:
    async with app.services.db.snapshot() as session:
        rows = await session.scalars(
            select(AuditEvent).where(AuditEvent.user_id == user.id).order_by(AuditEvent.id)
        )
        return list(rows)


def assert_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code, response.text


async def test_enrolment_needs_the_password_and_a_code_of_the_new_secret(
    client: httpx.AsyncClient, users: UserFactory, app_clock: Authenticator, app: VaultRoomApp
) -> None:
    ann = await users.create("ann")
    assert await status_of(client, ann) == {
        "enabled": False,
        "enabled_at": None,
        "recovery_codes_left": 0,
    }
    wrong = await post(client, "/api/auth/2fa/setup", ann, {"password": "not my password!"})
    assert_error(wrong, 422, "wrong_password")
    assert set(wrong.json()["error"]["fields"]) == {"password"}
    no_setup = await post(client, "/api/auth/2fa/enable", ann, {"code": "123456"})
    assert_error(no_setup, 409, "two_factor_not_set_up")

    setup = await post(client, "/api/auth/2fa/setup", ann, {"password": DEFAULT_PASSWORD})
    assert setup.status_code == 200, setup.text
    body = setup.json()
    secret = body["secret"]
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    assert body["otpauth_uri"].startswith("otpauth://totp/VaultRoom:ann?")
    assert f"secret={secret}" in body["otpauth_uri"]
    assert body["qr_svg"].startswith('<svg xmlns="http://www.w3.org/2000/svg"')
    assert "<script" not in body["qr_svg"]
    # Not on before the first code: signing in still takes the password alone.
    assert (await status_of(client, ann))["enabled"] is False
    assert (await users.login("ann")).strip()

    app_clock.secret = secret
    wrong_code = await post(client, "/api/auth/2fa/enable", ann, {"code": "000000"})
    assert_error(wrong_code, 422, "invalid_code")
    other_secret = pyotp.TOTP(pyotp.random_base32()).at(app_clock.now)
    assert_error(
        await post(client, "/api/auth/2fa/enable", ann, {"code": other_secret}),
        422,
        "invalid_code",
    )
    enabled = await post(client, "/api/auth/2fa/enable", ann, {"code": app_clock.code()})
    assert enabled.status_code == 200, enabled.text
    codes = enabled.json()["recovery_codes"]
    assert len(codes) == 10 == len(set(codes))
    assert all(re.fullmatch(r"[a-z2-9]{5}-[a-z2-9]{5}", code) for code in codes)

    status = await status_of(client, ann)
    assert status["enabled"] is True and status["recovery_codes_left"] == 10
    assert status["enabled_at"] is not None
    again = await post(client, "/api/auth/2fa/setup", ann, {"password": DEFAULT_PASSWORD})
    assert_error(again, 409, "two_factor_enabled")
    kinds = [event.kind for event in await events_of(app, ann)]
    assert kinds.count("two_factor_enabled") == 1

    # Recovery codes are kept only as hashes.
    async with app.services.db.snapshot() as session:
        stored = list(await session.scalars(select(RecoveryCode.code_hash)))
    assert len(stored) == 10
    assert not {code.replace("-", "") for code in codes} & set(stored)
    assert not any(code in hashed for code in codes for hashed in stored)


async def test_a_setup_started_again_replaces_the_unconfirmed_secret(
    client: httpx.AsyncClient, users: UserFactory, app_clock: Authenticator
) -> None:
    ann = await users.create("ann")
    first = await post(client, "/api/auth/2fa/setup", ann, {"password": DEFAULT_PASSWORD})
    second = await post(client, "/api/auth/2fa/setup", ann, {"password": DEFAULT_PASSWORD})
    assert first.json()["secret"] != second.json()["secret"]
    app_clock.secret = first.json()["secret"]
    stale = await post(client, "/api/auth/2fa/enable", ann, {"code": app_clock.code()})
    assert_error(stale, 422, "invalid_code")
    app_clock.secret = second.json()["secret"]
    fresh = await post(client, "/api/auth/2fa/enable", ann, {"code": app_clock.code()})
    assert fresh.status_code == 200, fresh.text


async def test_signing_in_takes_the_password_then_a_code_used_once(
    client: httpx.AsyncClient, users: UserFactory, app_clock: Authenticator, app: VaultRoomApp
) -> None:
    ann = await users.create("ann")
    await enrol(client, ann, app_clock)

    challenge = await password_step(client, ann)
    assert_error(await code_step(client, challenge, "000000"), 401, "invalid_code")
    code = app_clock.code()
    signed_in = await code_step(client, challenge, f"{code[:3]} {code[3:]}")
    assert signed_in.status_code == 200, signed_in.text
    token = signed_in.json()["token"]
    assert signed_in.json()["user"]["id"] == ann.id
    assert "vaultroom_session" in signed_in.headers["set-cookie"]
    me = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200

    # The challenge is spent, and so is the code: a replay within its 30 s fails.
    spent = await code_step(client, challenge, app_clock.same_code_again())
    assert_error(spent, 401, "challenge_expired")
    replay = await code_step(client, await password_step(client, ann), app_clock.same_code_again())
    assert_error(replay, 401, "invalid_code")
    # A code of a step before an already used one is refused too.
    older = pyotp.TOTP(app_clock.secret).at(app_clock.now - 30)
    assert_error(
        await code_step(client, await password_step(client, ann), older), 401, "invalid_code"
    )

    events = await events_of(app, ann)
    successes = [event for event in events if event.kind == "login_success"]
    assert successes[-1].details == {
        "session_id": successes[-1].details["session_id"],  # type: ignore[index]
        "second_factor": "totp",
    }
    failures = [event for event in events if event.kind == "login_failure"]
    assert [event.details for event in failures] == [{"reason": "two_factor_code"}] * 3
    for event in events:
        text = str(event.details)
        assert app_clock.secret not in text and challenge not in text


async def test_a_wrong_password_never_reaches_the_code_step(
    client: httpx.AsyncClient, users: UserFactory, app_clock: Authenticator
) -> None:
    ann = await users.create("ann")
    await enrol(client, ann, app_clock)
    response = await post(
        client, "/api/auth/login", None, {"login": "ann", "password": "not the password!"}
    )
    assert_error(response, 401, "invalid_credentials")
    assert "challenge" not in response.text


async def test_each_recovery_code_signs_in_once(
    client: httpx.AsyncClient, users: UserFactory, app_clock: Authenticator, app: VaultRoomApp
) -> None:
    ann = await users.create("ann")
    await enrol(client, ann, app_clock)
    first, second = app_clock.recovery_codes[:2]

    # As typed by a person: upper case, spaces, no dash.
    typed = f" {first.replace('-', ' ').upper()} "
    response = await code_step(client, await password_step(client, ann), typed)
    assert response.status_code == 200, response.text
    again = await code_step(client, await password_step(client, ann), first)
    assert_error(again, 401, "invalid_code")
    # Another user's code is not this user's.
    bob = await users.create("bob")
    bob_app = Authenticator(now=app_clock.now)
    await enrol(client, bob, app_clock)  # the shared clock: bob's codes come from it too
    bob_app.recovery_codes = app_clock.recovery_codes
    foreign = await code_step(client, await password_step(client, ann), bob_app.recovery_codes[0])
    assert_error(foreign, 401, "invalid_code")
    assert (await code_step(client, await password_step(client, ann), second)).status_code == 200

    assert (await status_of(client, ann))["recovery_codes_left"] == 8
    used = [event for event in await events_of(app, ann) if event.kind == "recovery_code_used"]
    assert [event.details for event in used] == [{"codes_left": 9}, {"codes_left": 8}]


async def test_two_sign_ins_racing_with_one_recovery_code_let_exactly_one_in(
    client: httpx.AsyncClient, users: UserFactory, app_clock: Authenticator
) -> None:
    ann = await users.create("ann")
    await enrol(client, ann, app_clock)
    challenges = [await password_step(client, ann) for _ in range(4)]
    code = app_clock.recovery_codes[0]
    responses = await asyncio.gather(
        *(
            client.post("/api/auth/login/2fa", json={"challenge": challenge, "code": code})
            for challenge in challenges
        )
    )
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200, 401, 401, 401], [response.text for response in responses]


async def test_a_challenge_ends_after_too_many_wrong_codes_or_when_it_expires(
    client: httpx.AsyncClient, users: UserFactory, app_clock: Authenticator, app: VaultRoomApp
) -> None:
    attempts = app.services.settings.two_factor_challenge_attempts
    ann = await users.create("ann")
    await enrol(client, ann, app_clock)
    challenge = await password_step(client, ann)
    for _ in range(attempts - 1):
        assert_error(await code_step(client, challenge, "000000"), 401, "invalid_code")
    assert_error(await code_step(client, challenge, "000000"), 401, "challenge_expired")
    assert_error(await code_step(client, challenge, app_clock.code()), 401, "challenge_expired")

    # An unused challenge past its lifetime is refused, even with a right code.
    bob = await users.create("bob")
    await enrol(client, bob, app_clock)
    late = await password_step(client, bob)
    async with app.services.db.transaction() as session:
        await session.execute(
            update(LoginChallenge).values(expires_at=utcnow() - timedelta(seconds=1))
        )
    assert_error(await code_step(client, late, app_clock.code()), 401, "challenge_expired")


async def test_guessing_codes_is_throttled_like_guessing_passwords(
    client: httpx.AsyncClient, users: UserFactory, app_clock: Authenticator, app: VaultRoomApp
) -> None:
    """Five wrong codes over several challenges, then the account refuses sign-ins
    (429), the right password and code included, until the window has passed."""
    ann = await users.create("ann")
    await enrol(client, ann, app_clock)
    wrong = 0
    while wrong < 5:
        challenge = await password_step(client, ann)
        for _ in range(2):
            if wrong < 5:
                assert_error(await code_step(client, challenge, "000000"), 401, "invalid_code")
                wrong += 1
    blocked = await post(
        client, "/api/auth/login", None, {"login": "ann", "password": DEFAULT_PASSWORD}
    )
    assert_error(blocked, 429, "rate_limited")
    assert int(blocked.headers["Retry-After"]) >= 1


async def test_turning_off_needs_the_password_and_a_code(
    client: httpx.AsyncClient, users: UserFactory, app_clock: Authenticator, app: VaultRoomApp
) -> None:
    ann = await users.create("ann")
    not_on = await post(
        client, "/api/auth/2fa/disable", ann, {"password": DEFAULT_PASSWORD, "code": "123456"}
    )
    assert_error(not_on, 409, "two_factor_not_enabled")
    await enrol(client, ann, app_clock)
    pending = await password_step(client, ann)

    no_password = await post(
        client,
        "/api/auth/2fa/disable",
        ann,
        {"password": "not it at all", "code": app_clock.code()},
    )
    assert_error(no_password, 422, "wrong_password")
    no_code = await post(
        client, "/api/auth/2fa/disable", ann, {"password": DEFAULT_PASSWORD, "code": "000000"}
    )
    assert_error(no_code, 422, "invalid_code")
    assert (await status_of(client, ann))["enabled"] is True

    off = await post(
        client,
        "/api/auth/2fa/disable",
        ann,
        {"password": DEFAULT_PASSWORD, "code": app_clock.recovery_codes[3]},
    )
    assert off.status_code == 204, off.text
    assert await status_of(client, ann) == {
        "enabled": False,
        "enabled_at": None,
        "recovery_codes_left": 0,
    }
    assert (await users.login("ann")).strip()  # the password alone again
    # A sign-in that waited for a code when it was turned off is over.
    assert_error(await code_step(client, pending, app_clock.code()), 401, "challenge_expired")
    async with app.services.db.snapshot() as session:
        assert not list(await session.scalars(select(TwoFactor)))
        assert not list(await session.scalars(select(RecoveryCode)))
    disabled = [e for e in await events_of(app, ann) if e.kind == "two_factor_disabled"]
    assert [event.details for event in disabled] == [{"with": "recovery_code"}]


async def test_new_recovery_codes_replace_the_old_ones(
    client: httpx.AsyncClient, users: UserFactory, app_clock: Authenticator, app: VaultRoomApp
) -> None:
    ann = await users.create("ann")
    await enrol(client, ann, app_clock)
    old = app_clock.recovery_codes
    renewed = await post(
        client,
        "/api/auth/2fa/recovery-codes",
        ann,
        {"password": DEFAULT_PASSWORD, "code": app_clock.code()},
    )
    assert renewed.status_code == 200, renewed.text
    new = renewed.json()["recovery_codes"]
    assert len(new) == 10 and not set(new) & set(old)
    assert_error(
        await code_step(client, await password_step(client, ann), old[0]), 401, "invalid_code"
    )
    assert (await code_step(client, await password_step(client, ann), new[0])).status_code == 200
    kinds = [event.kind for event in await events_of(app, ann)]
    assert "recovery_codes_renewed" in kinds


async def test_a_password_change_ends_sign_ins_waiting_for_a_code(
    client: httpx.AsyncClient, users: UserFactory, app_clock: Authenticator
) -> None:
    ann = await users.create("ann")
    await enrol(client, ann, app_clock)
    pending = await password_step(client, ann)
    changed = await post(
        client,
        "/api/auth/password",
        ann,
        {"current_password": DEFAULT_PASSWORD, "new_password": "an entirely new passphrase"},
    )
    assert changed.status_code == 204, changed.text
    assert_error(await code_step(client, pending, app_clock.code()), 401, "challenge_expired")


@pytest.mark.parametrize(
    "body",
    [
        {"challenge": "x", "code": ""},
        {"challenge": "x", "code": "1" * 33},
        {"challenge": "x", "code": "12345<"},
        {"challenge": "", "code": "123456"},
        {"challenge": "x" * 513, "code": "123456"},
        {"code": "123456"},
    ],
)
async def test_malformed_second_steps_get_the_error_shape(
    client: httpx.AsyncClient, body: Json
) -> None:
    response = await client.post("/api/auth/login/2fa", json=body)
    assert_error(response, 422, "invalid_input")
    assert response.json()["error"]["fields"]


async def test_concurrent_code_guesses_cannot_pass_the_account_limit(
    client: httpx.AsyncClient, users: UserFactory, app_clock: Authenticator, app: VaultRoomApp
) -> None:
    """Twenty wrong codes at once over four challenges: each is counted before it is
    checked, so only the account's five failures are checked at all."""
    ann = await users.create("ann")
    await enrol(client, ann, app_clock)
    challenges = [await password_step(client, ann) for _ in range(4)]
    responses = await asyncio.gather(
        *(
            client.post("/api/auth/login/2fa", json={"challenge": challenge, "code": "000000"})
            for challenge in challenges
            for _ in range(5)
        )
    )
    statuses = [response.status_code for response in responses]
    assert statuses.count(401) == 5, statuses
    assert statuses.count(429) == 15, statuses
    failures = [e for e in await events_of(app, ann) if e.kind == "login_failure"]
    assert len(failures) == 5


async def test_right_passwords_and_codes_use_up_no_failures(
    client: httpx.AsyncClient, users: UserFactory, app_clock: Authenticator, app: VaultRoomApp
) -> None:
    """Eight complete sign-ins in a row (the limit is five failures): none is refused,
    and each right password is in the owner's log even without its code."""
    ann = await users.create("ann")
    await enrol(client, ann, app_clock)
    for _ in range(8):
        response = await code_step(client, await password_step(client, ann), app_clock.code())
        assert response.status_code == 200, response.text
    await password_step(client, ann)  # a right password with no code after it
    kinds = [event.kind for event in await events_of(app, ann)]
    assert kinds.count("two_factor_challenge") == 9
    assert kinds.count("login_success") == 8


async def test_a_code_used_by_two_sign_ins_at_once_lets_one_in(
    client: httpx.AsyncClient, users: UserFactory, app_clock: Authenticator
) -> None:
    ann = await users.create("ann")
    await enrol(client, ann, app_clock)
    challenges = [await password_step(client, ann) for _ in range(3)]
    code = app_clock.code()
    responses = await asyncio.gather(
        *(
            client.post("/api/auth/login/2fa", json={"challenge": challenge, "code": code})
            for challenge in challenges
        )
    )
    assert sorted(response.status_code for response in responses) == [200, 401, 401]


async def test_codes_one_step_off_are_accepted_and_further_ones_not(
    client: httpx.AsyncClient, users: UserFactory, app_clock: Authenticator
) -> None:
    ann = await users.create("ann")
    await enrol(client, ann, app_clock)
    totp = pyotp.TOTP(app_clock.secret)
    app_clock.now += 300  # the server's clock; the app's codes are taken around it
    for offset, accepted in [(-60, False), (-30, True), (60, False), (30, True)]:
        response = await code_step(
            client, await password_step(client, ann), totp.at(app_clock.now + offset)
        )
        assert (response.status_code == 200) is accepted, (offset, response.text)


async def test_wrong_codes_at_enrolment_count_as_failed_sign_ins_and_a_set_up_expires(
    client: httpx.AsyncClient, users: UserFactory, app_clock: Authenticator, app: VaultRoomApp
) -> None:
    ann = await users.create("ann")
    setup = await post(client, "/api/auth/2fa/setup", ann, {"password": DEFAULT_PASSWORD})
    app_clock.secret = setup.json()["secret"]
    for _ in range(5):
        wrong = await post(client, "/api/auth/2fa/enable", ann, {"code": "000000"})
        assert_error(wrong, 422, "invalid_code")
    blocked = await post(client, "/api/auth/2fa/enable", ann, {"code": app_clock.code()})
    assert_error(blocked, 429, "rate_limited")
    signing_in = await post(
        client, "/api/auth/login", None, {"login": "ann", "password": DEFAULT_PASSWORD}
    )
    assert_error(signing_in, 429, "rate_limited")

    bob = await users.create("bob")
    setup = await post(client, "/api/auth/2fa/setup", bob, {"password": DEFAULT_PASSWORD})
    app_clock.secret = setup.json()["secret"]
    lifetime = app.services.settings.two_factor_setup_seconds
    async with app.services.db.transaction() as session:
        await session.execute(
            update(TwoFactor)
            .where(TwoFactor.user_id == bob.id)
            .values(created_at=utcnow() - timedelta(seconds=lifetime + 1))
        )
    late = await post(client, "/api/auth/2fa/enable", bob, {"code": app_clock.code()})
    assert_error(late, 409, "two_factor_not_set_up")


async def test_wrong_passwords_to_confirm_a_change_are_throttled_and_logged(
    client: httpx.AsyncClient, users: UserFactory, app_clock: Authenticator, app: VaultRoomApp
) -> None:
    """A stolen session cannot guess the password behind it through these routes."""
    ann = await users.create("ann")
    await enrol(client, ann, app_clock)
    for _ in range(5):
        wrong = await post(
            client, "/api/auth/2fa/disable", ann, {"password": "guess guess guess", "code": "1"}
        )
        assert_error(wrong, 422, "wrong_password")
    blocked = await post(
        client,
        "/api/auth/2fa/recovery-codes",
        ann,
        {"password": DEFAULT_PASSWORD, "code": app_clock.code()},
    )
    assert_error(blocked, 429, "rate_limited")
    failures = [e for e in await events_of(app, ann) if e.kind == "login_failure"]
    assert [event.details for event in failures] == [{"reason": "password_confirmation"}] * 5
