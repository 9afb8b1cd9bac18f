"""Which passwords are refused: too short or long, too common, or the account's own name.

No composition rules (NIST SP 800-63B). The common list is the top 10,000 of the
password frequency list that the ``zxcvbn`` package ships, so nothing is
downloaded at run time.
"""

from __future__ import annotations

from functools import cache

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 256
COMMON_PASSWORDS_CHECKED = 10_000


@cache
def _common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS  # large module: load on first use

    ranked: list[str] = FREQUENCY_LISTS["passwords"]
    return frozenset(word.lower() for word in ranked[:COMMON_PASSWORDS_CHECKED])


def password_problem(password: str, *, username: str, email: str) -> str | None:
    """Why ``password`` is refused for this account, or ``None`` if it is acceptable."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Use at least {MIN_PASSWORD_LENGTH} characters."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Use at most {MAX_PASSWORD_LENGTH} characters."
    lowered = password.lower()
    if lowered in {username.lower(), email.lower(), email.split("@", 1)[0].lower()}:
        return "The password must not be your username or email."
    if lowered in _common_passwords():
        return "This password is too common; choose a less predictable one."
    return None
