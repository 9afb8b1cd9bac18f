"""The cluster parts of one node, built and started together."""

from __future__ import annotations

from dataclasses import dataclass

import socketio

from vaultroom.cluster.broker import Broker
from vaultroom.cluster.fanout import ClusterFanout
from vaultroom.cluster.presence import ClusterPresence
from vaultroom.services.presence import PresenceService
from vaultroom.settings import Settings


@dataclass(frozen=True)
class ClusterLink:
    """The broker, presence backend and fan-out of a node that shares Redis with others."""

    broker: Broker
    presence: ClusterPresence
    fanout: ClusterFanout

    @classmethod
    def build(cls, settings: Settings, sio: socketio.AsyncServer) -> ClusterLink:
        """Wire the parts (nothing connects before ``start``)."""
        broker = Broker(settings)
        presence = ClusterPresence(sio, broker, settings)
        return cls(broker, presence, ClusterFanout(sio, broker, presence))

    def start(self, node_presence: PresenceService) -> None:
        """Connect, register this node, and keep it registered."""
        self.presence.attach(
            node_presence.held_here, node_presence.publish_changes, node_presence.resynced
        )
        self.fanout.start()
        self.presence.start()
        self.broker.start()

    async def stop(self) -> None:
        """Publish what is pending and disconnect (after the node's users were taken offline)."""
        await self.presence.stop()
        await self.fanout.stop()
        await self.broker.stop()
