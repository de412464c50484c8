"""Redis backend: the same interface for several app processes sharing one Redis."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import LockError

from store.backends.base import Backend, LockTimeout, Subscription
from store.backends.keys import KeyBuilder


class _RedisSubscription(Subscription):
    def __init__(self, pubsub, keys: KeyBuilder) -> None:
        self._pubsub = pubsub
        self._keys = keys

    async def __aiter__(self) -> AsyncIterator[tuple[str, dict[str, Any]]]:
        while True:
            item = await self.get(timeout=None)
            if item is not None:
                yield item

    async def get(self, timeout: float | None = None) -> tuple[str, dict[str, Any]] | None:
        # get_message(timeout=None) blocks until a message; it also returns control frames.
        while True:
            message = await self._pubsub.get_message(
                ignore_subscribe_messages=True, timeout=timeout
            )
            if message is None:
                if timeout is not None:
                    return None
                continue
            topic = self._keys.topic_name(_text(message["channel"]))
            return topic, json.loads(message["data"])

    async def close(self) -> None:
        await self._pubsub.aclose()


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class RedisBackend(Backend):
    def __init__(self, client: Redis, *, keys: KeyBuilder | None = None) -> None:
        self._redis = client
        self._keys = keys or KeyBuilder()

    @classmethod
    def from_url(cls, url: str, *, prefix: str = "helpline") -> RedisBackend:
        return cls(Redis.from_url(url), keys=KeyBuilder(prefix))

    async def publish(self, topic: str, payload: dict[str, Any]) -> None:
        await self._redis.publish(self._keys.topic(topic), json.dumps(payload))

    async def subscribe(self, *topics: str) -> Subscription:
        pubsub = self._redis.pubsub()
        await pubsub.subscribe(*(self._keys.topic(topic) for topic in topics))
        # Wait for Redis to confirm each subscription, so nothing published after we return is lost.
        confirmed = 0
        while confirmed < len(topics):
            message = await pubsub.get_message(timeout=5.0)
            if message and message["type"] == "subscribe":
                confirmed += 1
        return _RedisSubscription(pubsub, self._keys)

    @asynccontextmanager
    async def lock(self, name: str, *, ttl: float = 30.0, wait: float = 30.0):
        lock = self._redis.lock(self._keys.lock(name), timeout=ttl, blocking_timeout=wait)
        if not await lock.acquire():
            raise LockTimeout(name)
        try:
            yield
        finally:
            # LockError: the ttl ran out and another holder may have it now; nothing of ours to free.
            with contextlib.suppress(LockError):
                await lock.release()

    async def rank_set(self, index: str, member: str, score: float) -> None:
        await self._redis.zadd(self._keys.index(index), {member: score})

    async def rank_remove(self, index: str, member: str) -> None:
        await self._redis.zrem(self._keys.index(index), member)

    async def ranked(self, index: str, limit: int | None = None) -> list[tuple[str, float]]:
        end = -1 if limit is None else limit - 1
        rows = await self._redis.zrange(self._keys.index(index), 0, end, withscores=True)
        return [(_text(member), float(score)) for member, score in rows]

    async def rank_of(self, index: str, member: str) -> int | None:
        return await self._redis.zrank(self._keys.index(index), member)

    async def hit(self, key: str, window_seconds: float) -> int:
        counter = self._keys.counter(key)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(counter)
            pipe.pexpire(counter, int(window_seconds * 1000), nx=True)
            count, _ = await pipe.execute()
        return int(count)

    async def reset(self, key: str) -> None:
        await self._redis.delete(self._keys.counter(key))

    async def close(self) -> None:
        await self._redis.aclose()
