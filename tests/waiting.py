"""Waiting on things that happen in the background: a bound for polling, never asserted on."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest


async def wait_until(
    condition: Callable[[], bool],
    what: str | Callable[[], str],
    *,
    within: float = 20.0,
    every: float = 0.02,
) -> None:
    """Poll ``condition`` every ``every`` seconds until it holds; fail saying ``what``
    (a text, or a function giving one) if it does not within ``within`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not condition():
        if loop.time() > deadline:
            pytest.fail(f"timed out waiting until {what() if callable(what) else what}")
        await asyncio.sleep(every)
