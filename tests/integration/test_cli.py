"""The ``vaultroom`` command, run for real in subprocesses: migrate, create-user, serve."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
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

COMMAND_TIMEOUT_SECONDS = 120
READY_TIMEOUT_SECONDS = 60  # a bound for polling, never asserted on
STOP_TIMEOUT_SECONDS = 20
ADMIN_PASSWORD = "correct horse battery staple on a boat"
# uvicorn shuts down gracefully on SIGTERM, then re-raises the signal, so a clean
# stop ends "killed by SIGTERM" (never by the SIGKILL of a stop that timed out).
CLEAN_EXITS = {0, -signal.SIGTERM}


def base_env(**variables: str) -> dict[str, str]:
    """This environment without any VAULTROOM_* setting, plus ``variables``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("VAULTROOM_")}
    env.update(variables)
    return env


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


def free_ports(count: int) -> list[int]:
    """Ports nobody listens on right now (all held open together, so they differ)."""
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]


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


def test_create_user_makes_an_admin_from_a_password_on_stdin(
    tmp_path: Path, sqlite_env: dict[str, str]
) -> None:
    result = run_cli(
        "create-user",
        "bob",
        "bob@example.com",
        "--admin",
        "--password-stdin",
        cwd=tmp_path,
        env=sqlite_env,
        stdin=f"{ADMIN_PASSWORD}\n",
    )

    assert result.returncode == 0, result.stderr
    assert "Created admin bob" in result.stdout
    assert ADMIN_PASSWORD not in result.stdout + result.stderr


def test_create_user_without_admin_makes_a_plain_user(
    tmp_path: Path, sqlite_env: dict[str, str]
) -> None:
    result = run_cli(
        "create-user",
        "carol",
        "carol@example.com",
        "--password-stdin",
        cwd=tmp_path,
        env=sqlite_env,
        stdin=f"{ADMIN_PASSWORD}\n",
    )

    assert result.returncode == 0, result.stderr
    assert "Created user carol" in result.stdout


def test_create_user_refuses_a_common_password(tmp_path: Path, sqlite_env: dict[str, str]) -> None:
    result = run_cli(
        "create-user",
        "bob",
        "bob@example.com",
        "--password-stdin",
        cwd=tmp_path,
        env=sqlite_env,
        stdin="password123\n",
    )

    assert result.returncode == 2
    assert "too common" in result.stderr
    assert "Created" not in result.stdout


def test_create_user_refuses_an_invalid_username(
    tmp_path: Path, sqlite_env: dict[str, str]
) -> None:
    result = run_cli(
        "create-user",
        "no spaces allowed!",
        "bob@example.com",
        "--password-stdin",
        cwd=tmp_path,
        env=sqlite_env,
        stdin=f"{ADMIN_PASSWORD}\n",
    )

    assert result.returncode == 2
    assert "username" in result.stderr
    assert "Created" not in result.stdout


def test_create_user_refuses_a_taken_username(tmp_path: Path, sqlite_env: dict[str, str]) -> None:
    arguments = ("create-user", "bob", "bob@example.com", "--password-stdin")
    first = run_cli(*arguments, cwd=tmp_path, env=sqlite_env, stdin=f"{ADMIN_PASSWORD}\n")
    assert first.returncode == 0, first.stderr

    result = run_cli(*arguments, cwd=tmp_path, env=sqlite_env, stdin=f"{ADMIN_PASSWORD}\n")

    assert result.returncode == 2
    assert "taken" in result.stderr


# --- serve -----------------------------------------------------------------------------------


@dataclass
class Node:
    """A ``vaultroom serve`` process and where it listens."""

    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def output(self) -> str:
        """What the process printed so far (for failure messages)."""
        return self.log.read_text(errors="replace")

    def wait_ready(self) -> None:
        """Poll ``/healthz`` and ``/readyz`` until both answer 200; fail if the process dies."""
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while True:
            if self.process.poll() is not None:
                pytest.fail(f"serve exited with {self.process.returncode}:\n{self.output()}")
            try:
                health = httpx.get(f"{self.url}/healthz", timeout=5)
                ready = httpx.get(f"{self.url}/readyz", timeout=5)
            except httpx.TransportError:
                pass
            else:
                if health.status_code == 200 and ready.status_code == 200:
                    assert health.json() == {"status": "ok"}
                    assert ready.json()["checks"]["database"] == "ok"
                    return
            if time.monotonic() > deadline:
                pytest.fail(f"serve at {self.url} never became ready:\n{self.output()}")
            time.sleep(0.2)

    def stop(self) -> int:
        """SIGTERM, wait, kill if it does not stop; the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


@dataclass
class Nodes:
    """Starts ``serve`` processes and stops every one of them at the end."""

    log_dir: Path
    started: list[Node] = field(default_factory=list)

    def start(self, *, port: int, cwd: Path, env: dict[str, str]) -> Node:
        """Start ``python -m vaultroom serve`` on ``port``."""
        log = self.log_dir / f"serve-{port}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "vaultroom", "serve"],
                cwd=cwd,
                env={**env, "VAULTROOM_PORT": str(port)},
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        node = Node(process=process, url=f"http://127.0.0.1:{port}", log=log)
        self.started.append(node)
        return node

    def stop_all(self) -> list[int]:
        """Stop every node; their exit statuses."""
        return [node.stop() for node in self.started]


@pytest.fixture
def nodes(tmp_path: Path) -> Iterator[Nodes]:
    """``serve`` processes, all terminated in teardown."""
    log_dir = tmp_path / "logs"
    log_dir.mkdir()
    started = Nodes(log_dir=log_dir)
    try:
        yield started
    finally:
        started.stop_all()


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

    created = run_cli(
        "create-user",
        "bob",
        "bob@example.com",
        "--admin",
        "--password-stdin",
        cwd=tmp_path,
        env=env,
        stdin=f"{ADMIN_PASSWORD}\n",
    )
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
