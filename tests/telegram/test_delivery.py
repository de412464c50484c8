"""Replies through the outbox to the fake server: Telegram's 429 and 5xx are retried (the
retry_after honoured, on the service's settable clock), a blocked bot is parked, long replies
are split; and a crash between storing and replying is replayed at the next start, once."""

from __future__ import annotations

from sqlalchemy import select

from bot.channels.telegram.output import utf16_units
from store.models import Conversation, OutboxMessage
from tests.telegram.driver import Child


async def test_429_waits_for_retry_after_then_delivers_once(service_factory, stack, clock):
    service = await service_factory(stack)
    expected = len(await Child(service).command("start"))
    child = Child(service)
    service.fake.fail_next("sendMessage", status=429, retry_after=7)
    assert await child.command("start") == []
    assert [
        call.params["_status"] for call in service.fake.calls_to("sendMessage", child.user_id)
    ] == [429]
    clock.advance(6.5)
    await service.settle()
    assert service.fake.sent(child.user_id) == []  # not before Telegram said
    clock.advance(1)
    await service.settle()
    texts = [call.text for call in service.fake.sent(child.user_id)]
    assert len(texts) == expected


async def test_5xx_is_retried_with_backoff_and_the_reply_is_not_lost(service_factory, stack, clock):
    service = await service_factory(stack)
    child = Child(service)
    service.fake.fail_next("sendMessage", 2, status=502)
    assert await child.command("start") == []
    for _ in range(2):
        clock.advance(1.0)
        await service.settle()
    assert len(service.fake.sent(child.user_id)) >= 1
    statuses = [
        call.params["_status"] for call in service.fake.calls_to("sendMessage", child.user_id)
    ]
    assert statuses[:3] == [502, 502, 200]


async def test_a_child_who_blocked_the_bot_is_parked_and_others_are_served(
    service_factory, embedded, clock
):
    service = await service_factory(embedded)
    blocked, other = Child(service), Child(service)
    service.fake.fail_next("sendMessage", status=403)
    await blocked.command("start")
    assert await other.command("start")
    clock.advance(600)
    await service.settle()
    assert service.fake.sent(blocked.user_id) == []
    async with service.container.sessions() as session:
        statuses = (await session.execute(select(OutboxMessage.status))).scalars().all()
    assert sorted(set(statuses)) == ["failed", "sent"]


async def test_a_long_counsellor_reply_is_split_and_protected(service_factory, stack):
    service = await service_factory(stack)
    child = Child(service)
    await child.command("start")
    async with service.container.sessions() as session:
        conversation_id = (await session.execute(select(Conversation.id))).scalar_one()
    paragraph = "Sənin hisslərin vacibdir. " * 100  # 2,600 characters
    text = "\n\n".join([paragraph.strip()] * 4)
    before = len(service.fake.sent(child.user_id))
    await service.container.core.send_to_child(conversation_id, text)
    await service.settle()
    parts = service.fake.sent(child.user_id)[before:]
    assert len(parts) == 4
    assert all(utf16_units(part.text) <= 4096 for part in parts)
    assert all(part.params["protect_content"] is True for part in parts)
    assert "\n\n".join(part.text for part in parts) == text


async def test_crash_after_storing_replays_at_the_next_start_with_exactly_one_reply(
    service_factory, stack
):
    first = await service_factory(stack)
    expected = len(await Child(first).command("start"))
    child = Child(first)
    update = child.message(text="/start")
    # What the webhook does first; then the worker "dies" before processing.
    assert await first.container.core.receive("telegram", str(update["update_id"]), update)
    await first.stop()
    assert first.fake.sent(child.user_id) == []

    second = await service_factory(stack)  # a new process on the same database: start() replays
    await second.settle()
    assert len(second.fake.sent(child.user_id)) == expected
    assert (await second.post(update)).status_code == 200  # Telegram redelivers: nothing new
    await second.stop()
    third = await service_factory(stack)
    await third.settle()
    assert len(third.fake.sent(child.user_id)) == expected


async def test_crash_after_processing_sends_the_committed_replies_once(service_factory, stack):
    first = await service_factory(stack, start=False)
    await first.container.flows.load()
    child = Child(first)
    update = child.message(text="/start")
    inbox_id = await first.container.core.receive("telegram", str(update["update_id"]), update)
    await first.container.core.process(inbox_id)  # replies committed to the outbox, not sent
    await first.stop()
    assert first.fake.sent(child.user_id) == []

    second = await service_factory(stack)
    await second.settle()
    sent = [call.text for call in second.fake.sent(child.user_id)]
    assert sent
    assert len(sent) == len(set(sent))


async def test_a_split_reply_cut_off_by_a_crash_goes_on_from_the_missing_part(
    service_factory, stack, clock
):
    first = await service_factory(stack)
    child = Child(first)
    await child.command("start")
    async with first.container.sessions() as session:
        conversation_id = (await session.execute(select(Conversation.id))).scalar_one()
    paragraphs = [f"{number}: " + "Sən tək deyilsən. " * 150 for number in range(4)]
    before = len(first.fake.sent(child.user_id))
    first.fake.fail_next("sendMessage", status=502, after=2)  # parts 1 and 2 go out, 3 fails
    await first.container.core.send_to_child(conversation_id, "\n\n".join(paragraphs))
    await first.settle()
    await first.stop()  # the process dies before the retry
    assert [p.text[:2] for p in first.fake.sent(child.user_id)[before:]] == ["0:", "1:"]

    second = await service_factory(stack)  # a new process on the same database
    clock.advance(60)
    await second.settle()
    parts = second.fake.sent(child.user_id)[before:]
    assert [part.text[:2] for part in parts] == ["0:", "1:", "2:", "3:"]  # none twice
    assert [part.text.strip() for part in parts] == [p.strip() for p in paragraphs]
