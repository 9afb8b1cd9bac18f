"""Coalesced look-ups: concurrent requests share a round trip, and none is served by a
round trip that started before it was made."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import pytest

from vaultroom.services.coalesce import Coalesced


class Store:
    """A "database" whose reads are counted and can be held open."""

    def __init__(self) -> None:
        self.values: dict[str, int] = {}
        self.runs: list[list[str]] = []
        self.gate = asyncio.Event()
        self.gate.set()
        self.fail = False

    async def read(self, keys: Mapping[str, None]) -> dict[str, int]:
        self.runs.append(sorted(keys))
        snapshot = dict(self.values)  # what the round trip sees: taken when it starts
        await self.gate.wait()
        if self.fail:
            raise RuntimeError("database down")
        return {key: snapshot[key] for key in keys if key in snapshot}


async def started(store: Store, trips: int) -> None:
    """Let the event loop run until ``trips`` round trips have begun."""
    for _ in range(100):
        if len(store.runs) >= trips:
            return
        await asyncio.sleep(0)
    raise AssertionError(f"{trips} round trips never began: {store.runs}")


async def test_concurrent_requests_share_one_round_trip() -> None:
    store = Store()
    store.values = {"a": 1, "b": 2}
    reads = Coalesced(store.read)
    store.gate.clear()
    first = asyncio.create_task(reads.get({"a": None}))
    await started(store, 1)  # the first round trip starts with "a" alone
    waiting = [
        asyncio.create_task(reads.get(dict.fromkeys(keys))) for keys in (["a"], ["b", "c"], ["b"])
    ]
    await asyncio.sleep(0)
    store.gate.set()
    assert await first == {"a": 1}
    assert [await task for task in waiting] == [{"a": 1}, {"b": 2}, {"b": 2}]
    assert store.runs == [["a"], ["a", "b", "c"]]
    assert await reads.one("b", None) == 2
    assert await reads.one("zzz", None) is None


async def test_a_request_made_during_a_round_trip_sees_what_was_written_meanwhile() -> None:
    store = Store()
    store.values = {"token": 1}
    reads = Coalesced(store.read)
    store.gate.clear()
    before = asyncio.create_task(reads.one("token", None))
    await started(store, 1)
    store.values["token"] = 2  # committed (a revocation, say) after that trip began
    after = asyncio.create_task(reads.one("token", None))
    await asyncio.sleep(0)
    store.gate.set()
    assert await before == 1
    assert await after == 2  # not served by the older trip


async def test_a_failed_round_trip_fails_its_requests_only() -> None:
    store = Store()
    store.values = {"a": 1}
    reads = Coalesced(store.read)
    store.fail = True
    with pytest.raises(RuntimeError):
        await reads.one("a", None)
    store.fail = False
    assert await reads.one("a", None) == 1


async def test_a_caller_that_goes_away_does_not_cancel_the_others() -> None:
    store = Store()
    store.values = {"a": 1}
    reads = Coalesced(store.read)
    store.gate.clear()
    leaving = asyncio.create_task(reads.one("a", None))
    staying = asyncio.create_task(reads.one("a", None))
    await asyncio.sleep(0)
    leaving.cancel()
    store.gate.set()
    assert await staying == 1
    assert leaving.cancelled()
