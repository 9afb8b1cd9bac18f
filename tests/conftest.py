"""Shared fixtures: each test runs on SQLite and, when reachable, on PostgreSQL.

PostgreSQL is at ``VAULTROOM_TEST_POSTGRES_URL`` (default the machine's local
server, database ``test``). When it is not reachable the PostgreSQL variants are
skipped with the reason, unless ``VAULTROOM_TEST_REQUIRE_SERVICES=1`` makes that
a failure (CI sets it).
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy.engine import make_url

from tests.factories import UserFactory
from vaultroom.app import VaultRoomApp, create_app
from vaultroom.migrations.runner import upgrade_to_head
from vaultroom.models import Base
from vaultroom.settings import Settings

POSTGRES_URL = os.environ.get(
    "VAULTROOM_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
REQUIRE_SERVICES = os.environ.get("VAULTROOM_TEST_REQUIRE_SERVICES") == "1"
BACKENDS = ["sqlite", "postgresql"]


def _asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def service_unavailable(what: str, reason: str) -> None:
    """Skip (or fail, when services are required) because a service is not reachable."""
    message = f"{what} not reachable: {reason}"
    if REQUIRE_SERVICES:
        pytest.fail(f"{message} (VAULTROOM_TEST_REQUIRE_SERVICES=1)")
    pytest.skip(message)


async def _admin(sql: str) -> None:
    connection = await asyncpg.connect(_asyncpg_dsn(POSTGRES_URL), timeout=5)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test session, dropped at the end."""
    name = f"vaultroom_test_{uuid.uuid4().hex[:12]}"
    try:
        asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        service_unavailable(f"PostgreSQL at {make_url(POSTGRES_URL).host}", repr(exc))
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    upgrade_to_head(url)
    yield url
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file that each test copies (faster than migrating every time)."""
    path = tmp_path_factory.mktemp("template") / "vaultroom.db"
    upgrade_to_head(f"sqlite+aiosqlite:///{path}")
    return path


async def _truncate_all(url: str) -> None:
    tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    connection = await asyncpg.connect(_asyncpg_dsn(url))
    try:
        await connection.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    finally:
        await connection.close()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty, migrated database of each backend, isolated per test."""
    if request.param == "sqlite":
        target = tmp_path / "vaultroom.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), target)
        return f"sqlite+aiosqlite:///{target}"
    url: str = request.getfixturevalue("postgres_url")
    asyncio.run(_truncate_all(url))
    return url


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """Settings for a test node: its own database, no web build needed."""
    return Settings(database_url=database_url, web_dir=tmp_path / "web")


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[VaultRoomApp]:
    """The real ASGI app, with its lifespan running."""
    application = create_app(settings)
    async with LifespanManager(application):
        yield application


@pytest.fixture
async def client(app: VaultRoomApp) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the app in process (cookies kept, like a browser)."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
def users(client: httpx.AsyncClient) -> UserFactory:
    """Registers users through the API and hands back their tokens."""
    return UserFactory(client)


def pytest_report_header() -> list[str]:
    """Say which databases the parametrised tests run on."""
    where = make_url(POSTGRES_URL).render_as_string(hide_password=True)
    required = "required" if REQUIRE_SERVICES else "skipped when unreachable"
    return [f"vaultroom databases: sqlite (temporary files), postgresql at {where} ({required})"]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Count outcomes per database, so that the PostgreSQL runs are visible."""
    counts: dict[str, dict[str, int]] = {}
    for outcome in ("passed", "failed", "skipped", "error"):
        for report in terminalreporter.stats.get(outcome, []):
            if getattr(report, "when", "call") not in {"call", "setup"}:
                continue
            if outcome == "passed" and report.when != "call":
                continue
            for backend in BACKENDS:
                if re.search(rf"[\[-]{backend}[\]-]", report.nodeid):
                    per = counts.setdefault(backend, {})
                    per[outcome] = per.get(outcome, 0) + 1
    if counts:
        terminalreporter.section("tests per database")
        for backend in BACKENDS:
            per = counts.get(backend, {})
            summary = ", ".join(f"{n} {outcome}" for outcome, n in sorted(per.items())) or "none"
            terminalreporter.write_line(f"{backend}: {summary}")
