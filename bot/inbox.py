"""The durable inbox: an update is committed here before anyone acknowledges it.

The unique (channel, update_key) makes a redelivered update (Telegram retries, a double click
in the web chat) a no-op. A row stays `pending` until the step it caused is committed, so a crash
in between is replayed by `pending_ids` at the next start.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from store.crypto import FieldCipher
from store.models import InboxUpdate

MAX_ATTEMPTS = 5
RETENTION = timedelta(days=3)


class Inbox:
    def __init__(
        self, sessions: async_sessionmaker, cipher: FieldCipher, clock: Callable[[], datetime]
    ) -> None:
        self._sessions = sessions
        self._cipher = cipher
        self._clock = clock

    async def store(self, channel: str, update_key: str, payload: dict[str, Any]) -> int | None:
        """Commit the update; its id, or None when this update was already received."""
        row = InboxUpdate(
            channel=channel,
            update_key=update_key,
            payload_enc=self._cipher.encrypt_json(payload),
            received_at=self._clock(),
        )
        async with self._sessions() as session:
            session.add(row)
            try:
                await session.commit()
            except IntegrityError:
                return None
        return row.id

    async def load(self, session: AsyncSession, inbox_id: int) -> tuple[str, dict] | None:
        """(channel, payload) of a pending update, or None when it is already done."""
        row = await session.get(InboxUpdate, inbox_id)
        if row is None or row.status != "pending":
            return None
        return row.channel, self._cipher.decrypt_json(row.payload_enc)

    @staticmethod
    async def finish(session: AsyncSession, inbox_id: int, now: datetime) -> bool:
        """Mark a pending update done in the caller's transaction; False if it was not pending
        (another worker committed it first), so the caller rolls its own step back."""
        result = await session.execute(
            update(InboxUpdate)
            .where(InboxUpdate.id == inbox_id, InboxUpdate.status == "pending")
            .values(status="done", processed_at=now, payload_enc=b"")
        )
        return result.rowcount == 1

    @staticmethod
    async def mark_done(session: AsyncSession, inbox_id: int, now: datetime) -> None:
        await session.execute(
            update(InboxUpdate)
            .where(InboxUpdate.id == inbox_id)
            .values(status="done", processed_at=now, payload_enc=b"")
        )

    async def record_failure(self, inbox_id: int, error: str) -> bool:
        """Count a failed attempt; after MAX_ATTEMPTS the update is parked as `failed` (True)."""
        async with self._sessions() as session, session.begin():
            row = await session.get(InboxUpdate, inbox_id)
            if row is None or row.status != "pending":
                return False
            row.attempts += 1
            row.error = error[:200]
            if row.attempts >= MAX_ATTEMPTS:
                row.status = "failed"
                return True
            return False

    async def prune(self, older_than: timedelta = RETENTION) -> int:
        """Forget processed updates after the retention period.

        The dedupe window need only cover redeliveries (Telegram retries for about a day), and
        Telegram may restart its update ids after a week without updates: an old row must not
        make a new update look like a duplicate.
        """
        cutoff = self._clock() - older_than
        async with self._sessions() as session, session.begin():
            result = await session.execute(
                delete(InboxUpdate).where(
                    InboxUpdate.status == "done", InboxUpdate.received_at < cutoff
                )
            )
        return result.rowcount or 0

    async def pending_ids(self, received_before: datetime | None = None) -> list[int]:
        query = select(InboxUpdate.id).where(InboxUpdate.status == "pending")
        if received_before is not None:
            query = query.where(InboxUpdate.received_at < received_before)
        async with self._sessions() as session:
            return list((await session.execute(query.order_by(InboxUpdate.id))).scalars())
