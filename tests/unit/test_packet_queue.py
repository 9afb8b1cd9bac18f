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


def test_interleaved_puts_and_takes_keep_the_order_across_the_list_being_cut() -> None:
    # Puts and takes in uneven runs, so the head passes the point where the list
    # is cut (64 taken, half of it) many times, with items still queued behind it.
    queue = PacketQueue()
    expected = []
    taken = []
    n = 0
    for round_ in range(200):
        for _ in range(round_ % 7 + 1):
            queue.put_nowait(n)
            expected.append(n)
            n += 1
        for _ in range(round_ % 5):
            if not queue.empty():
                taken.append(queue.get_nowait())
        assert queue.qsize() == len(expected) - len(taken)
    while not queue.empty():
        taken.append(queue.get_nowait())

    assert taken == expected


def test_taking_many_queued_items_does_not_keep_the_taken_ones() -> None:
    # The list is cut as the head moves on: after taking 9,000 of 10,000 the queue
    # holds far fewer than 10,000 slots, and none of the taken items.
    queue = PacketQueue()
    for n in range(10_000):
        queue.put_nowait(n)
    for n in range(9_000):
        assert queue.get_nowait() == n

    assert queue.qsize() == 1_000
    assert len(queue._items) < 2_100
    assert not any(item is not None and item < 9_000 for item in queue._items)
