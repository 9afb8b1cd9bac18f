"""What the nodes of a cluster share through Redis: fan-out, presence, rate limits."""

from vaultroom.cluster.broker import Broker, BrokerDown
from vaultroom.cluster.fanout import ClusterFanout
from vaultroom.cluster.node import ClusterLink
from vaultroom.cluster.presence import ClusterPresence

__all__ = ["Broker", "BrokerDown", "ClusterFanout", "ClusterLink", "ClusterPresence"]
