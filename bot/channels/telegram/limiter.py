"""Pacing of outgoing Telegram messages: about one a second per chat, N a second overall.

Telegram answers 429 above roughly one message a second in a chat (short bursts tolerated) and
thirty a second overall. Token buckets with reservations: a caller reserves its slot without
awaiting anything, then sleeps until it, so waiting callers keep their order and nothing is
dropped. In-process: with several app processes, give each its share of the global rate.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass


@dataclass
class TokenBucket:
    rate: float  # tokens per second
    burst: float  # bucket size
    tokens: float
    updated: float

    def reserve(self, now: float) -> float:
        """Take one token; seconds to wait before using it (0 when one was there)."""
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        self.tokens -= 1.0  # may go negative: later callers queue behind this one
        return 0.0 if self.tokens >= 0 else -self.tokens / self.rate

    def idle(self, now: float) -> bool:
        return self.tokens + (now - self.updated) * self.rate >= self.burst


class Pacer:
    PRUNE_ABOVE = 10_000

    def __init__(
        self,
        *,
        per_chat_interval: float,
        global_per_second: float,
        chat_burst: int = 3,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._chat_rate = 1.0 / per_chat_interval if per_chat_interval > 0 else None
        self._chat_burst = float(chat_burst)
        self._clock = clock
        self._sleep = sleep
        self._chats: dict[str, TokenBucket] = {}
        now = clock()
        rate = float(global_per_second)
        self._global = TokenBucket(rate, rate, rate, now) if rate > 0 else None

    async def wait(self, chat: str) -> None:
        # Chat first, then the global slot: a chat waiting out its own limit must not hold a
        # global slot that another chat could use meanwhile.
        await self._wait_for(self._chat_bucket(chat))
        await self._wait_for(self._global)

    def _chat_bucket(self, chat: str) -> TokenBucket | None:
        if self._chat_rate is None:
            return None
        bucket = self._chats.get(chat)
        if bucket is None:
            if len(self._chats) > self.PRUNE_ABOVE:
                self._prune()
            bucket = TokenBucket(self._chat_rate, self._chat_burst, self._chat_burst, self._clock())
            self._chats[chat] = bucket
        return bucket

    async def _wait_for(self, bucket: TokenBucket | None) -> None:
        if bucket is None:
            return
        delay = bucket.reserve(self._clock())
        if delay > 0:
            await self._sleep(delay)

    def _prune(self) -> None:
        now = self._clock()
        for chat in [chat for chat, bucket in self._chats.items() if bucket.idle(now)]:
            del self._chats[chat]
