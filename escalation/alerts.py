"""The supervisor alert: a high or imminent chat waiting unclaimed too long.

`check_once()` publishes an "alert" event on the conversations topic for every such chat, and
again every `threshold` seconds while it still waits. Each alert is counted once across processes
(a backend counter per chat and per period), so two app processes do not ring twice. The clock
is injected: tests call `check_once()` after moving the clock, without sleeping.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from escalation.queue import EVENTS_TOPIC
from store.backends import Backend
from store.models import Conversation

log = logging.getLogger(__name__)
URGENT_LEVELS = ("high", "imminent")


class SupervisorAlerts:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker,
        backend: Backend,
        clock: Callable[[], datetime],
        threshold_seconds: float = 60,
        interval_seconds: float = 5,
    ) -> None:
        self._sessions = sessions
        self._backend = backend
        self._clock = clock
        self.threshold = float(threshold_seconds)
        self.interval = float(interval_seconds)
        self._task: asyncio.Task | None = None

    async def check_once(self) -> list[str]:
        """Alert for every urgent chat waiting longer than the threshold; returns their ids."""
        now = self._clock()
        async with self._sessions() as session:
            rows = (
                await session.execute(
                    select(Conversation.id, Conversation.risk_level, Conversation.queued_at)
                    .where(
                        Conversation.status == "waiting",
                        Conversation.risk_level.in_(URGENT_LEVELS),
                        Conversation.queued_at <= now - timedelta(seconds=self.threshold),
                    )
                    .order_by(Conversation.queued_at)
                )
            ).all()
        alerted = []
        for row in rows:
            waited = (now - row.queued_at).total_seconds()
            period = int(waited // self.threshold)  # 1 at the threshold, 2 at twice it, ...
            first = await self._backend.hit(f"alert:{row.id}:{period}", self.threshold * 4)
            if first != 1:
                continue  # this process or another already rang for this period
            await self._backend.publish(
                EVENTS_TOPIC,
                {
                    "event": "alert",
                    "conversation_id": row.id,
                    "status": "waiting",
                    "risk_level": row.risk_level,
                    "waiting_seconds": int(waited),
                },
            )
            alerted.append(row.id)
        if alerted:
            log.warning("supervisor alert: %d urgent chats waiting unclaimed", len(alerted))
        return alerted

    async def run(self) -> None:
        while True:
            try:
                await self.check_once()
            except Exception:  # keep watching whatever one round did
                log.exception("supervisor alert check failed")
            await asyncio.sleep(self.interval)

    def start(self) -> asyncio.Task:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self.run(), name="supervisor-alerts")
        return self._task

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
