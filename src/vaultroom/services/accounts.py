"""Accounts: registering, signing in, changing the password, creating users from the CLI."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from vaultroom.db import Database
from vaultroom.models import AuditKind, User, UserRole
from vaultroom.models.base import utcnow
from vaultroom.schemas.auth import LoginIn, PasswordChangeIn, RegisterIn
from vaultroom.schemas.two_factor import TwoFactorChallengeOut
from vaultroom.security.password_policy import password_problem
from vaultroom.security.passwords import PasswordHasher
from vaultroom.services import audit
from vaultroom.services.audit import AuditLog, attempted_login
from vaultroom.services.errors import Conflict, InvalidInput, Unauthorized
from vaultroom.services.sessions import AuthContext, ClientInfo, IssuedSession, SessionService
from vaultroom.services.throttles import Throttles
from vaultroom.services.two_factor import account_key, open_challenge
from vaultroom.settings import Settings
from vaultroom.store import sessions as sessions_store
from vaultroom.store import two_factor as two_factor_store
from vaultroom.store import users as users_store

WRONG_CREDENTIALS = "Wrong username, email or password."
WRONG_CURRENT_PASSWORD = "The current password is wrong."  # noqa: S105 - a message
WRONG_PASSWORD = "The password is wrong."  # noqa: S105 - a message


class AccountService:
    """Creates accounts and checks passwords."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        hasher: PasswordHasher,
        sessions: SessionService,
        throttles: Throttles,
        audit_log: AuditLog,
    ) -> None:
        self._db = db
        self._settings = settings
        self._hasher = hasher
        self._sessions = sessions
        self._throttles = throttles
        self._audit = audit_log

    async def register(self, data: RegisterIn, client: ClientInfo) -> IssuedSession:
        """Create an account and sign it in, in one transaction (attempts are limited
        per client address)."""
        await self._throttles.registration(client.ip)
        _user, issued = await self._create(
            username=data.username,
            email=str(data.email),
            password=data.password,
            display_name=data.display_name,
            role=UserRole.USER,
            client=client,
        )
        if issued is None:
            raise RuntimeError("registration opened no session")
        return issued

    async def create_user(
        self,
        *,
        username: str,
        email: str,
        password: str,
        display_name: str | None = None,
        role: UserRole = UserRole.USER,
    ) -> User:
        """Create an account without signing it in (the ``create-user`` command)."""
        user, _issued = await self._create(
            username=username,
            email=email,
            password=password,
            display_name=display_name,
            role=role,
            client=None,
        )
        return user

    async def _create(
        self,
        *,
        username: str,
        email: str,
        password: str,
        display_name: str | None,
        role: UserRole,
        client: ClientInfo | None,
    ) -> tuple[User, IssuedSession | None]:
        problem = password_problem(password, username=username, email=email)
        if problem:
            raise InvalidInput(problem, fields={"password": problem})
        await self._ensure_unique(username, email)
        password_hash = await self._hasher.hash(password)
        try:
            async with self._db.transaction() as session:
                user = await users_store.insert_user(
                    session,
                    username=username,
                    email=email,
                    password_hash=password_hash,
                    display_name=display_name,
                    role=role.value,
                )
                issued = None
                if client is not None:
                    issued = await self._sessions.open_session(session, user, client)
                await audit.record(
                    session,
                    AuditKind.REGISTER,
                    user_id=user.id,
                    client=client,
                    details={"role": role.value, "via": "api" if client is not None else "cli"},
                )
        except IntegrityError:
            # Someone took the name between the check and the insert.
            await self._ensure_unique(username, email)
            raise
        return user, issued

    async def _ensure_unique(self, username: str, email: str) -> None:
        async with self._db.snapshot() as session:
            if await users_store.username_taken(session, username):
                message = "This username is taken."
                raise Conflict(message, code="username_taken", fields={"username": message})
            if await users_store.email_taken(session, email):
                message = "An account already uses this email."
                raise Conflict(message, code="email_taken", fields={"email": message})

    async def login(
        self, data: LoginIn, client: ClientInfo
    ) -> IssuedSession | TwoFactorChallengeOut:
        """Sign in by username or email; unknown user and wrong password look the same,
        and so do their throttles (429 after too many failures, for either). An account
        with two-factor on gets a challenge instead of a session (see ``two_factor``)."""
        async with self._db.snapshot() as session:
            user = await users_store.find_user_by_login(session, data.login)
        key = account_key(user.id) if user is not None else f"login:{attempted_login(data.login)}"
        async with self._throttles.sign_in_attempt(key, client.ip) as attempt:
            stored_hash = user.password_hash if user is not None else None
            if not await self._hasher.verify(stored_hash, data.password) or user is None:
                attempt.fail()
                await self._audit.record_alone(
                    AuditKind.LOGIN_FAILURE,
                    user_id=user.id if user is not None else None,
                    client=client,
                    details=None if user is not None else {"login": attempted_login(data.login)},
                )
                raise Unauthorized(WRONG_CREDENTIALS, code="invalid_credentials")
        new_hash = None
        if self._hasher.needs_rehash(user.password_hash):
            new_hash = await self._hasher.hash(data.password)
        async with self._db.transaction() as session:
            # The row lock orders this sign-in with a concurrent password change:
            # either the change revokes this session, or this sees the new hash.
            if await users_store.lock_password_hash(session, user.id) != user.password_hash:
                raise Unauthorized(WRONG_CREDENTIALS, code="invalid_credentials")
            if new_hash is not None:
                await users_store.set_password_hash(session, user.id, new_hash)
            if await two_factor_store.is_enabled(session, user.id):
                # Recorded, so that the owner sees a right password they did not type.
                await audit.record(
                    session, AuditKind.TWO_FACTOR_CHALLENGE, user_id=user.id, client=client
                )
                return await open_challenge(session, user.id, self._settings)
            issued = await self._sessions.open_session(session, user, client)
            await audit.record(
                session,
                AuditKind.LOGIN_SUCCESS,
                user_id=user.id,
                client=client,
                details={"session_id": issued.session_id},
            )
            return issued

    async def change_password(
        self, caller: AuthContext, data: PasswordChangeIn, client: ClientInfo | None = None
    ) -> None:
        """Replace the caller's password and sign out every other session, atomically."""
        user = await self.check_password(
            caller.user.id, data.current_password, "current_password", client
        )
        problem = password_problem(data.new_password, username=user.username, email=user.email)
        if problem:
            raise InvalidInput(problem, fields={"new_password": problem})
        new_hash = await self._hasher.hash(data.new_password)
        async with self._db.transaction() as session:
            if await users_store.lock_password_hash(session, user.id) != user.password_hash:
                # changed by another session meanwhile
                raise self._wrong_password("current_password")
            await users_store.set_password_hash(session, user.id, new_hash)
            await two_factor_store.delete_challenges(session, user.id)
            revoked = await sessions_store.revoke_other_sessions(
                session, user_id=user.id, keep_session_id=caller.session_id, now=utcnow()
            )
            await audit.record(
                session,
                AuditKind.PASSWORD_CHANGE,
                user_id=user.id,
                client=client,
                details={"sessions_revoked": len(revoked)},
            )
        await self._sessions.notify_revoked(revoked)

    async def check_password(
        self, user_id: int, password: str, field: str, client: ClientInfo | None
    ) -> User:
        """The user, when ``password`` is theirs; else ``InvalidInput`` on ``field``. Wrong
        passwords count against the account's sign-in throttle, so a stolen session
        cannot be used to guess the password behind it."""
        ip = client.ip if client is not None else None
        async with self._throttles.sign_in_attempt(account_key(user_id), ip) as attempt:
            async with self._db.snapshot() as session:
                user = await users_store.get_user(session, user_id)
            if user is None or not await self._hasher.verify(user.password_hash, password):
                attempt.fail()
                await self._audit.record_alone(
                    AuditKind.LOGIN_FAILURE,
                    user_id=user_id,
                    client=client,
                    details={"reason": "password_confirmation"},
                )
                raise self._wrong_password(field)
            return user

    @staticmethod
    def _wrong_password(field: str) -> InvalidInput:
        message = WRONG_CURRENT_PASSWORD if field == "current_password" else WRONG_PASSWORD
        return InvalidInput(message, code="wrong_password", fields={field: message})
