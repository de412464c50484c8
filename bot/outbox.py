"""The outbox: replies are committed with the step that produced them, then delivered.

`enqueue` runs inside the step's transaction; a replayed step produces the same dedupe keys,
so it cannot queue a reply twice. `OutboxSender` delivers due rows through each channel's
OutputChannel, one conversation at a time in order, many conversations at once; RetryLater
(Telegram's 429 `retry_after`, a 5xx, a timeout) reschedules with backoff instead of dropping.
A row is leased while it is being sent, so a second process does not send it too, and a process
that died mid-send has its lease expire and the row sent again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.conversations import decrypt_address
from bot.messages import OutgoingMessage, OutputChannel, PartProgress, RetryLater, Undeliverable
from store.crypto import FieldCipher
from store.models import Conversation, OutboxMessage

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)
MAX_BACKOFF_SECONDS = 300.0
GIVE_UP_AFTER_ATTEMPTS = 50


def enqueue(
    session: AsyncSession,
    cipher: FieldCipher,
    *,
    dedupe_key: str,
    conversation: Conversation,
    message: OutgoingMessage,
    now: datetime,
) -> OutboxMessage:
    row = OutboxMessage(
        dedupe_key=dedupe_key,
        conversation_id=conversation.id,
        channel=conversation.channel,
        payload_enc=cipher.encrypt_json(message.to_dict()),
        created_at=now,
        next_attempt_at=now,
    )
    session.add(row)
    return row


def backoff_seconds(attempts: int) -> float:
    return min(MAX_BACKOFF_SECONDS, 0.5 * 2 ** max(0, attempts - 1))


class OutboxSender:
    def __init__(
        self,
        sessions: async_sessionmaker,
        cipher: FieldCipher,
        channels: Mapping[str, OutputChannel],
        clock: Callable[[], datetime],
    ) -> None:
        self._sessions = sessions
        self._cipher = cipher
        self._channels = channels
        self._clock = clock
        self._wake = asyncio.Event()
        self._busy_conversations: set[str] = set()
        self._tasks: set[asyncio.Task] = set()

    def wake(self) -> None:
        self._wake.set()

    async def run(self, poll_seconds: float = 1.0) -> None:
        while True:
            try:
                await self.deliver_due()
            except Exception:  # keep delivering whatever one bad batch did
                log.exception("outbox delivery round failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), poll_seconds)
            self._wake.clear()

    async def deliver_due(self) -> int:
        """Start delivery of every due row; returns how many conversations were started."""
        conversations = await self._due_conversations()
        started = 0
        for conversation_id in conversations:
            if conversation_id in self._busy_conversations:
                continue
            self._busy_conversations.add(conversation_id)
            task = asyncio.create_task(self._drain(conversation_id))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            started += 1
        return started

    async def flush(self) -> None:
        """Deliver everything due now and wait for it (tests, web chat, shutdown)."""
        while True:
            await self.deliver_due()
            if not self._tasks:
                return
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def _due_conversations(self) -> list[str]:
        now = self._clock()
        async with self._sessions() as session:
            result = await session.execute(
                select(OutboxMessage.conversation_id)
                .where(_due(now))
                .group_by(OutboxMessage.conversation_id)
                .order_by(func.min(OutboxMessage.id))
                .limit(500)
            )
            return list(result.scalars())

    async def _drain(self, conversation_id: str) -> None:
        addresses: dict[str, str | None] = {}  # one lookup per drain, not per reply
        try:
            while await self._send_next(conversation_id, addresses):
                pass
        finally:
            self._busy_conversations.discard(conversation_id)

    async def _send_next(self, conversation_id: str, addresses: dict[str, str | None]) -> bool:
        """Send the oldest unsent row of a conversation; False when nothing is due or it must wait."""
        now = self._clock()
        async with self._sessions() as session, session.begin():
            row = (
                await session.execute(
                    select(OutboxMessage)
                    .where(OutboxMessage.conversation_id == conversation_id)
                    .where(OutboxMessage.status.in_(("pending", "sending")))
                    .order_by(OutboxMessage.id)
                    .limit(1)
                )
            ).scalar_one_or_none()
            # Only the oldest may go, so a retried message is never overtaken by a later one.
            if row is None or row.next_attempt_at > now:
                return False
            claimed = await session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.id == row.id, OutboxMessage.next_attempt_at == row.next_attempt_at
                )
                .values(status="sending", next_attempt_at=now + LEASE)
            )
            if claimed.rowcount != 1:
                return False  # another process took it
            if conversation_id not in addresses:
                conversation = await session.get(Conversation, conversation_id)
                addresses[conversation_id] = (
                    decrypt_address(self._cipher, conversation) if conversation else None
                )
            address = addresses[conversation_id]
            message = OutgoingMessage.from_dict(self._cipher.decrypt_json(row.payload_enc))
            row_id, attempts, channel = row.id, row.attempts, row.channel
            progress = _StoredProgress(self._sessions, row_id, row.parts_sent or 0)
        return await self._deliver(row_id, attempts, channel, address, message, progress)

    async def _deliver(
        self,
        row_id: int,
        attempts: int,
        channel_name: str,
        address: str | None,
        message: OutgoingMessage,
        progress: PartProgress,
    ) -> bool:
        channel = self._channels.get(channel_name)
        try:
            if channel is None or address is None:
                raise RetryLater(30.0, f"channel {channel_name} not available")
            await channel.send(address, message, progress)
        except RetryLater as exc:
            delay = max(exc.seconds, backoff_seconds(attempts + 1))
            await self._finish(row_id, "pending", attempts + 1, str(exc), delay)
            log.warning("outbox row %s: %s", row_id, exc.reason)
            return False
        except Undeliverable as exc:
            await self._finish(row_id, "failed", attempts + 1, str(exc))
            log.warning("outbox row %s undeliverable: %s", row_id, exc.reason)
            return True
        except Exception as exc:
            status = "failed" if attempts + 1 >= GIVE_UP_AFTER_ATTEMPTS else "pending"
            await self._finish(
                row_id, status, attempts + 1, type(exc).__name__, backoff_seconds(attempts + 1)
            )
            log.exception("outbox row %s: unexpected send error", row_id)
            return False
        await self._finish(row_id, "sent", attempts + 1, None)
        return True

    async def _finish(
        self, row_id: int, status: str, attempts: int, error: str | None, delay: float = 0.0
    ) -> None:
        now = self._clock()
        values = {"status": status, "attempts": attempts, "error": error and error[:200]}
        if status == "sent":
            values["sent_at"] = now
            values["payload_enc"] = b""  # the text lives on in messages; no second copy
        else:
            values["next_attempt_at"] = now + timedelta(seconds=delay)
        async with self._sessions() as session, session.begin():
            await session.execute(
                update(OutboxMessage).where(OutboxMessage.id == row_id).values(**values)
            )
        if status == "pending":
            self._schedule_wake(delay)

    def _schedule_wake(self, delay: float) -> None:
        asyncio.get_running_loop().call_later(delay, self._wake.set)


class _StoredProgress(PartProgress):
    """Part progress written to the outbox row as each part goes out (committed at once)."""

    def __init__(self, sessions: async_sessionmaker, row_id: int, parts_sent: int) -> None:
        super().__init__(parts_sent)
        self._sessions = sessions
        self._row_id = row_id

    async def record(self, parts_sent: int) -> None:
        await super().record(parts_sent)
        async with self._sessions() as session, session.begin():
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == self._row_id)
                .values(parts_sent=parts_sent)
            )


def _due(now: datetime):
    return or_(
        (OutboxMessage.status == "pending") & (OutboxMessage.next_attempt_at <= now),
        (OutboxMessage.status == "sending") & (OutboxMessage.next_attempt_at <= now),
    )
