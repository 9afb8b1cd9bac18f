"""The packet queue of VaultRoom's engine.io sockets behaves as asyncio.Queue does."""

from __future__ import annotations

import asyncio

import pytest

from vaultroom.realtime.transport import PacketQueue


async def test_packets_come_out_in_order_and_get_waits_for_one() -> None:
    queue = PacketQueue()
    queue.put_nowait("a")
    await queue.put("b")
    waiting = asyncio.gather(queue.get(), queue.get(), queue.get())
    await asyncio.sleep(0)
    assert not waiting.done()  # two were there; the third waits

    queue.put_nowait("c")

    assert list(await waiting) == ["a", "b", "c"]
    assert queue.empty() and queue.qsize() == 0
    with pytest.raises(asyncio.QueueEmpty):
        queue.get_nowait()


async def test_a_cancelled_get_loses_no_packet() -> None:
    queue = PacketQueue()
    first = asyncio.create_task(queue.get())
    second = asyncio.create_task(queue.get())
    await asyncio.sleep(0)

    queue.put_nowait("x")  # wakes the first getter...
    first.cancel()  # ...which is cancelled before it runs: the second gets it
    with pytest.raises(asyncio.CancelledError):
        await first

    assert await asyncio.wait_for(second, 5) == "x"


async def test_a_timed_out_get_leaves_the_queue_usable() -> None:
    queue = PacketQueue()
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.01):
            await queue.get()
    queue.put_nowait("late")
    assert await queue.get() == "late"


async def test_join_waits_until_every_packet_is_done() -> None:
    queue = PacketQueue()
    await queue.join()  # nothing queued: returns at once
    queue.put_nowait(1)
    queue.put_nowait(2)
    joined = asyncio.create_task(queue.join())

    queue.get_nowait()
    queue.task_done()
    await asyncio.sleep(0)
    assert not joined.done()
    queue.get_nowait()
    queue.task_done()

    await asyncio.wait_for(joined, 5)
    with pytest.raises(ValueError, match="too many"):
        queue.task_done()
