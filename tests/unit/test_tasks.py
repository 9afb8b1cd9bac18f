"""A background loop stops when cancelled even if a library swallowed the cancellation."""

from __future__ import annotations

import asyncio

from vaultroom.tasks import raise_if_cancel_requested


async def swallowing_call(started: asyncio.Event) -> None:
    """A client call that turns a cancellation into an error of its own."""
    started.set()
    try:
        await asyncio.sleep(0.05)
    except asyncio.CancelledError:
        raise ConnectionError("connection closed") from None


async def heartbeat(started: asyncio.Event, *, checked: bool, rounds: int = 1_000_000) -> None:
    """A loop like the cluster heartbeat: sleep, call, survive every error."""
    for _ in range(rounds):
        await asyncio.sleep(0.001)
        if checked:
            raise_if_cancel_requested()
        try:
            await swallowing_call(started)
        except Exception:
            if checked:
                raise_if_cancel_requested()


async def stop_within(task: asyncio.Task[None], seconds: float) -> bool:
    task.cancel()
    done, _pending = await asyncio.wait({task}, timeout=seconds)
    return bool(done)


async def test_a_checked_loop_stops_when_its_cancellation_was_swallowed() -> None:
    started = asyncio.Event()
    task = asyncio.create_task(heartbeat(started, checked=True))
    await started.wait()
    assert await stop_within(task, 5)
    assert task.cancelled()


async def test_an_unchecked_loop_would_run_on() -> None:
    """The failure the check prevents (the bound only ends the test, it measures nothing)."""
    started = asyncio.Event()
    task = asyncio.create_task(heartbeat(started, checked=False, rounds=3))
    await started.wait()
    task.cancel()
    await task  # ran its remaining rounds, as if never told to stop
    assert not task.cancelled()
