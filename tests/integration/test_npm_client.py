"""An outside client built only on npm's socket.io-client talks to a real ``vaultroom serve``.

``tests/clients/chat_client.mjs`` uses no project code: it registers, opens a direct
conversation, sends and receives over Socket.IO, goes away, reconnects and resyncs as
the contract says. ``make install`` (and so ``make test``) installs its node_modules.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.test_migrations import create_postgres_database, drop_postgres_database
from tests.servers import CLEAN_EXITS, Nodes, base_env, free_ports

CLIENTS = Path(__file__).resolve().parents[1] / "clients"
CHAT_CLIENT = CLIENTS / "chat_client.mjs"
CLIENT_TIMEOUT_SECONDS = 90  # a bound so a stuck client cannot hang the suite, not a measurement
INSTALL_HINT = "run `make install` (it runs `npm ci` in tests/clients)"


def node_executable() -> str:
    """Node.js and the client's socket.io-client, or a failure saying how to install them."""
    node = shutil.which("node")
    if node is None:
        pytest.fail(f"node is not on PATH: install Node.js 20+, then {INSTALL_HINT}")
    if not (CLIENTS / "node_modules" / "socket.io-client" / "package.json").is_file():
        pytest.fail(f"tests/clients/node_modules has no socket.io-client: {INSTALL_HINT}")
    return node


@pytest.fixture(params=["sqlite", "postgresql"])
def serve_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database the server has never seen (it migrates it at start-up), on each backend."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'db' / 'vaultroom.db'}"
        return
    url = create_postgres_database()
    try:
        yield url
    finally:
        drop_postgres_database(url)


def test_a_plain_socket_io_client_sends_receives_and_resyncs_after_a_reconnect(
    tmp_path: Path, nodes: Nodes, serve_database_url: str
) -> None:
    node_path = node_executable()
    [port] = free_ports(1)
    server = nodes.start(
        port=port, cwd=tmp_path, env=base_env(VAULTROOM_DATABASE_URL=serve_database_url)
    )
    server.wait_ready()

    result = subprocess.run(  # noqa: S603 - Node.js and our own script, fixed arguments
        [node_path, str(CHAT_CLIENT), server.url],
        cwd=CLIENTS,
        env=base_env(CHAT_CLIENT_TIMEOUT_MS="30000"),
        capture_output=True,
        text=True,
        timeout=CLIENT_TIMEOUT_SECONDS,
        check=False,
    )

    assert result.returncode == 0, f"{result.stderr}\n--- server log ---\n{server.output()}"
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["ok"] is True
    assert summary["sent"] == [1, 2, 3, 4, 5]
    assert summary["live_received"] == [1]
    assert summary["resynced_after_seq"] == 1
    assert summary["resynced"] == [2, 3, 4]
    assert summary["retry_seq"] == 1
    assert server.stop() in CLEAN_EXITS, server.output()
    assert "Traceback" not in server.output()
