"""Rate limits and throttles shared through Redis: several nodes enforce one limit together,
and each falls back to counting in memory when Redis is unreachable."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
import redis.asyncio as aioredis

from tests.integration.shared_state.conftest import WAIT_SECONDS, RedisProxy
from vaultroom.services.errors import RateLimited
from vaultroom.services.rate_limits import RateLimit, Throttle

# Windows of a day never end during a test (a refusal is not undone by the window sliding).
PER_DAY = 86_400
Clients = Callable[[str], aioredis.Redis]


class CountingRedis(aioredis.Redis):
    """The real client, counting the scripts it runs (one round trip each)."""

    scripts_run = 0

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        """Count EVALSHA, then run the command."""
        if str(args[0]).upper() == "EVALSHA":
            self.scripts_run += 1
        return await super().execute_command(*args, **options)  # type: ignore[no-untyped-call]


async def hit_all(limit: RateLimit, key: str, times: int) -> list[RateLimited | None]:
    """``times`` concurrent hits: None for each counted one, the refusal for the others."""
    results = await asyncio.gather(*(limit.hit(key) for _ in range(times)), return_exceptions=True)
    for result in results:
        if result is not None and not isinstance(result, RateLimited):
            raise result
    return [result if isinstance(result, RateLimited) else None for result in results]


async def refused(limit: RateLimit, key: str) -> RateLimited:
    """The refusal of one more hit (fails the test if it was counted)."""
    with pytest.raises(RateLimited) as caught:
        await limit.hit(key)
    return caught.value


# --- RateLimit shared through Redis ----------------------------------------------------------


async def test_two_nodes_enforce_one_limit_together(
    redis_url: str, prefix: str, clients: Clients
) -> None:
    node_a = RateLimit("5/day", "messages", clients(redis_url), prefix=prefix)
    node_b = RateLimit("5/day", "messages", clients(redis_url), prefix=prefix)

    for limit in (node_a, node_b, node_a, node_b, node_a):
        await limit.hit("42")

    for limit in (node_a, node_b):
        refusal = await refused(limit, "42")
        assert 1 <= refusal.retry_after <= PER_DAY
        assert str(refusal.retry_after) in refusal.message
        assert refusal.code == "rate_limited"
        assert refusal.status == 429

    # Other keys, other limits and other deployments (prefixes) count apart.
    await node_b.hit("43")
    await RateLimit("5/day", "logins", clients(redis_url), prefix=prefix).hit("42")
    await RateLimit("5/day", "messages", clients(redis_url), prefix=f"{prefix}other:").hit("42")
    await refused(node_a, "42")


async def test_concurrent_hits_of_two_nodes_are_batched_and_counted_exactly(
    redis_url: str, prefix: str
) -> None:
    clients = [CountingRedis(connection_pool=aioredis.ConnectionPool.from_url(redis_url))]
    clients.append(CountingRedis(connection_pool=aioredis.ConnectionPool.from_url(redis_url)))
    try:
        node_a, node_b = (RateLimit("7/day", "messages", c, prefix=prefix) for c in clients)
        for limit in (node_a, node_b):
            await limit.hit("warm-up")  # loads the script: later calls are one round trip
        for client in clients:
            client.scripts_run = 0

        results = await asyncio.gather(hit_all(node_a, "7", 20), hit_all(node_b, "7", 20))

        outcomes = results[0] + results[1]
        assert outcomes.count(None) == 7
        refusals = [outcome for outcome in outcomes if outcome is not None]
        assert len(refusals) == 33
        assert all(1 <= refusal.retry_after <= PER_DAY for refusal in refusals)
        # Each node sent its 20 hits together, not one round trip per hit.
        assert all(client.scripts_run <= 2 for client in clients), [c.scripts_run for c in clients]
    finally:
        for client in clients:
            await client.aclose()
            await client.connection_pool.disconnect()


async def test_a_limit_frees_up_after_its_window(
    redis_url: str, prefix: str, clients: Clients
) -> None:
    node_a = RateLimit("3/1 second", "messages", clients(redis_url), prefix=prefix)
    node_b = RateLimit("3/1 second", "messages", clients(redis_url), prefix=prefix)

    counted = 0
    refusal: RateLimited | None = None
    while refusal is None and counted < 100:
        try:
            await (node_a if counted % 2 else node_b).hit("1")
            counted += 1
        except RateLimited as exc:
            refusal = exc
    assert refusal is not None, "never refused"
    assert counted >= 3
    assert refusal.retry_after == 1  # at most the window, rounded up to whole seconds

    async def allowed_again() -> bool:
        try:
            await node_a.hit("1")
        except RateLimited:
            return False
        return True

    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_SECONDS
    while not await allowed_again():
        assert loop.time() < deadline, "the limit never freed up"
        await asyncio.sleep(0.05)


async def test_unreachable_redis_falls_back_to_counting_in_memory_per_node(
    closed_redis_url: str, prefix: str, clients: Clients
) -> None:
    node_a = RateLimit("3/day", "messages", clients(closed_redis_url), prefix=prefix)
    node_b = RateLimit("3/day", "messages", clients(closed_redis_url), prefix=prefix)

    # One after the other (the first failure makes the next ones skip Redis for a while).
    for _ in range(3):
        await node_a.hit("9")
    assert 1 <= (await refused(node_a, "9")).retry_after <= PER_DAY
    # Each node counts on its own now.
    for _ in range(3):
        await node_b.hit("9")
    await refused(node_b, "9")
    await node_a.hit("10")

    # All at once on a node that has not failed yet: the batch fails over as a whole.
    node_c = RateLimit("3/day", "messages", clients(closed_redis_url), prefix=prefix)
    outcomes = await hit_all(node_c, "9", 10)
    assert outcomes.count(None) == 3
    assert all(o is not None and 1 <= o.retry_after <= PER_DAY for o in outcomes if o)


async def test_a_limit_counts_in_redis_again_once_it_is_back(
    redis_proxy: RedisProxy, redis_url: str, prefix: str, clients: Clients
) -> None:
    through_proxy = RateLimit("4/day", "messages", clients(redis_proxy.url), prefix=prefix)
    direct = RateLimit("4/day", "messages", clients(redis_url), prefix=prefix)
    await through_proxy.hit("5")

    await redis_proxy.cut()
    for _ in range(4):  # in memory, from zero: the one counted in Redis is not seen there
        await through_proxy.hit("5")
    await refused(through_proxy, "5")

    await redis_proxy.restore()
    # Back to the shared count (1 so far) once the node tries Redis again.
    await direct.hit("5")
    await direct.hit("5")

    async def shared_count_reached() -> bool:
        try:
            await through_proxy.hit("5")
        except RateLimited:
            return True
        return False

    # The node's memory refuses until it retries Redis; then Redis has room for one more.
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_SECONDS
    while await shared_count_reached():
        assert loop.time() < deadline, "the node never went back to counting in Redis"
        await asyncio.sleep(0.05)
    await refused(direct, "5")
    await refused(through_proxy, "5")


# --- Throttle shared through Redis -----------------------------------------------------------


async def test_a_throttle_lets_one_event_through_across_nodes(
    redis_url: str, prefix: str, clients: Clients
) -> None:
    node_a = Throttle(60, clients(redis_url), prefix=prefix)
    node_b = Throttle(60, clients(redis_url), prefix=prefix)

    assert await node_a.allow("typing:1:2") is True
    assert await node_b.allow("typing:1:2") is False
    assert await node_a.allow("typing:1:2") is False

    # At once from both nodes on a fresh key: exactly one passes.
    passes = await asyncio.gather(*(node.allow("typing:1:3") for node in (node_a, node_b) * 10))
    assert passes.count(True) == 1

    # Other keys and other deployments are separate.
    assert await node_b.allow("typing:2:2") is True
    assert await Throttle(60, clients(redis_url), prefix=f"{prefix}other:").allow("typing:1:2")


async def test_a_throttle_lets_the_next_event_through_after_its_interval(
    redis_url: str, prefix: str, clients: Clients
) -> None:
    node_a = Throttle(0.3, clients(redis_url), prefix=prefix)
    node_b = Throttle(0.3, clients(redis_url), prefix=prefix)
    assert await node_a.allow("k") is True

    passed: list[bool] = []

    async def poll() -> None:
        passed.append(await node_b.allow("k"))

    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_SECONDS
    while not passed or not passed[-1]:
        assert loop.time() < deadline, "the throttle never let an event through again"
        await poll()
        await asyncio.sleep(0.02)


async def test_a_throttle_without_redis_throttles_in_memory_per_node(
    closed_redis_url: str, prefix: str, clients: Clients
) -> None:
    node_a = Throttle(60, clients(closed_redis_url), prefix=prefix)
    node_b = Throttle(60, clients(closed_redis_url), prefix=prefix)

    assert await node_a.allow("k") is True
    assert await node_a.allow("k") is False
    assert await node_b.allow("k") is True  # its own memory
    assert await node_b.allow("k") is False
    assert await node_a.allow("other") is True

    # A throttle of interval 0 lets everything through, Redis or not.
    unthrottled = Throttle(0, clients(closed_redis_url), prefix=prefix)
    assert all([await unthrottled.allow("k") for _ in range(3)])


async def test_a_throttle_that_lost_redis_goes_back_to_it(
    redis_proxy: RedisProxy, redis_url: str, prefix: str, clients: Clients
) -> None:
    through_proxy = Throttle(60, clients(redis_proxy.url), prefix=prefix)
    direct = Throttle(60, clients(redis_url), prefix=prefix)

    await redis_proxy.cut()
    assert await through_proxy.allow("k") is True  # in memory
    await redis_proxy.restore()
    assert await direct.allow("k") is True  # Redis never saw the first one
    assert await through_proxy.allow("k") is False  # memory or Redis: both took it

    # Probe with keys only Redis has seen: refused once the node throttles in Redis again.
    probes = 0
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_SECONDS
    while True:
        probes += 1
        assert await direct.allow(f"probe{probes}") is True
        if await through_proxy.allow(f"probe{probes}") is False:
            break
        assert loop.time() < deadline, "the node never went back to throttling in Redis"
        await asyncio.sleep(0.05)
    assert await through_proxy.allow("new") is True
    assert await direct.allow("new") is False


async def test_a_refunded_hit_frees_its_place_on_every_node(
    redis_url: str, prefix: str, clients: Clients
) -> None:
    """Sign-in throttles reserve a failure before checking and give it back on success."""
    node_a = RateLimit("3/day", "failed sign-ins", clients(redis_url), prefix=prefix)
    node_b = RateLimit("3/day", "failed sign-ins", clients(redis_url), prefix=prefix)
    assert await hit_all(node_a, "ann", 3) == [None] * 3
    await refused(node_b, "ann")
    await node_a.refund("ann")
    await node_b.hit("ann")  # the place given back is taken again, on the other node
    await refused(node_a, "ann")
    await node_b.refund("nobody")  # nothing to give back: no effect, no error
    await refused(node_a, "ann")
