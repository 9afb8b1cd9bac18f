"""TCP proxies in a process of their own, between the cluster's nodes and PostgreSQL/Redis.

    python -m tests.integration.cluster.tcp_proxy NAME=HOST:PORT ...

Prints one JSON line ``{NAME: listening port}``, then obeys commands read from stdin, one
per line, answering ``ok`` to each: ``cut NAME`` aborts every connection through that proxy
and stops listening (new connections are refused), ``restore NAME`` listens again on the
same port. It runs in its own process so that forwarding every query and every Redis
command of three nodes costs the test process (and its hundreds of clients) nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from typing import cast


class Forwarder:
    """Forwards connections on a local port to ``host:port`` until cut."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.target_port = port
        self.port = 0
        self.server: asyncio.Server | None = None
        self.transports: set[asyncio.Transport] = set()

    async def restore(self) -> None:
        """Listen (again, on the same port once one was chosen)."""
        if self.server is None:
            self.server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
            self.port = self.server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        """Refuse new connections and abort the open ones (both sides)."""
        if self.server is not None:
            self.server.close()
            self.server = None
        for transport in list(self.transports):
            transport.abort()
        self.transports.clear()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        client = cast(asyncio.Transport, writer.transport)
        self.transports.add(client)
        upstream: asyncio.Transport | None = None
        try:
            up_reader, up_writer = await asyncio.open_connection(self.host, self.target_port)
            upstream = cast(asyncio.Transport, up_writer.transport)
            self.transports.add(upstream)
            await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
        except (OSError, asyncio.CancelledError):
            pass  # upstream unreachable, or the proxy is exiting
        finally:
            for transport in (client, upstream):
                if transport is not None:
                    transport.abort()
                    self.transports.discard(transport)

    @staticmethod
    async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        try:
            while data := await source.read(65536):
                sink.write(data)
                await sink.drain()
        except (OSError, RuntimeError):
            pass
        finally:  # one direction ended: end the connection
            sink.transport.abort()


async def main(targets: list[str]) -> None:
    forwarders: dict[str, Forwarder] = {}
    for target in targets:
        name, _, address = target.partition("=")
        host, _, port = address.rpartition(":")
        forwarders[name] = Forwarder(host, int(port))
        await forwarders[name].restore()
    print(json.dumps({name: f.port for name, f in forwarders.items()}), flush=True)
    loop = asyncio.get_running_loop()
    while line := await loop.run_in_executor(None, sys.stdin.readline):
        command, _, name = line.strip().partition(" ")
        forwarder = forwarders.get(name)
        if forwarder is None or command not in {"cut", "restore"}:
            print(f"unknown command: {line.strip()}", flush=True)
            continue
        await (forwarder.cut() if command == "cut" else forwarder.restore())
        print("ok", flush=True)
    for forwarder in forwarders.values():
        await forwarder.cut()


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main(sys.argv[1:]))
