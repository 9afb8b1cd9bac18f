"""The Python example session of docs/protocol.md runs as written against a real node."""

from __future__ import annotations

import asyncio
import re
import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, cast

import httpx
import pytest

from tests.factories import UserFactory
from tests.integration.realtime.conftest import LiveServer

PROTOCOL = Path(__file__).resolve().parents[3] / "docs" / "protocol.md"


def python_example() -> dict[str, Any]:
    """The namespace the documented Python example defines."""
    blocks = re.findall(r"```python\n(.*?)```", PROTOCOL.read_text(), flags=re.DOTALL)
    example = next(block for block in blocks if "async def main(" in block)
    namespace: dict[str, Any] = {}
    exec(compile(example, str(PROTOCOL), "exec"), namespace)  # noqa: S102 - our own docs
    return namespace


async def test_the_documented_python_session_sends_and_marks_read(
    live_server: LiveServer, live_users: UserFactory, live_http: httpx.AsyncClient
) -> None:
    alice, bob = await live_users.create(), await live_users.create()
    opened = await live_http.post(
        "/api/conversations/direct", json={"user_id": bob.id}, headers=alice.headers
    )
    conversation_id = opened.json()["id"]
    await live_http.post(
        f"/api/conversations/{conversation_id}/messages",
        json={"client_msg_id": "before", "body": "sent before the example connects"},
        headers=bob.headers,
    )
    example = python_example()
    example["URL"] = live_server.url
    main = cast(Callable[[str, int], Awaitable[None]], example["main"])

    await main(alice.token, conversation_id)

    history = await live_http.get(
        f"/api/conversations/{conversation_id}/messages", headers=bob.headers
    )
    bodies = [message["body"] for message in history.json()["messages"]]
    assert bodies == ["sent before the example connects", "hello from Python"]
    seen = await live_http.get(f"/api/conversations/{conversation_id}", headers=alice.headers)
    assert seen.json()["last_read_seq"] == 2
    assert seen.json()["unread_count"] == 0


CLIENTS = Path(__file__).resolve().parents[2] / "clients"
JS_RUNNER = """
import { chat } from "./example.mjs";
const [token, conversationId] = [process.argv[2], Number(process.argv[3])];
const socket = await chat(token, conversationId);
socket.disconnect();
console.log("done");
"""


def javascript_example(url: str) -> str:
    """The documented JavaScript example, pointed at ``url``."""
    blocks: list[str] = re.findall(r"```js\n(.*?)```", PROTOCOL.read_text(), flags=re.DOTALL)
    example = next(block for block in blocks if "export async function chat(" in block)
    return example.replace('const URL = "http://127.0.0.1:8000";', f'const URL = "{url}";')


async def test_the_documented_javascript_session_sends_and_marks_read(
    live_server: LiveServer,
    live_users: UserFactory,
    live_http: httpx.AsyncClient,
    tmp_path: Path,
) -> None:
    node = shutil.which("node")
    modules = CLIENTS / "node_modules"
    if node is None or not (modules / "socket.io-client").is_dir():
        pytest.fail("node and tests/clients/node_modules are needed: run `make install`")
    alice, bob = await live_users.create(), await live_users.create()
    opened = await live_http.post(
        "/api/conversations/direct", json={"user_id": bob.id}, headers=alice.headers
    )
    conversation_id = opened.json()["id"]
    (tmp_path / "node_modules").symlink_to(modules)
    (tmp_path / "example.mjs").write_text(javascript_example(live_server.url))
    (tmp_path / "run.mjs").write_text(JS_RUNNER)

    process = await asyncio.create_subprocess_exec(
        node,
        str(tmp_path / "run.mjs"),
        alice.token,
        str(conversation_id),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)

    assert process.returncode == 0, err.decode()
    assert out.decode().strip() == "done"
    history = await live_http.get(
        f"/api/conversations/{conversation_id}/messages", headers=bob.headers
    )
    assert [m["body"] for m in history.json()["messages"]] == ["hello from JavaScript"]
    seen = await live_http.get(f"/api/conversations/{conversation_id}", headers=alice.headers)
    assert seen.json()["last_read_seq"] == 1
