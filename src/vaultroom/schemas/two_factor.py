"""Requests and responses of two-factor sign-in (TOTP and recovery codes)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from vaultroom.security.password_policy import MAX_PASSWORD_LENGTH
from vaultroom.security.tokens import MAX_TOKEN_LENGTH

CurrentPassword = Annotated[str, Field(min_length=1, max_length=MAX_PASSWORD_LENGTH)]
# A 6-digit TOTP code or a recovery code; spaces and dashes are ignored.
Code = Annotated[
    str,
    StringConstraints(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9 \-]+$"),
    Field(description="A 6-digit code from the authenticator app, or a recovery code"),
]


class TwoFactorStatusOut(BaseModel):
    """Whether the caller signs in with a second factor."""

    enabled: bool
    enabled_at: datetime | None
    recovery_codes_left: int


class TwoFactorSetupIn(BaseModel):
    """Start an enrolment: the password again, as for any change of credentials."""

    password: CurrentPassword


class TwoFactorSetupOut(BaseModel):
    """The new secret, for the authenticator app: as a QR code, a URI, or to type in."""

    secret: str
    otpauth_uri: str
    qr_svg: str


class TwoFactorEnableIn(BaseModel):
    """The first code from the app, which proves it holds the secret."""

    code: Code


class TwoFactorConfirmIn(BaseModel):
    """The password and a code (TOTP or recovery), to turn off or renew recovery codes."""

    password: CurrentPassword
    code: Code


class RecoveryCodesOut(BaseModel):
    """Ten single-use recovery codes, shown this once."""

    recovery_codes: list[str]


class TwoFactorChallengeOut(BaseModel):
    """The password was right; finish with ``POST /api/auth/login/2fa`` before
    ``expires_at``."""

    two_factor_required: Literal[True] = True
    challenge: str
    expires_at: datetime


class LoginSecondStepIn(BaseModel):
    """The second step of a sign-in: the challenge and a TOTP or recovery code."""

    challenge: Annotated[str, Field(min_length=1, max_length=MAX_TOKEN_LENGTH)]
    code: Code
