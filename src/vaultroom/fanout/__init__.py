"""Fan-out: the one place that emits events to clients, and only after a commit."""

from vaultroom.fanout.base import Delivery, Fanout, NoClients
from vaultroom.fanout.local import LocalFanout

__all__ = ["Delivery", "Fanout", "LocalFanout", "NoClients"]
