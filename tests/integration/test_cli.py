"""The ``vaultroom`` command, run for real in subprocesses: migrate, create-user, serve."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.factories import DEFAULT_PASSWORD
from tests.integration.test_migrations import (
    create_postgres_database,
    drop_postgres_database,
    head_revision,
    postgres_fetch,
)
from tests.servers import CLEAN_EXITS, Nodes, base_env, free_ports

COMMAND_TIMEOUT_SECONDS = 120
ADMIN_PASSWORD = "correct horse battery staple on a boat"


def run_cli(
    *args: str, cwd: Path, env: dict[str, str], stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m vaultroom ARGS`` to completion."""
    return subprocess.run(  # noqa: S603 - our own interpreter and fixed arguments
        [sys.executable, "-m", "vaultroom", *args],
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT_SECONDS,
        check=False,
    )


def sqlite_url(path: Path) -> str:
    """The database URL of a SQLite file."""
    return f"sqlite+aiosqlite:///{path}"


# --- migrate and create-user -----------------------------------------------------------------


@pytest.fixture
def sqlite_env(tmp_path: Path) -> dict[str, str]:
    """An environment pointing the CLI at a SQLite file that does not exist yet."""
    return base_env(VAULTROOM_DATABASE_URL=sqlite_url(tmp_path / "db" / "vaultroom.db"))


def test_migrate_creates_the_database_and_reports_it_up_to_date(
    tmp_path: Path, sqlite_env: dict[str, str]
) -> None:
    database = tmp_path / "db" / "vaultroom.db"
    assert not database.exists()

    result = run_cli("migrate", cwd=tmp_path, env=sqlite_env)

    assert result.returncode == 0, result.stderr
    assert "up to date" in result.stdout
    assert database.is_file()
    with contextlib.closing(sqlite3.connect(database)) as connection:
        versions = [row[0] for row in connection.execute("SELECT version_num FROM alembic_version")]
    assert versions == [head_revision()]


def test_migrate_again_is_a_successful_no_op(tmp_path: Path, sqlite_env: dict[str, str]) -> None:
    assert run_cli("migrate", cwd=tmp_path, env=sqlite_env).returncode == 0

    result = run_cli("migrate", cwd=tmp_path, env=sqlite_env)

    assert result.returncode == 0, result.stderr
    assert "up to date" in result.stdout
    assert "Running upgrade" not in result.stderr + result.stdout


def create_user(
    tmp_path: Path, env: dict[str, str], *arguments: str, password: str = ADMIN_PASSWORD
) -> subprocess.CompletedProcess[str]:
    """``create-user ARGUMENTS --password-stdin`` with ``password`` on standard input."""
    return run_cli(
        "create-user", *arguments, "--password-stdin", cwd=tmp_path, env=env, stdin=f"{password}\n"
    )


@pytest.mark.parametrize(
    ("flags", "expected"), [(("--admin",), "Created admin bob"), ((), "Created user bob")]
)
def test_create_user_makes_an_admin_or_a_plain_user(
    tmp_path: Path, sqlite_env: dict[str, str], flags: tuple[str, ...], expected: str
) -> None:
    result = create_user(tmp_path, sqlite_env, "bob", "bob@example.com", *flags)

    assert result.returncode == 0, result.stderr
    assert expected in result.stdout
    assert ADMIN_PASSWORD not in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("username", "password", "complaint"),
    [("bob", "password123", "too common"), ("no spaces allowed!", ADMIN_PASSWORD, "username")],
)
def test_create_user_refuses_bad_input(
    tmp_path: Path, sqlite_env: dict[str, str], username: str, password: str, complaint: str
) -> None:
    result = create_user(tmp_path, sqlite_env, username, "bob@example.com", password=password)

    assert result.returncode == 2
    assert complaint in result.stderr
    assert "Created" not in result.stdout


def test_create_user_refuses_a_taken_username(tmp_path: Path, sqlite_env: dict[str, str]) -> None:
    first = create_user(tmp_path, sqlite_env, "bob", "bob@example.com")
    assert first.returncode == 0, first.stderr

    result = create_user(tmp_path, sqlite_env, "bob", "bob@example.com")

    assert result.returncode == 2
    assert "taken" in result.stderr


