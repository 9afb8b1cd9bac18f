"""TOTP checks and recovery codes (``vaultroom.security.totp``)."""

from __future__ import annotations

import re

import pyotp

from vaultroom.security import totp

NOW = 1_800_000_015.0  # inside a step, 15 s from its start


def test_codes_of_the_steps_around_now_match_and_name_their_step() -> None:
    secret = totp.new_secret()
    app = pyotp.TOTP(secret)
    current = app.timecode(NOW)
    for offset in (-1, 0, 1):
        code = app.at(NOW + offset * 30)
        assert totp.matching_step(secret, code, NOW) == current + offset
    for offset in (-2, 2, 10):
        code = app.at(NOW + offset * 30)
        assert totp.matching_step(secret, code, NOW) is None
    assert totp.matching_step(totp.new_secret(), app.at(NOW), NOW) is None


def test_codes_are_read_as_typed() -> None:
    assert totp.normalise_code(" 123 456 ") == "123456"
    assert totp.is_totp_code(totp.normalise_code("123 456"))
    assert not totp.is_totp_code("12345")
    assert not totp.is_totp_code("1234567")
    assert totp.normalise_code("ABCDE-FGHJK") == "abcdefghjk"
    assert not totp.is_totp_code("abcdefghjk")


def test_recovery_codes_are_random_unambiguous_and_hashed_per_user() -> None:
    codes = totp.new_recovery_codes()
    assert len(set(codes)) == totp.RECOVERY_CODE_COUNT
    assert all(re.fullmatch(r"[a-hjkmnp-z2-9]{5}-[a-hjkmnp-z2-9]{5}", code) for code in codes)
    assert not set("".join(codes)) & set("01ilo")
    code = codes[0]
    assert totp.hash_recovery_code(1, code) == totp.hash_recovery_code(1, code.upper())
    assert totp.hash_recovery_code(1, code) != totp.hash_recovery_code(2, code)
    assert code.replace("-", "") not in totp.hash_recovery_code(1, code)


def test_the_secret_and_its_uri_suit_authenticator_apps() -> None:
    secret = totp.new_secret()
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    uri = totp.provisioning_uri(secret, account="ann", issuer="VaultRoom")
    assert uri == f"otpauth://totp/VaultRoom:ann?secret={secret}&issuer=VaultRoom"
    svg = totp.qr_svg(uri)
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"')
    assert "<script" not in svg and "href" not in svg
