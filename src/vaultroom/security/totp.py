"""TOTP codes (RFC 6238, with ``pyotp``), their QR code, and recovery codes.

The TOTP secret has to be readable by the server to check a code, so it is stored as
is (as Zulip and Mattermost do); recovery codes are random and stored only as hashes.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import re
import secrets

import pyotp
import segno

SECRET_LENGTH = 32  # base32 characters: 160 bits, RFC 4226's recommended size
STEP_SECONDS = 30
# A code of the step before or after the current one is accepted too (clock drift).
DRIFT_STEPS = 1
RECOVERY_CODE_COUNT = 10
# 31 symbols without look-alikes (no 0/o, 1/l/i): 10 of them carry 49.5 bits.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
RECOVERY_CODE_LENGTH = 10
TOTP_PATTERN = re.compile(r"^[0-9]{6}$")


def new_secret() -> str:
    """A fresh random base32 TOTP secret."""
    return pyotp.random_base32(SECRET_LENGTH)


def provisioning_uri(secret: str, *, account: str, issuer: str) -> str:
    """The ``otpauth://`` URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=issuer)


def qr_svg(uri: str) -> str:
    """The URI as a standalone SVG QR code (black on white, readable in dark mode too)."""
    buffer = io.BytesIO()
    segno.make(uri, error="m").save(
        buffer, kind="svg", scale=4, border=4, dark="#000", light="#fff", xmldecl=False
    )
    return buffer.getvalue().decode("ascii")


def normalise_code(code: str) -> str:
    """A code as typed, without spaces and dashes, lowercased."""
    return re.sub(r"[\s-]", "", code).lower()


def is_totp_code(code: str) -> bool:
    """Whether a normalised code has the shape of a TOTP code (else: a recovery code)."""
    return TOTP_PATTERN.fullmatch(code) is not None


def matching_step(secret: str, code: str, now: float) -> int | None:
    """The time step whose code is ``code``, within the allowed drift, or None."""
    totp = pyotp.TOTP(secret, interval=STEP_SECONDS)
    current = totp.timecode(now)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def new_recovery_codes() -> list[str]:
    """Ten fresh recovery codes, shown once, as ``abcde-fghjk``."""
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


def hash_recovery_code(user_id: int, code: str) -> str:
    """What the database keeps of a recovery code. A fast hash is enough: the codes are
    random (49.5 bits), checks are throttled, and whoever reads the database reads the
    TOTP secret anyway. The user id keeps equal codes of two users apart."""
    data = f"{user_id}:{normalise_code(code)}".encode()
    return hashlib.sha256(data).hexdigest()