def test_reset_2fa_turns_two_factor_off_for_an_account(
    tmp_path: Path, sqlite_env: dict[str, str]
) -> None:
    assert create_user(tmp_path, sqlite_env, "bob", "bob@example.com").returncode == 0
    database = tmp_path / "db" / "vaultroom.db"
    with contextlib.closing(sqlite3.connect(database)) as connection, connection:
        (user_id,) = connection.execute("SELECT id FROM users WHERE username = 'bob'").fetchone()
        connection.execute(
            "INSERT INTO two_factor (user_id, secret, created_at, enabled_at) "
            "VALUES (?, 'JBSWY3DPEHPK3PXP', '2026-12-02 00:00:00', '2026-12-02 00:00:00')",
            (user_id,),
        )
        connection.execute(
            "INSERT INTO recovery_codes (user_id, code_hash) VALUES (?, 'x')", (user_id,)
        )

    result = run_cli("reset-2fa", "bob", cwd=tmp_path, env=sqlite_env)
    assert result.returncode == 0, result.stderr
    assert "now off for bob" in result.stdout
    with contextlib.closing(sqlite3.connect(database)) as connection:
        left = [
            connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608
            for table in ("two_factor", "recovery_codes")
        ]
        kinds = [row[0] for row in connection.execute("SELECT kind, details FROM audit_events")]
    assert left == [0, 0]
    assert kinds[-1] == "two_factor_disabled"

    again = run_cli("reset-2fa", "bob", cwd=tmp_path, env=sqlite_env)
    assert again.returncode == 0 and "already off" in again.stdout
    nobody = run_cli("reset-2fa", "nobody", cwd=tmp_path, env=sqlite_env)
    assert nobody.returncode == 2 and "No such user" in nobody.stderr


# --- serve -----------------------------------------------------------------------------------


def login(url: str, username: str, password: str) -> httpx.Response:
    """Sign in over REST."""
    return httpx.post(
        f"{url}/api/auth/login", json={"login": username, "password": password}, timeout=30
    )


def test_serve_migrates_the_default_sqlite_database_and_serves_the_api(
    tmp_path: Path, nodes: Nodes
) -> None:
    env = base_env()  # no VAULTROOM_DATABASE_URL: ./data/vaultroom.db under the cwd
    database = tmp_path / "data" / "vaultroom.db"
    assert not database.exists()
    [port] = free_ports(1)

    node = nodes.start(port=port, cwd=tmp_path, env=env)
    node.wait_ready()

    assert database.is_file()
    with contextlib.closing(sqlite3.connect(database)) as connection:
        versions = [row[0] for row in connection.execute("SELECT version_num FROM alembic_version")]
    assert versions == [head_revision()]

    created = create_user(tmp_path, env, "bob", "bob@example.com", "--admin")
    assert created.returncode == 0, created.stderr
    response = login(node.url, "bob", ADMIN_PASSWORD)
    assert response.status_code == 200, response.text
    assert response.json()["user"]["role"] == "admin"
    assert response.json()["user"]["username"] == "bob"

    assert node.stop() in CLEAN_EXITS, node.output()
    assert "Application shutdown complete" in node.output()
    assert "Traceback" not in node.output()


@pytest.fixture
def postgres_database_url() -> Iterator[str]:
    """A new, empty PostgreSQL database of this test (nodes migrate it themselves)."""
    url = create_postgres_database()
    try:
        yield url
    finally:
        drop_postgres_database(url)


def test_three_nodes_starting_at_once_on_one_postgresql_database(
    tmp_path: Path, nodes: Nodes, postgres_database_url: str
) -> None:
    env = base_env(VAULTROOM_DATABASE_URL=postgres_database_url)
    ports = free_ports(3)

    # Started together, so that they race to migrate the empty database.
    first, second, third = [nodes.start(port=port, cwd=tmp_path, env=env) for port in ports]
    for node in (first, second, third):
        node.wait_ready()

    versions = asyncio.run(postgres_fetch(postgres_database_url, "SELECT * FROM alembic_version"))
    assert [tuple(row) for row in versions] == [(head_revision(),)]
    registered = httpx.post(
        f"{first.url}/api/auth/register",
        json={"username": "dave", "email": "dave@example.com", "password": DEFAULT_PASSWORD},
        timeout=30,
    )
    assert registered.status_code == 201, registered.text
    signed_in = login(second.url, "dave", DEFAULT_PASSWORD)
    assert signed_in.status_code == 200, signed_in.text
    me = httpx.get(
        f"{third.url}/api/auth/me",
        headers={"Authorization": f"Bearer {signed_in.json()['token']}"},
        timeout=30,
    )
    assert me.status_code == 200, me.text
    assert me.json()["id"] == registered.json()["user"]["id"]

    statuses = nodes.stop_all()
    assert set(statuses) <= CLEAN_EXITS, [node.output() for node in nodes.started]
    for node in nodes.started:
        assert "Application shutdown complete" in node.output()
        assert "Traceback" not in node.output()
