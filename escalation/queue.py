"""The counsellor queue: who waits, in what order.

The database is the record (conversation.status = "waiting", queued_at, risk_level); the
backend's ordered index mirrors it for ordering and position across processes, and is rebuilt
from the database at start-up, so a crash between the two loses nothing.

Order: a "time credit" per risk level. A conversation is ordered as if it had arrived earlier by
its level's credit. High and imminent credits are so large that they always come first (and
imminent before high); for the other levels the credit is minutes, so a low-risk child who has
waited long enough passes a medium-risk child who just arrived: ageing without re-scoring.
"""

from __future__ import annotations

import time
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from store.backends import Backend
from store.models import Conversation

QUEUE_INDEX = "counsellor-queue"
EVENTS_TOPIC = "conversations"

RISK_ORDER = ("none", "low", "medium", "high", "imminent")
RISK_CREDIT_SECONDS = {
    "none": 0.0,
    "low": 5 * 60.0,
    "medium": 15 * 60.0,
    "high": 1e10,
    "imminent": 2e10,
}
AVERAGE_MINUTES_PER_CHILD = 6


def max_risk(a: str | None, b: str | None) -> str:
    a, b = a or "none", b or "none"
    return a if RISK_ORDER.index(a) >= RISK_ORDER.index(b) else b


def priority_score(risk_level: str, queued_at: datetime) -> float:
    """Lower is served first."""
    return queued_at.timestamp() - RISK_CREDIT_SECONDS.get(risk_level, 0.0)


class CounsellorQueue:
    def __init__(self, sessions: async_sessionmaker, backend: Backend) -> None:
        self._sessions = sessions
        self._backend = backend
        self._on_shift_seen: tuple[float, int] | None = None

    async def counsellors_on_shift_recently(
        self, session: AsyncSession, max_age: float = 2.0
    ) -> int:
        """The on-shift count, re-read at most every `max_age` seconds: every child message
        asks for it, and a shift change may take two seconds to reach the bot's replies."""
        now = time.monotonic()
        if self._on_shift_seen is None or now - self._on_shift_seen[0] > max_age:
            self._on_shift_seen = (now, await self.counsellors_on_shift(session))
        return self._on_shift_seen[1]

    # -- inside the caller's transaction ------------------------------------------------------

    @staticmethod
    def request_handoff(
        conversation: Conversation, *, reason: str, risk_level: str, now: datetime
    ) -> bool:
        """Put the conversation in the queue (or re-score it there). True when it changed."""
        new_risk = max_risk(conversation.risk_level, risk_level)
        changed = new_risk != conversation.risk_level
        conversation.risk_level = new_risk
        if conversation.status == "bot":
            conversation.status = "waiting"
            conversation.queued_at = now
            conversation.handoff_reason = reason[:200]
            changed = True
        conversation.updated_at = now
        return changed

    @staticmethod
    def cancel(conversation: Conversation, now: datetime) -> bool:
        if conversation.status != "waiting":
            return False
        conversation.status = "bot"
        conversation.queued_at = None
        conversation.updated_at = now
        return True

    # -- after commit ---------------------------------------------------------------------------

    async def sync(self, conversation: Conversation) -> None:
        """Mirror one conversation's committed queue state into the backend and tell the consoles.

        The state is read back from the database rather than taken from `conversation`: the
        caller's object may be stale (a counsellor claimed the chat while the child's message was
        being processed), and re-adding a claimed chat to the index would show it as waiting.
        """
        await self.sync_id(conversation.id)

    async def sync_id(self, conversation_id: str) -> None:
        async with self._sessions() as session:
            row = (
                await session.execute(
                    select(
                        Conversation.status, Conversation.risk_level, Conversation.queued_at
                    ).where(Conversation.id == conversation_id)
                )
            ).one_or_none()
        if row is None:
            await self.forget(conversation_id)
            return
        if row.status == "waiting" and row.queued_at is not None:
            score = priority_score(row.risk_level, row.queued_at)
            await self._backend.rank_set(QUEUE_INDEX, conversation_id, score)
        else:
            await self._backend.rank_remove(QUEUE_INDEX, conversation_id)
        await self._backend.publish(
            EVENTS_TOPIC,
            {
                "event": "queue",
                "conversation_id": conversation_id,
                "status": row.status,
                "risk_level": row.risk_level,
            },
        )

    async def left(self, conversation_id: str, status: str, risk_level: str) -> None:
        """A conversation left the queue by a committed change whose result the caller knows
        (a claim): mirror and announce it without reading it back."""
        await self._backend.rank_remove(QUEUE_INDEX, conversation_id)
        await self._backend.publish(
            EVENTS_TOPIC,
            {
                "event": "queue",
                "conversation_id": conversation_id,
                "status": status,
                "risk_level": risk_level,
            },
        )

    async def forget(self, conversation_id: str) -> None:
        """Drop a conversation that no longer exists (erased) from the index."""
        await self._backend.rank_remove(QUEUE_INDEX, conversation_id)
        await self._backend.publish(
            EVENTS_TOPIC, {"event": "queue", "conversation_id": conversation_id, "status": "erased"}
        )

    async def forget_stale(self, conversation_id: str) -> None:
        """Drop an index entry the database no longer backs (no event: nothing changed)."""
        await self._backend.rank_remove(QUEUE_INDEX, conversation_id)

    async def rebuild(self) -> int:
        """Make the backend index match the database (start-up, after a crash)."""
        async with self._sessions() as session:
            rows = (
                await session.execute(
                    select(Conversation.id, Conversation.risk_level, Conversation.queued_at).where(
                        Conversation.status == "waiting"
                    )
                )
            ).all()
        waiting = {row.id for row in rows}
        for member, _ in await self._backend.ranked(QUEUE_INDEX):
            if member not in waiting:
                await self._backend.rank_remove(QUEUE_INDEX, member)
        for row in rows:
            await self._backend.rank_set(
                QUEUE_INDEX, row.id, priority_score(row.risk_level, row.queued_at)
            )
        return len(rows)

    async def ordered_ids(self, limit: int | None = None) -> list[str]:
        return [member for member, _ in await self._backend.ranked(QUEUE_INDEX, limit)]

    async def position(self, conversation_id: str) -> int | None:
        """1-based place in the queue, None when not waiting."""
        rank = await self._backend.rank_of(QUEUE_INDEX, conversation_id)
        return None if rank is None else rank + 1

    async def expected_wait_minutes(
        self, position: int | None, session: AsyncSession
    ) -> int | None:
        if position is None:
            return None
        counsellors = await self.counsellors_on_shift(session)
        if counsellors == 0:
            return None
        return max(1, round(position * AVERAGE_MINUTES_PER_CHILD / counsellors))

    @staticmethod
    async def counsellors_on_shift(session: AsyncSession) -> int:
        from store.models import User

        result = await session.execute(
            select(func.count())
            .select_from(User)
            .where(User.on_shift.is_(True), User.active.is_(True))
            .where(User.role.in_(("counsellor", "supervisor")))
        )
        return int(result.scalar_one())
