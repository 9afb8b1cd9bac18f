"""Cluster-wide presence in Redis: a user is online while any live node holds one of their sockets.

Keys (under the deployment's prefix):

- ``user:<id>:nodes``  the nodes holding the user's sockets (also where fan-out sends their events)
- ``node:<id>:users``  the users a node holds (to take them offline if the node dies)
- ``nodes``            every live node, scored by its last heartbeat (Redis time, ms)
- ``online``           every online user; ``presence:version`` counts transitions

Each change runs as one Lua script, so exactly one node observes each
transition (offline to online, or back) and announces it, with the version the
script gave it. Every node keeps a copy of the online set, fed by those
announcements; a node drops an announcement older than what it has seen, so
its sockets see each user's changes once and in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Collection, Sequence
from datetime import UTC, datetime
from typing import Any

import socketio

from vaultroom.cluster.broker import Broker, BrokerDown, Message
from vaultroom.fanout.rooms import SIGNED_IN_ROOM, presence_rooms
from vaultroom.schemas.events import PresenceEvent, ResyncRequest
from vaultroom.services.presence import PresenceChange
from vaultroom.settings import Settings
from vaultroom.tasks import raise_if_cancel_requested

logger = logging.getLogger(__name__)

_HELPERS = """
local p = ARGV[1]
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function join(node, uid)
  local holders = p .. 'user:' .. uid .. ':nodes'
  redis.call('SADD', p .. 'node:' .. node .. ':users', uid)
  if redis.call('SADD', holders, node) == 1 and redis.call('SCARD', holders) == 1 then
    redis.call('SADD', p .. 'online', uid)
    return redis.call('INCR', p .. 'presence:version')
  end
  return 0
end
local function leave(node, uid)
  local holders = p .. 'user:' .. uid .. ':nodes'
  redis.call('SREM', p .. 'node:' .. node .. ':users', uid)
  if redis.call('SREM', holders, node) == 1 and redis.call('SCARD', holders) == 0 then
    redis.call('SREM', p .. 'online', uid)
    return redis.call('INCR', p .. 'presence:version')
  end
  return 0
end
local function remove_node(node, out)
  for _, uid in ipairs(redis.call('SMEMBERS', p .. 'node:' .. node .. ':users')) do
    local version = leave(node, uid)
    if version > 0 then
      table.insert(out, uid); table.insert(out, 0); table.insert(out, version)
    end
  end
  redis.call('DEL', p .. 'node:' .. node .. ':users')
  redis.call('ZREM', p .. 'nodes', node)
end
"""

# ARGV: prefix, node, user -> the version of the transition, or 0
_JOIN = _HELPERS + "return join(ARGV[2], ARGV[3])"
_LEAVE = _HELPERS + "return leave(ARGV[2], ARGV[3])"
# ARGV: prefix, node, users held... -> flat [user, online, version, ...] of transitions
_SYNC = (
    _HELPERS
    + """
local node = ARGV[2]
local want = {}
for i = 3, #ARGV do want[ARGV[i]] = true end
local out = {}
for _, uid in ipairs(redis.call('SMEMBERS', p .. 'node:' .. node .. ':users')) do
  if not want[uid] then
    local version = leave(node, uid)
    if version > 0 then table.insert(out, uid); table.insert(out, 0); table.insert(out, version) end
  end
end
for i = 3, #ARGV do
  local version = join(node, ARGV[i])
  if version > 0 then
    table.insert(out, ARGV[i]); table.insert(out, 1); table.insert(out, version)
  end
end
redis.call('ZADD', p .. 'nodes', now_ms(), node)
return out
"""
)
# ARGV: prefix, node -> 1 if the node was still known (its heartbeat is refreshed), else 0
_HEARTBEAT = (
    _HELPERS
    + """
if redis.call('ZSCORE', p .. 'nodes', ARGV[2]) then
  redis.call('ZADD', p .. 'nodes', now_ms(), ARGV[2])
  return 1
end
return 0
"""
)
# ARGV: prefix, timeout ms -> [number of nodes reaped, then the transitions of their
# users] for every node silent that long
_REAP = (
    _HELPERS
    + """
local out = {0}
local silent_since = now_ms() - tonumber(ARGV[2])
for _, node in ipairs(redis.call('ZRANGEBYSCORE', p .. 'nodes', '-inf', silent_since)) do
  remove_node(node, out)
  out[1] = out[1] + 1
