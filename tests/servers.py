"""Real ``vaultroom serve`` processes for tests: start, wait until ready, stop."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

READY_TIMEOUT_SECONDS = 60  # a bound for polling, never asserted on
STOP_TIMEOUT_SECONDS = 20
# uvicorn shuts down gracefully on SIGTERM, then re-raises the signal, so a clean
# stop ends "killed by SIGTERM" (never by the SIGKILL of a stop that timed out).
CLEAN_EXITS = {0, -signal.SIGTERM}


def base_env(**variables: str) -> dict[str, str]:
    """This environment without any VAULTROOM_* setting, plus ``variables``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("VAULTROOM_")}
    env.update(variables)
    return env


def free_ports(count: int) -> list[int]:
    """Ports nobody listens on right now (all held open together, so they differ)."""
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]


@dataclass
class Node:
    """A ``vaultroom serve`` process and where it listens."""

    process: subprocess.Popen[bytes]
    url: str
    log: Path
    # How clients check the server's certificate when it serves HTTPS (a context
    # trusting the test's certificate authority).
    verify: ssl.SSLContext | bool = True

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
                health = httpx.get(f"{self.url}/healthz", timeout=5, verify=self.verify)
                ready = httpx.get(f"{self.url}/readyz", timeout=5, verify=self.verify)
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

    def start(
        self,
        *,
        port: int,
        cwd: Path,
        env: dict[str, str],
        args: Sequence[str] = (),
        url: str | None = None,
        verify: ssl.SSLContext | bool = True,
    ) -> Node:
        """Start ``python -m vaultroom serve ARGS`` on ``port``.

        ``url`` is where clients reach it (default ``http://127.0.0.1:PORT``);
        ``verify`` how they check its certificate over HTTPS.
        """
        log = self.log_dir / f"serve-{port}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(  # noqa: S603 - our interpreter, the tests' arguments
                [sys.executable, "-m", "vaultroom", "serve", *args],
                cwd=cwd,
                env={**env, "VAULTROOM_PORT": str(port)},
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        node = Node(process=process, url=url or f"http://127.0.0.1:{port}", log=log, verify=verify)
        self.started.append(node)
        return node

    def stop_all(self) -> list[int]:
        """Stop every node; their exit statuses."""
        return [node.stop() for node in self.started]
