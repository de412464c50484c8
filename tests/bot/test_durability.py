"""Nothing lost, nothing doubled: crashes between storing, stepping and sending are replayed."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.messages import InboundMessage, RetryLater
from store.models import InboxUpdate, OutboxMessage
from tests.support import make_container


def inbound(user: str, text: str) -> InboundMessage:
    return InboundMessage("webchat", user, user, "text", text=text)


async def test_update_stored_but_not_processed_is_replayed_once_at_start(stack_settings, clock):
    settings = stack_settings()
    crashed = make_container(settings, clock=clock)
    # The worker dies after the update is committed and acknowledged, before processing it.
    await crashed.core.receive("webchat", "u-1", inbound("child-a", "salam").to_dict())
    await crashed.stop()

    restarted = make_container(settings, clock=clock)
    await restarted.start()
    try:
        await restarted.outbox.flush()
        first_round = len(restarted.collector.sent)
        assert first_round >= 1
        await restarted.core.recover()  # a second replay finds nothing to do
        await restarted.outbox.flush()
        assert len(restarted.collector.sent) == first_round
    finally:
        await restarted.stop()


async def test_reply_committed_but_not_sent_is_sent_once_after_restart(stack_settings, clock):
    settings = stack_settings()
    crashed = make_container(settings, clock=clock)
    await crashed.flows.load()
    await crashed.core.handle(inbound("child-b", "salam"))  # stepped and committed, never sent
    await crashed.stop()
    assert crashed.collector.sent == []

    restarted = make_container(settings, clock=clock)
    await restarted.start()
    try:
        await restarted.outbox.flush()
        delivered = [address for address, _ in restarted.collector.sent]
        assert delivered and set(delivered) == {"child-b"}
        async with restarted.sessions() as session:
            pending = await session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.status != "sent")
            )
        assert pending == 0
    finally:
        await restarted.stop()


class FlakyOutput:
    """Fails the first `failures` sends with RetryLater (like Telegram's 429), then delivers."""

    name = "webchat"

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.delivered: list[str] = []
        self.attempts = 0

    async def send(self, address, message, progress=None):
        self.attempts += 1
        if self.failures > 0:
            self.failures -= 1
            raise RetryLater(seconds=3, reason="429 Too Many Requests")
        self.delivered.append(message.text)


async def test_retry_later_reschedules_in_order_and_loses_nothing(stack_settings, clock):
    container = make_container(stack_settings(), clock=clock)
    await container.flows.load()
    flaky = FlakyOutput(failures=2)
    container.channels["webchat"] = flaky
    try:
        await container.core.handle(InboundMessage("webchat", "c", "c", "command", command="start"))
        await container.outbox.flush()
        assert flaky.delivered == []  # not yet due: retry_after is honoured
        for _ in range(3):
            clock.advance(60)
            await container.outbox.flush()
        async with container.sessions() as session:
            queued = (
                (await session.execute(select(OutboxMessage).order_by(OutboxMessage.id)))
                .scalars()
                .all()
            )
        assert [row.status for row in queued] == ["sent"] * len(queued)
        assert len(flaky.delivered) == len(queued)
        assert flaky.attempts == len(queued) + 2
    finally:
        await container.stop()


async def test_update_that_keeps_failing_is_parked_not_retried_forever(stack_settings, clock):
    container = make_container(stack_settings(), clock=clock)

    def broken_translator(payload):
        raise ValueError("cannot read")

    container.core.translators["webchat"] = broken_translator
    try:
        inbox_id = await container.core.receive("webchat", "bad", {"x": 1})
        for _ in range(6):
            await container.core.process(inbox_id)
        async with container.sessions() as session:
            row = await session.get(InboxUpdate, inbox_id)
        assert row.status == "failed" and row.attempts == 5
    finally:
        await container.stop()


async def test_a_parked_update_raises_an_alert_for_staff(stack_settings, clock):
    container = make_container(stack_settings(), clock=clock)
    container.core.translators["webchat"] = lambda payload: 1 / 0
    subscription = await container.backend.subscribe("conversations")
    try:
        inbox_id = await container.core.receive("webchat", "bad", {"x": 1})
        for _ in range(5):
            await container.core.process(inbox_id)
        topic, event = await subscription.get(timeout=2)
        assert event == {"event": "alert", "kind": "failed_update", "inbox_id": inbox_id}
    finally:
        await subscription.close()
        await container.stop()


async def test_sweep_retries_a_pending_update_after_a_transient_failure(stack_settings, clock):
    container = make_container(stack_settings(), clock=clock)
    await container.flows.load()
    real = container.core.translators["webchat"]
    container.core.translators["webchat"] = lambda payload: 1 / 0  # e.g. a database blip
    try:
        inbox_id = await container.core.receive(
            "webchat", "u-9", inbound("child-s", "salam").to_dict()
        )
        await container.core.process(inbox_id)
        container.core.translators["webchat"] = real
        assert await container.core.sweep() == 0  # too recent to sweep yet
        clock.advance(30)
        assert await container.core.sweep() == 1
        await container.outbox.flush()
        assert [address for address, _ in container.collector.sent] != []
    finally:
        await container.stop()


async def test_sweep_leaves_updates_a_worker_still_has_queued(stack_settings, clock):
    container = make_container(stack_settings(), clock=clock)
    await container.flows.load()
    try:
        inbox_id = await container.core.receive(
            "webchat", "u-q", inbound("child-q", "salam").to_dict()
        )
        clock.advance(30)
        assert await container.core.sweep(skip={inbox_id}) == 0
        assert await container.core.sweep() == 1
    finally:
        await container.stop()


async def test_processed_updates_are_forgotten_after_the_retention_period(stack_settings, clock):
    container = make_container(stack_settings(), clock=clock)
    await container.flows.load()
    try:
        await container.core.handle(inbound("child-p", "salam"), update_key="7001")
        assert await container.inbox.prune() == 0
        clock.advance(4 * 24 * 3600)
        assert await container.inbox.prune() == 1
        # A restarted update id sequence is no longer mistaken for a duplicate.
        assert await container.core.receive("webchat", "7001", inbound("child-p", "hi").to_dict())
    finally:
        await container.stop()


async def test_a_worker_that_loses_the_race_for_an_update_rolls_its_step_back(
    stack_settings, clock
):
    """Another worker (the sweeper, another process) commits the update while this one waits
    for the conversation lock: this one's step must leave nothing behind."""
    import asyncio

    from bot.conversations import conversation_key
    from store.models import Message

    container = make_container(stack_settings(), clock=clock)
    await container.flows.load()
    try:
        inbox_id = await container.core.receive(
            "webchat", "u-race", inbound("child-r", "salam").to_dict()
        )
        key = conversation_key(container.cipher, "webchat", "child-r")
        async with container.backend.lock(key.lock_name, ttl=10, wait=5):
            worker = asyncio.create_task(container.core.process(inbox_id))
            await asyncio.sleep(0.2)  # it has read the update as pending and waits for the lock
            async with container.sessions() as session, session.begin():
                await container.inbox.mark_done(session, inbox_id, clock())
        await worker
        await container.outbox.flush()
        async with container.sessions() as session:
            stored = await session.scalar(select(func.count()).select_from(Message))
        assert stored == 0
        assert container.collector.sent == []
    finally:
        await container.stop()