end
return out
"""
)
# ARGV: prefix, node -> transitions of its users (a node shutting down)
_REMOVE_NODE = _HELPERS + "local out = {}; remove_node(ARGV[2], out); return out"

# Fan-out's routing, next to the map it reads. ARGV: prefix, origin node, count of
# deliveries, then for each: its JSON ("event",payload), the number of recipients,
# their ids. For every other node holding any recipient, one PUBLISH of
# {"k":"deliver","n":origin,"d":[[event,payload,[ids on that node]],...]}.
# -> the number of nodes published to.
_DELIVER = """
local p, origin = ARGV[1], ARGV[2]
local holders, per_node, i = {}, {}, 4
for _ = 1, tonumber(ARGV[3]) do
  local item, count = ARGV[i], tonumber(ARGV[i + 1])
  local by_node = {}
  for j = i + 2, i + 1 + count do
    local uid = ARGV[j]
    local nodes = holders[uid]
    if not nodes then
      nodes = redis.call('SMEMBERS', p .. 'user:' .. uid .. ':nodes')
      holders[uid] = nodes
    end
    for _, node in ipairs(nodes) do
      if node ~= origin then
        by_node[node] = by_node[node] or {}
        table.insert(by_node[node], uid)
      end
    end
  end
  for node, uids in pairs(by_node) do
    per_node[node] = per_node[node] or {}
    table.insert(per_node[node], '[' .. item .. ',[' .. table.concat(uids, ',') .. ']]')
  end
  i = i + 2 + count
end
local published = 0
for node, items in pairs(per_node) do
  redis.call('PUBLISH', p .. 'node:' .. node,
    '{"k":"deliver","n":"' .. origin .. '","d":[' .. table.concat(items, ',') .. ']}')
  published = published + 1
