"""Cross-node fan-out: a 2-node cluster against a single node, same load, same run.

Both runs use a fresh PostgreSQL database. The single node has no Redis; the
cluster is two nodes sharing PostgreSQL and Redis, with every pair's sender on
node A and its receiver on node B, so every message crosses nodes. Prints both
results and the cluster's delivered-messages-per-second as a ratio of the
single node's (issue #5's target: at least 0.8).

    .venv/bin/python bench/cluster.py --pairs 100 --messages 30
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from messaging import run, start_server, wait_ready

from servers import fresh_database


def stop(servers: list[subprocess.Popen[bytes]]) -> None:
    for server in servers:
        server.terminate()
    for server in servers:
        server.wait(timeout=30)


def single_node(args: argparse.Namespace, workdir: Path) -> dict[str, object]:
    with fresh_database("postgresql", workdir) as database_url:
        server = start_server(database_url, args.port, workdir)
        url = f"http://127.0.0.1:{args.port}"
        try:
            asyncio.run(wait_ready(url))
            return asyncio.run(run(url, args.pairs, args.messages, [server.pid]))
        finally:
            stop([server])


def two_nodes(args: argparse.Namespace, workdir: Path) -> dict[str, object]:
    cluster = {
        "VAULTROOM_REDIS_URL": args.redis_url,
        "VAULTROOM_REDIS_PREFIX": f"bench{uuid.uuid4().hex[:8]}:",
    }
    with fresh_database("postgresql", workdir) as database_url:
        first = start_server(database_url, args.port, workdir, **cluster)
        servers = [first]
        urls = [f"http://127.0.0.1:{args.port}", f"http://127.0.0.1:{args.port + 1}"]
        try:
            asyncio.run(wait_ready(urls[0]))  # migrated before the second starts
            servers.append(start_server(database_url, args.port + 1, workdir, **cluster))
            asyncio.run(wait_ready(urls[1]))
            pids = [server.pid for server in servers]
            return asyncio.run(run(urls[0], args.pairs, args.messages, pids, urls[1]))
        finally:
            stop(servers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=100)
    parser.add_argument("--messages", type=int, default=30)
    parser.add_argument("--port", type=int, default=8765, help="and the next one")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        single = single_node(args, Path(tmp))
        cluster = two_nodes(args, Path(tmp))
    ratio = round(
        float(str(cluster["delivered_per_second"])) / float(str(single["delivered_per_second"])), 2
    )
    print(json.dumps({"single_node": single, "two_nodes": cluster, "ratio": ratio}, indent=2))


if __name__ == "__main__":
    main()
