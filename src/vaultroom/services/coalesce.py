"""Concurrent requests for keys, served by one database round trip per batch.

The first request runs at once; requests arriving while a batch is in flight wait
for it to end and then go together in the next one (as a group commit does), so
every request is served by a round trip that started after it was made: it sees
everything committed before it, as its own round trip would. A connect storm
(hundreds of handshakes at once) costs a few queries instead of one each; a lone
request costs what it did.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")
R = TypeVar("R")


class Coalesced(Generic[K, V, R]):
    """``run`` called with the keys (and values) of every request of a batch together.

    ``value`` is what the batch needs of a request for its key (of several requests
    for one key in a batch, the latest's); ``run`` answers the keys it found."""

    def __init__(self, run: Callable[[Mapping[K, V]], Awaitable[Mapping[K, R]]]) -> None:
        self._run = run
        self._waiting: dict[K, V] = {}
        self._next: asyncio.Future[Mapping[K, R]] | None = None
        self._task: asyncio.Task[None] | None = None

    async def get(self, items: Mapping[K, V]) -> dict[K, R]:
        """The answers for these keys (the keys ``run`` did not answer are left out)."""
        if not items:
            return {}
        self._waiting.update(items)
        if self._next is None:
            self._next = asyncio.get_running_loop().create_future()
        batch = self._next
        if self._task is None:
            self._task = asyncio.create_task(self._drain())
        answers = await asyncio.shield(batch)
        return {key: answers[key] for key in items if key in answers}

    async def one(self, key: K, value: V) -> R | None:
        """The answer for one key, or None."""
        return (await self.get({key: value})).get(key)

    async def _drain(self) -> None:
        batch: asyncio.Future[Mapping[K, R]] | None = None
        try:
            while self._next is not None:
                items, self._waiting = self._waiting, {}
                batch, self._next = self._next, None
                try:
                    batch.set_result(await self._run(items))
                except Exception as exc:  # each request fails as its own query would
                    batch.set_exception(exc)
                    # Read by the waiters; if all of them went away, marked read here.
                    batch.add_done_callback(lambda done: done.exception())
        finally:  # cancelled (shutdown): nobody may wait forever for a batch to come
            self._task = None
            for pending in (batch, self._next):
                if pending is not None and not pending.done():
                    pending.cancel()
            self._next = None
            self._waiting = {}
