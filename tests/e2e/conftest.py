"""A real VaultRoom server process serving the built web app, and Debian's Chromium."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright

from tests.conftest import REQUIRE_SERVICES, service_unavailable
from tests.servers import Nodes, base_env, free_ports
from vaultroom.settings import PACKAGE_DIR

CHROMIUM = os.environ.get("VAULTROOM_TEST_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``vaultroom serve`` in its own process, on a fresh SQLite database."""
    if not (PACKAGE_DIR / "web" / "index.html").is_file():
        message = "the web app is not built (run `make test`, which builds it)"
        if REQUIRE_SERVICES:
            pytest.fail(message)
        pytest.skip(message)
    workdir = tmp_path_factory.mktemp("server")
    nodes = Nodes(log_dir=workdir)
    env = base_env(VAULTROOM_DATABASE_URL=f"sqlite+aiosqlite:///{workdir / 'vaultroom.db'}")
    try:
        node = nodes.start(port=free_ports(1)[0], cwd=workdir, env=env)
        node.wait_ready()
        yield node.url
    finally:
        nodes.stop_all()


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    """The Playwright driver (its own browser downloads are never used)."""
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Headless Debian Chromium."""
    if not Path(CHROMIUM).is_file():
        service_unavailable(f"Chromium at {CHROMIUM}", "not installed (apt-get install chromium)")
    chromium = playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    yield chromium
    chromium.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where screenshots are saved (``test-artifacts/``, not committed)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
