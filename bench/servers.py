"""The servers under test, as subprocesses: VaultRoom (``vaultroom serve``) and the bare relay.

Each is started on a fresh database (VaultRoom) with its open-file limit raised to the
hard limit, and watched through /proc: CPU seconds and resident memory.
"""

from __future__ import annotations

import asyncio
import os
import resource
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
# After its last socket closes a user stays online this long (VaultRoom's default is 5 s;
# the bench server's is shorter so that the harness waits less between scenarios: a
# window starts only once the previous scenario's users went offline).
PRESENCE_GRACE_SECONDS = 1.0
ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"


def free_port() -> int:
    """A TCP port nobody listens on now (several benches may run on one machine)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def raise_nofile() -> None:
    """Raise this process's soft limit of open files to the hard limit."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def cpu_seconds(pid: int) -> float:
    """User + system CPU a process used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU seconds every core of the machine spent busy so far (all processes)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def rss_bytes(pid: int) -> int:
    """Resident memory of a process."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


@dataclass
class Server:
    """A running server under test."""

    kind: str  # "vaultroom" or "relay"
    database: str  # "sqlite", "postgresql" or "none"
    port: int
    process: subprocess.Popen[bytes]
    url: str = ""  # VaultRoom's database URL (the harness seeds accounts through it)

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def acks(self) -> bool:
        """Whether sends are acknowledged (the relay acks nothing)."""
        return self.kind == "vaultroom"

    def cpu(self) -> float:
        return cpu_seconds(self.pid)

    def rss(self) -> int:
        return rss_bytes(self.pid)

    def wait_ready(self, path: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        url = f"http://127.0.0.1:{self.port}{path}"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"the {self.kind} server exited ({self.process.returncode})")
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.2)
        raise SystemExit(f"the {self.kind} server never became ready")

    def check_alive(self) -> None:
        """Fail if the process exited (e.g. its port was taken: then another server answered)."""
        time.sleep(0.3)
        if self.process.poll() is not None:
            raise SystemExit(f"the {self.kind} server exited ({self.process.returncode})")

    def wait_quiet(self, below: float = 0.05, timeout: float = 20) -> bool:
        """Wait (bounded) until the server uses less than ``below`` of a core; whether it did."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            before = self.cpu()
            time.sleep(0.5)
            if (self.cpu() - before) / 0.5 < below:
                return True
        return False

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _spawn(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(  # noqa: S603 - our own interpreter and script
            command,
            env=env,
            cwd=log.parent,
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=raise_nofile,
        )


def start_vaultroom(database_url: str, port: int, workdir: Path) -> Server:
    """``vaultroom serve`` with the bench settings, on ``database_url``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VAULTROOM_")}
    env.update(
        VAULTROOM_DATABASE_URL=database_url,
        VAULTROOM_PORT=str(port),
        VAULTROOM_SEND_RATE_LIMIT="1000000/second",
        VAULTROOM_LOG_LEVEL="warning",
        VAULTROOM_PRESENCE_GRACE_SECONDS=str(PRESENCE_GRACE_SECONDS),
    )
    command = [sys.executable, "-m", "vaultroom", "serve"]
    process = _spawn(command, env, workdir / f"vaultroom-{port}.log")
    kind = database_url.split(":", 1)[0].split("+")[0]
    server = Server("vaultroom", kind, port, process, database_url)
    server.wait_ready("/readyz")
    server.check_alive()
    return server


def start_relay(port: int, workdir: Path) -> Server:
    """The bare python-socketio relay of ``relay.py``."""
    command = [sys.executable, str(BENCH_DIR / "relay.py"), "--port", str(port)]
    process = _spawn(command, dict(os.environ), workdir / f"relay-{port}.log")
    server = Server("relay", "none", port, process)
    server.wait_ready("/socket.io/?EIO=4&transport=polling")
    server.check_alive()
    return server


async def _admin(sql: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(ADMIN_DSN, timeout=5)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def postgres_reachable() -> bool:
    try:
        asyncio.run(_admin("SELECT 1"))
    except Exception:  # unreachable, refused, no such role: no PostgreSQL
        return False
    return True


@contextmanager
def fresh_database(kind: str, workdir: Path) -> Iterator[str]:
    """A new, empty database for one run: a SQLite file, or a PostgreSQL database dropped after."""
    if kind == "sqlite":
        yield f"sqlite+aiosqlite:///{workdir / f'bench-{uuid.uuid4().hex[:8]}.db'}"
        return
    name = f"vaultroom_bench_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
