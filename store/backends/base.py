"""The coordination backend: pub/sub, per-conversation locks, a priority index, rate counters.

Two implementations share this interface and one contract test suite
(tests/store/test_backends.py): `MemoryBackend` for one process (the embedded default) and
`RedisBackend` for several processes behind a load balancer. The database stays the record of
truth; the backend orders, notifies and coordinates.
"""

from __future__ import annotations

import abc
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from typing import Any


class LockTimeout(Exception):
    """The lock could not be taken within the wait limit."""


class Subscription(abc.ABC):
    """Messages published to the subscribed topics, as an async iterator, until closed."""

    @abc.abstractmethod
    def __aiter__(self) -> AsyncIterator[tuple[str, dict[str, Any]]]: ...

    @abc.abstractmethod
    async def get(self, timeout: float | None = None) -> tuple[str, dict[str, Any]] | None:
        """The next (topic, payload), or None after `timeout` seconds without one."""

    @abc.abstractmethod
    async def close(self) -> None: ...


class Backend(abc.ABC):
    @abc.abstractmethod
    async def publish(self, topic: str, payload: dict[str, Any]) -> None: ...

    @abc.abstractmethod
    async def subscribe(self, *topics: str) -> Subscription:
        """Subscribed when this returns: a message published afterwards is delivered."""

    @abc.abstractmethod
    def lock(
        self, name: str, *, ttl: float = 30.0, wait: float = 30.0
    ) -> AbstractAsyncContextManager[None]:
        """Mutual exclusion across processes; `ttl` frees a lock whose holder died."""

    @abc.abstractmethod
    async def rank_set(self, index: str, member: str, score: float) -> None:
        """Put or move `member` in an ordered index (lower score = earlier)."""

    @abc.abstractmethod
    async def rank_remove(self, index: str, member: str) -> None: ...

    @abc.abstractmethod
    async def ranked(self, index: str, limit: int | None = None) -> list[tuple[str, float]]:
        """Members in order, lowest score first."""

    @abc.abstractmethod
    async def rank_of(self, index: str, member: str) -> int | None:
        """0-based position of `member`, None when absent."""

    @abc.abstractmethod
    async def hit(self, key: str, window_seconds: float) -> int:
        """Count one event for `key` and return the count within the current window."""

    @abc.abstractmethod
    async def reset(self, key: str) -> None: ...

    async def close(self) -> None:
        return None
