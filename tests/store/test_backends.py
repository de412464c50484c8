"""One contract for both backends (in-process and Redis): the same test runs on each."""

from __future__ import annotations

import asyncio

import pytest

from store.backends import LockTimeout


async def test_published_message_reaches_every_subscriber_of_its_topic(backend):
    first = await backend.subscribe("queue")
    second = await backend.subscribe("queue", "flows")
    other = await backend.subscribe("flows")
    await backend.publish("queue", {"conversation": "c1", "risk": "high"})
    assert await first.get(timeout=2) == ("queue", {"conversation": "c1", "risk": "high"})
    assert await second.get(timeout=2) == ("queue", {"conversation": "c1", "risk": "high"})
    assert await other.get(timeout=0.2) is None
    for subscription in (first, second, other):
        await subscription.close()


async def test_subscription_keeps_order_of_publication(backend):
    subscription = await backend.subscribe("chat")
    for number in range(20):
        await backend.publish("chat", {"n": number})
    received = [(await subscription.get(timeout=2))[1]["n"] for _ in range(20)]
    assert received == list(range(20))
    await subscription.close()


async def test_lock_gives_mutual_exclusion_in_order_of_critical_sections(backend):
    inside = 0
    most_inside = 0

    async def worker():
        nonlocal inside, most_inside
        async with backend.lock("conversation:42", ttl=5, wait=5):
            inside += 1
            most_inside = max(most_inside, inside)
            await asyncio.sleep(0.01)
            inside -= 1

    await asyncio.gather(*(worker() for _ in range(10)))
    assert most_inside == 1


async def test_lock_wait_limit_raises_instead_of_hanging(backend):
    async with backend.lock("busy", ttl=5, wait=1):
        with pytest.raises(LockTimeout):
            async with backend.lock("busy", ttl=5, wait=0.2):
                pass


async def test_different_lock_names_do_not_block_each_other(backend):
    async with backend.lock("a", ttl=5, wait=1), backend.lock("b", ttl=5, wait=0.2):
        pass


async def test_ranked_index_orders_by_score_then_member_and_moves_on_update(backend):
    await backend.rank_set("queue", "late", 30.0)
    await backend.rank_set("queue", "urgent", -1000.0)
    await backend.rank_set("queue", "early", 10.0)
    assert [member for member, _ in await backend.ranked("queue")] == ["urgent", "early", "late"]
    assert await backend.rank_of("queue", "early") == 1
    await backend.rank_set("queue", "late", -2000.0)  # re-scored: now the most urgent
    assert await backend.rank_of("queue", "late") == 0
    assert await backend.ranked("queue", limit=1) == [("late", -2000.0)]
    await backend.rank_remove("queue", "late")
    assert await backend.rank_of("queue", "late") is None
    assert len(await backend.ranked("queue")) == 2


async def test_hit_counts_within_window_and_reset_clears(backend):
    counts = [await backend.hit("login:alice", 60) for _ in range(3)]
    assert counts == [1, 2, 3]
    assert await backend.hit("login:bob", 60) == 1
    await backend.reset("login:alice")
    assert await backend.hit("login:alice", 60) == 1


async def test_hit_window_expires(backend):
    assert await backend.hit("burst", 0.2) == 1
    assert await backend.hit("burst", 0.2) == 2
    await asyncio.sleep(0.35)
    assert await backend.hit("burst", 0.2) == 1
