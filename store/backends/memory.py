"""In-process backend: the embedded default, for one process (and most tests)."""

from __future__ import annotations

import asyncio
import bisect
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from store.backends.base import Backend, LockTimeout, Subscription


class _MemorySubscription(Subscription):
    def __init__(self, backend: MemoryBackend, topics: tuple[str, ...]) -> None:
        self._backend = backend
        self.topics = topics
        self.queue: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue()

    async def __aiter__(self) -> AsyncIterator[tuple[str, dict[str, Any]]]:
        while True:
            yield await self.queue.get()

    async def get(self, timeout: float | None = None) -> tuple[str, dict[str, Any]] | None:
        try:
            return await asyncio.wait_for(self.queue.get(), timeout)
        except TimeoutError:
            return None

    async def close(self) -> None:
        self._backend._subscriptions.discard(self)


class MemoryBackend(Backend):
    def __init__(self, *, clock=time.monotonic) -> None:
        self._clock = clock
        self._subscriptions: set[_MemorySubscription] = set()
        self._locks: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._indexes: dict[str, dict[str, float]] = defaultdict(dict)
        self._counters: dict[str, tuple[float, int]] = {}

    async def publish(self, topic: str, payload: dict[str, Any]) -> None:
        for subscription in list(self._subscriptions):
            if topic in subscription.topics:
                subscription.queue.put_nowait((topic, payload))

    async def subscribe(self, *topics: str) -> Subscription:
        subscription = _MemorySubscription(self, topics)
        self._subscriptions.add(subscription)
        return subscription

    @asynccontextmanager
    async def lock(self, name: str, *, ttl: float = 30.0, wait: float = 30.0):
        # One process: an asyncio.Lock cannot outlive its holder, so `ttl` has nothing to do.
        lock = self._locks[name]
        try:
            await asyncio.wait_for(lock.acquire(), wait)
        except TimeoutError as exc:
            raise LockTimeout(name) from exc
        try:
            yield
        finally:
            lock.release()
            if not lock.locked() and not lock._waiters:  # keep the dict from growing forever
                self._locks.pop(name, None)

    async def rank_set(self, index: str, member: str, score: float) -> None:
        self._indexes[index][member] = score

    async def rank_remove(self, index: str, member: str) -> None:
        self._indexes[index].pop(member, None)

    async def ranked(self, index: str, limit: int | None = None) -> list[tuple[str, float]]:
        items = sorted(self._indexes[index].items(), key=lambda item: (item[1], item[0]))
        return items if limit is None else items[:limit]

    async def rank_of(self, index: str, member: str) -> int | None:
        members = self._indexes[index]
        if member not in members:
            return None
        ordered = sorted((score, name) for name, score in members.items())
        return bisect.bisect_left(ordered, (members[member], member))

    async def hit(self, key: str, window_seconds: float) -> int:
        now = self._clock()
        started, count = self._counters.get(key, (now, 0))
        if now - started >= window_seconds:
            started, count = now, 0
        self._counters[key] = (started, count + 1)
        return count + 1

    async def reset(self, key: str) -> None:
        self._counters.pop(key, None)
