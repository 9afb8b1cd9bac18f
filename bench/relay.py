"""The baseline: a bare python-socketio relay, default settings, nothing else.

No authentication, no storage, no ack. A socket joins the rooms named in its
handshake's ``auth: {rooms: [...]}``; ``message:send`` ``{conversation_id, ...}``
is emitted as ``message:new`` ``{message: <the payload>}`` to the room of that
conversation, except to the sending socket. Served by uvicorn with its defaults.

    .venv/bin/python bench/relay.py --port 8790
"""

from __future__ import annotations

import argparse
from typing import Any

import socketio
import uvicorn


def create_relay() -> Any:
    sio = socketio.AsyncServer(async_mode="asgi")

    async def connect(sid: str, _environ: dict[str, Any], auth: Any = None) -> None:
        rooms = auth.get("rooms", []) if isinstance(auth, dict) else []
        for room in rooms:
            await sio.enter_room(sid, str(room))

    async def send(sid: str, data: dict[str, Any]) -> None:
        room = str(data["conversation_id"])
        await sio.emit("message:new", {"message": data}, to=room, skip_sid=sid)

    sio.on("connect", connect)
    sio.on("message:send", send)
    return socketio.ASGIApp(sio)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8790)
    args = parser.parse_args()
    uvicorn.run(create_relay(), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
