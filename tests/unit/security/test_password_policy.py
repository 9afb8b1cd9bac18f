"""Which passwords are refused, and why."""

from __future__ import annotations

import pytest

from vaultroom.security.password_policy import password_problem


@pytest.mark.parametrize(
    "password",
    ["123456", "password", "qwerty123", "iloveyou", "Password1", "DRAGON", "sunshine"],
)
def test_common_passwords_are_refused_in_any_case(password: str) -> None:
    problem = password_problem(password, username="someone", email="someone@example.com")
    assert problem is not None


def test_the_username_itself_is_refused() -> None:
    assert password_problem("alice_wonder", username="alice_wonder", email="a@example.com")
    assert password_problem("A@Example.com", username="bob", email="a@example.com")


@pytest.mark.parametrize(
    "password",
    ["correct horse battery staple", "kj3!a9Zq", "mot de passe très long", "🔑🔑🔑🔑🔑🔑🔑🔑"],
)
def test_uncommon_passwords_of_any_composition_are_accepted(password: str) -> None:
    assert password_problem(password, username="alice", email="alice@example.com") is None


@pytest.mark.parametrize(("length", "ok"), [(7, False), (8, True), (256, True), (257, False)])
def test_length_bounds(length: int, ok: bool) -> None:
    password = ("zq9!" * 100)[:length]
    assert (password_problem(password, username="alice", email="a@example.com") is None) is ok
