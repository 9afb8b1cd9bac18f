"""One node's link to Redis: its own channel, the cluster-wide channel, and whether it is up.

Each node subscribes to two channels only: ``<prefix>node:<id>`` (events for the
users it holds) and ``<prefix>all`` (presence, session revocations, resync
requests). Publishers address nodes, never "everyone who might care", so a node
decodes nothing meant for users it does not hold.

Messages are JSON objects ``{"k": kind, "n": origin node, ...}``; handlers are
registered per kind and run one message at a time, in the order Redis delivered
them (so events keep the order they were published in).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import redis.asyncio as redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from vaultroom.settings import Settings
from vaultroom.tasks import raise_if_cancel_requested

logger = logging.getLogger(__name__)

Message = dict[str, Any]
Handler = Callable[[Message], Awaitable[None]]
# Redis answers faster than this or is treated as down (a bound, not a target).
_SOCKET_TIMEOUT_SECONDS = 5.0
_RECONNECT_DELAY_MAX_SECONDS = 2.0


class BrokerDown(Exception):
    """Redis could not be reached; what depended on it is retried or recovered by resync."""


def _encode(message: Message) -> bytes:
    return json.dumps(message, separators=(",", ":")).encode()


class Broker:
    """Publishes to nodes, dispatches what this node receives, reconnects after failures."""

    def __init__(self, settings: Settings, node_id: str | None = None) -> None:
        if settings.redis_url is None:
            raise ValueError("the broker needs VAULTROOM_REDIS_URL")
        self.node_id = node_id or secrets.token_hex(8)
        self.prefix = settings.redis_prefix
        self.redis: redis.Redis = redis.Redis.from_url(
            settings.redis_url,
            socket_connect_timeout=_SOCKET_TIMEOUT_SECONDS,
            socket_timeout=_SOCKET_TIMEOUT_SECONDS,
            health_check_interval=settings.node_heartbeat_seconds,
            # After an outage every pooled connection is dead and fails its next command
            # (redis-py retries nothing by default): retry once on a fresh connection.
            retry_on_error=[RedisConnectionError],
        )
        self._handlers: dict[str, Handler] = {}
        self._on_connected: list[Callable[[], Awaitable[None]]] = []
        self._task: asyncio.Task[None] | None = None
        self._up = False

    @property
    def up(self) -> bool:
        """Whether this node is subscribed right now (events from other nodes reach it)."""
        return self._up

    def node_channel(self, node_id: str) -> str:
        """The channel of one node."""
        return f"{self.prefix}node:{node_id}"

    @property
    def all_channel(self) -> str:
        """The channel every node listens to."""
        return f"{self.prefix}all"

    def on(self, kind: str, handler: Handler) -> None:
        """Run ``handler`` for every received message of ``kind``."""
        self._handlers[kind] = handler

    def on_connected(self, callback: Callable[[], Awaitable[None]]) -> None:
        """Run ``callback`` each time the subscription is (re)established."""
        self._on_connected.append(callback)

    def start(self) -> None:
        """Start listening (and reconnecting whenever the link breaks)."""
        self._task = asyncio.create_task(self._listen(), name="vaultroom-broker")

    async def stop(self) -> None:
        """Stop listening and close the connections."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._up = False
        await self.redis.aclose()

    async def ping(self) -> bool:
        """Whether Redis answers and this node is subscribed."""
        try:
            return self._up and bool(await self.redis.ping())
        except (RedisError, OSError):
            return False

    async def publish(self, messages: Sequence[tuple[str | None, Message]]) -> None:
        """Publish ``(node id or None for every node, message)`` pairs in one round trip."""
        if not messages:
            return
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                for node_id, message in messages:
                    channel = self.all_channel if node_id is None else self.node_channel(node_id)
                    pipe.publish(channel, _encode({**message, "n": self.node_id}))
                await pipe.execute()
        except (RedisError, OSError) as exc:
            raise BrokerDown(str(exc)) from exc

    async def _listen(self) -> None:
        delay = 0.05
        while True:
            pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.node_channel(self.node_id), self.all_channel)
                self._up = True
                delay = 0.05
                logger.info("broker: node %s subscribed", self.node_id)
                for callback in self._on_connected:
                    await callback()
                async for raw in pubsub.listen():
                    if raw.get("type") == "message":
                        await self._dispatch(raw["data"])
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError, BrokerDown) as exc:
                raise_if_cancel_requested()
                if self._up:
                    logger.warning("broker: lost Redis (%s); reconnecting", type(exc).__name__)
            except Exception:  # a bug must not end the node's link to the cluster
                raise_if_cancel_requested()
                logger.exception("broker: listener failed; reconnecting")
            finally:
                self._up = False
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]
            raise_if_cancel_requested()
            await asyncio.sleep(delay)
            delay = min(delay * 2, _RECONNECT_DELAY_MAX_SECONDS)

    async def _dispatch(self, data: bytes) -> None:
        try:
            message = json.loads(data)
            if message.get("n") == self.node_id:
                return  # our own broadcast: handled locally when it was sent
            handler = self._handlers.get(message.get("k"))
            if handler is not None:
                await handler(message)
        except Exception:  # one bad message must not stop the node listening
            logger.exception("broker: could not handle a message")