end
return published
"""

ChangesListener = Callable[[list[PresenceChange]], Awaitable[None]]
ResyncListener = Callable[[set[int], list[PresenceChange]], Awaitable[None]]


def _changes(flat: Sequence[Any]) -> list[PresenceChange]:
    return [
        PresenceChange(int(flat[i]), bool(int(flat[i + 1])), int(flat[i + 2]))
        for i in range(0, len(flat), 3)
    ]


class ClusterPresence:
    """The ``PresenceBackend`` of a node in a cluster."""

    routes = True

    def __init__(self, sio: socketio.AsyncServer, broker: Broker, settings: Settings) -> None:
        self._sio = sio
        self._broker = broker
        self._heartbeat = settings.node_heartbeat_seconds
        self._timeout_ms = int(settings.node_timeout_seconds * 1000)
        self._scripts = {
            name: broker.redis.register_script(source)
            for name, source in {
                "join": _JOIN,
                "leave": _LEAVE,
                "sync": _SYNC,
                "heartbeat": _HEARTBEAT,
                "reap": _REAP,
                "remove_node": _REMOVE_NODE,
                "deliver": _DELIVER,
            }.items()
        }
        self._online: set[int] = set()
        self._floor = 0  # announcements at or below this version are already in _online
        self._versions: dict[int, int] = {}
        self._loaded = False  # whether the online set was loaded once
        self._unpublished: list[Message] = []  # announcements the other nodes still owe
        self._local_users: Callable[[], Collection[int]] = set
        self._on_changes: ChangesListener | None = None
        self._on_resync: ResyncListener | None = None
        self._task: asyncio.Task[None] | None = None
        broker.on("presence", self._on_presence)
        broker.on_connected(self._after_reconnect)

    def attach(
        self,
        local_users: Callable[[], Collection[int]],
        on_changes: ChangesListener,
        on_resync: ResyncListener,
    ) -> None:
        """Where the users this node holds come from; who stores and announces the
        changes found here (dead nodes' users) and adopts a re-registration."""
        self._local_users = local_users
        self._on_changes = on_changes
        self._on_resync = on_resync

    def start(self) -> None:
        """Start the heartbeat (which also takes dead nodes' users offline)."""
        self._task = asyncio.create_task(self._beat_forever(), name="vaultroom-heartbeat")

    async def stop(self) -> None:
        """Stop the heartbeat."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def online_elsewhere(self, user_id: int) -> bool:
        """Whether the user is online according to the cluster (as last announced)."""
        return user_id in self._online

    async def join(self, user_id: int) -> PresenceChange | None:
        """This node holds a socket of the user; the transition, if they were offline."""
        return await self._transition("join", user_id, online=True)

    async def leave(self, user_id: int) -> PresenceChange | None:
        """This node holds no socket of the user any more; the transition, if that was the last."""
        return await self._transition("leave", user_id, online=False)

    async def leave_all(self) -> list[PresenceChange]:
        """This node is shutting down: forget it, and the users only it held."""
        return await self._run_changes("remove_node", self._broker.node_id)

    async def announce(self, changes: Sequence[PresenceChange], last_seen_at: datetime) -> None:
        """Tell this node's sockets now and every other node through the broker."""
        for change in changes:
            await self._apply(change, last_seen_at)
        items = [[c.user_id, c.online, c.version] for c in changes]
        message = {"k": "presence", "c": items, "t": last_seen_at.isoformat()}
        try:
            await self._broker.publish([(None, message)])
        except BrokerDown:
            # The change is in Redis but the other nodes were not told: publish it
            # again at the next heartbeat or reconnect (they drop what they know).
            self._unpublished.append(message)

    async def _publish_unpublished(self) -> None:
        if self._unpublished:
            messages, self._unpublished = self._unpublished, []
            try:
                await self._broker.publish([(None, message) for message in messages])
            except BrokerDown:
                self._unpublished = messages + self._unpublished
                raise

    async def deliver(self, batch: Sequence[tuple[str, Any, Collection[int]]]) -> None:
        """Publish ``(event, JSON-ready payload, recipients)`` to the other nodes holding
        any of the recipients: one script call, one message per node."""
        if not self._broker.up:
            raise BrokerDown("not connected")  # recovered by resync when it is back
        args: list[str | int] = [self._broker.prefix, self._broker.node_id, len(batch)]
        for event, data, user_ids in batch:
            args.append(json.dumps(event) + "," + json.dumps(data, separators=(",", ":")))
            args.append(len(user_ids))
            args.extend(user_ids)
        try:
            await self._scripts["deliver"](args=args)
        except Exception as exc:
            raise BrokerDown(str(exc)) from exc

    async def _transition(
        self, script: str, user_id: int, *, online: bool
    ) -> PresenceChange | None:
        if not self._broker.up:
            raise BrokerDown("not connected")  # the reconnect registers this node's users
        version = await self._run(script, self._broker.node_id, user_id)
        return PresenceChange(user_id, online, int(version)) if int(version) else None

    async def _run(self, script: str, *args: str | int) -> Any:
        try:
            return await self._scripts[script](args=[self._broker.prefix, *args])
        except Exception as exc:
            raise BrokerDown(str(exc)) from exc

    async def _run_changes(self, script: str, *args: str | int) -> list[PresenceChange]:
        return _changes(await self._run(script, *args))

    async def _apply(self, change: PresenceChange, last_seen_at: datetime) -> None:
        if change.version <= self._versions.get(change.user_id, self._floor):
            return  # already known (a reload of the online set, or an older change)
        self._versions[change.user_id] = change.version
        if change.online:
            self._online.add(change.user_id)
        else:
            self._online.discard(change.user_id)
        event = PresenceEvent(
            user_id=change.user_id, online=change.online, last_seen_at=last_seen_at
        )
        await self._sio.emit(
            "presence", event.model_dump(mode="json"), to=presence_rooms(change.user_id)
        )

    async def _on_presence(self, message: Message) -> None:
        last_seen_at = datetime.fromisoformat(message["t"])
        for user_id, online, version in message["c"]:
            await self._apply(
                PresenceChange(int(user_id), bool(online), int(version)), last_seen_at
            )

    async def _after_reconnect(self) -> None:
        """Register exactly the users this node holds, then reload the online set."""
        local = set(self._local_users())
        changes = await self._run_changes("sync", self._broker.node_id, *sorted(local))
        if self._on_resync is not None:
            await self._on_resync(local, changes)  # announced: newer than anything known
        await self._publish_unpublished()
        async with self._broker.redis.pipeline(transaction=True) as pipe:
            pipe.smembers(f"{self._broker.prefix}online")
            pipe.get(f"{self._broker.prefix}presence:version")
            members, version = await pipe.execute()
        before, self._online = self._online, {int(member) for member in members}
        self._floor = int(version or 0)
        self._versions.clear()
        if not self._loaded:
            self._loaded = True
            return  # the first load: nothing changed for sockets that did not see the old set
        # Transitions announced while this node was cut off: tell its sockets now.
        now = datetime.now(UTC)
        for user_id in sorted(before ^ self._online):
            online = user_id in self._online
            event = PresenceEvent(user_id=user_id, online=online, last_seen_at=now)
            await self._sio.emit(
                "presence", event.model_dump(mode="json"), to=presence_rooms(user_id)
            )

    async def _reap(self) -> None:
        """Take the users of dead nodes offline (one script: exactly one node reaps each)."""
        flat = await self._run("reap", self._timeout_ms)
        reaped, changes = int(flat[0]), _changes(flat[1:])
        if changes and self._on_changes is not None:
            await self._on_changes(changes)
        if reaped:
            # A node that died between a commit and its publish took those events
            # with it: every client resyncs (the history has them).
            logger.warning("%d silent node(s) reaped; every client is told to resync", reaped)
            resync = ResyncRequest().model_dump(mode="json")
            await self._sio.emit("resync", resync, to=SIGNED_IN_ROOM)
            await self._broker.publish([(None, {"k": "resync", "u": None})])

    async def _beat_forever(self) -> None:
        while True:
            await asyncio.sleep(self._heartbeat)
            raise_if_cancel_requested()
            if not self._broker.up:
                continue  # the reconnect re-registers this node
            try:
                if not await self._run("heartbeat", self._broker.node_id):
                    # Declared dead (a long stall): register our users again.
                    await self._after_reconnect()
                await self._publish_unpublished()
                await self._reap()
            except Exception:  # the heartbeat must go on; the broker reconnects by itself
                raise_if_cancel_requested()
                logger.warning("presence heartbeat failed", exc_info=True)
