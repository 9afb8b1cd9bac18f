"""A real VaultRoom server process serving the built web app, and Debian's Chromium."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright, expect, sync_playwright

from tests.conftest import REQUIRE_SERVICES, service_unavailable
from tests.e2e.chat import LIVE
from tests.e2e.people import People
from tests.servers import CLEAN_EXITS, Node, Nodes, base_env, free_ports
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
# Presence changes show within a second of a page closing, and seeding hundreds of
# messages (and the requests of many people at once) is not throttled; argon2 already
# runs at its minimum costs by default. (Loopback is exempt from the per-address limits.)
TEST_SETTINGS = {
    "VAULTROOM_PRESENCE_GRACE_SECONDS": "0.5",
    "VAULTROOM_SEND_RATE_LIMIT": "100000/second",
    "VAULTROOM_REST_RATE_LIMIT": "100000/second",
    "VAULTROOM_SOCKET_EVENT_RATE_LIMIT": "100000/second",
}
# Most of what the tests wait for travels through the server, on a shared machine.
expect.set_options(timeout=LIVE)


@dataclass
class Server:
    """``vaultroom serve`` on one port and one SQLite file, which a test may restart."""

    nodes: Nodes
    workdir: Path
    port: int
    env: dict[str, str]
    node: Node | None = field(default=None)

    @property
    def url(self) -> str:
        """Where the browser and the REST clients reach it."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start the process and wait until it is ready."""
        self.node = self.start_node(self.port)

    def stop(self) -> None:
        """Stop the process, which must shut down cleanly."""
        assert self.node is not None
        self.stop_node(self.node)
        self.node = None

    def start_node(self, port: int) -> Node:
        """Another ``serve`` process on ``port``, same database and settings, once ready."""
        node = self.spawn_node(port)
        node.wait_ready()
        return node

    def spawn_node(self, port: int) -> Node:
        """Another ``serve`` process on ``port``, same database and settings, still starting."""
        return self.nodes.start(port=port, cwd=self.workdir, env=self.env)

    @staticmethod
    def stop_node(node: Node) -> None:
        """Stop a process from ``start_node``, which must shut down cleanly."""
        status = node.stop()
        assert status in CLEAN_EXITS, node.output()


def run_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Start a server on a fresh SQLite database; stop every process it started."""
    if not (PACKAGE_DIR / "web" / "index.html").is_file():
        message = "the web app is not built (run `make test`, which builds it)"
        if REQUIRE_SERVICES:
            pytest.fail(message)
        pytest.skip(message)
    workdir = tmp_path_factory.mktemp("server")
    # A copy of the build, so that rebuilding the web app meanwhile cannot break a run.
    web_dir = shutil.copytree(PACKAGE_DIR / "web", workdir / "web")
    env = base_env(
        VAULTROOM_DATABASE_URL=f"sqlite+aiosqlite:///{workdir / 'vaultroom.db'}",
        VAULTROOM_WEB_DIR=str(web_dir),
        **TEST_SETTINGS,
    )
    nodes = Nodes(log_dir=workdir)
    running = Server(nodes=nodes, workdir=workdir, port=free_ports(1)[0], env=env)
    try:
        running.start()
        yield running
    finally:
        nodes.stop_all()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server for the modules that do not restart it (each test signs up new people)."""
    yield from run_server(tmp_path_factory)


@pytest.fixture(scope="module")
def server_url(server: Server) -> str:
    """The server's base URL."""
    return server.url


# Module scope, not session: the sync driver keeps an asyncio loop running in this
# thread until it stops, and the asyncio tests collected after tests/e2e need none.
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


@pytest.fixture
def people(browser: Browser, server_url: str) -> Iterator[People]:
    """Makes signed-in people, each with a browser context; all closed afterwards."""
    made = People(browser=browser, url=server_url)
    try:
        yield made
    finally:
        made.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where screenshots are saved (``test-artifacts/``, not committed)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
