"""A real VaultRoom server process serving the built web app, and Debian's Chromium."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright

from tests.conftest import REQUIRE_SERVICES, service_unavailable
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


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``vaultroom serve`` in its own process, on a fresh SQLite database."""
    if not (PACKAGE_DIR / "web" / "index.html").is_file():
        message = "the web app is not built (run `make test`, which builds it)"
        if REQUIRE_SERVICES:
            pytest.fail(message)
        pytest.skip(message)
    workdir = tmp_path_factory.mktemp("server")
    port = free_port()
    env = {
        **os.environ,
        "VAULTROOM_PORT": str(port),
        "VAULTROOM_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'vaultroom.db'}",
        "VAULTROOM_LOG_LEVEL": "warning",
    }
    log = (workdir / "server.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "vaultroom", "serve"], env=env, cwd=workdir, stdout=log, stderr=log
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            if process.poll() is not None:
                pytest.fail(f"the server exited: {(workdir / 'server.log').read_text()}")
            try:
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail("the server did not become ready")
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


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
