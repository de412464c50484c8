"""The core's conversation path, on the embedded stack and on PostgreSQL + Redis."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.conversations import conversation_key
from store.models import Conversation, InboxUpdate, Message, OutboxMessage, Participant
from tests.support import ChatDriver, texts


async def count(container, model, *where):
    async with container.sessions() as session:
        return await session.scalar(select(func.count()).select_from(model).where(*where))


async def conversation_of(container, driver) -> Conversation:
    key = conversation_key(container.cipher, driver.channel, driver.user)
    async with container.sessions() as session:
        return (
            await session.execute(
                select(Conversation)
                .join(Participant, Participant.id == Conversation.participant_id)
                .where(Participant.user_hash == key.user_hash, Conversation.status != "closed")
            )
        ).scalar_one()


async def test_start_offers_three_languages(container):
    replies = await ChatDriver(container).command("start")
    buttons = [button.data for reply in replies for button in reply.buttons]
    assert any(data.endswith(":az") for data in buttons)
    assert any(data.endswith(":ru") for data in buttons)
    assert any(data.endswith(":en") for data in buttons)


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("az", "özümü öldürmək istəyirəm"),
        ("az", "ozumu oldurmek isteyirem bu gece"),
        ("ru", "я не хочу жить, сегодня ночью всё закончу"),
        ("en", "i want to kill myself tonight, i have the pills"),
    ],
)
async def test_high_risk_message_goes_to_the_top_of_the_queue_with_a_safety_reply(
    container, language, text
):
    calm = ChatDriver(container)
    await calm.start_in(language)
    await calm.command("human")  # someone already waiting, with no risk
    child = ChatDriver(container)
    await child.start_in(language)
    replies = await child.send(text)
    conversation = await conversation_of(container, child)
    assert conversation.status == "waiting"
    assert conversation.risk_level in ("high", "imminent")
    assert (await container.queue.ordered_ids())[0] == conversation.id
    assert "112" in texts(replies)


async def test_high_risk_interrupts_any_step_of_a_flow(container):
    child = ChatDriver(container)
    await child.command("start")  # in the middle of the language question
    replies = await child.send("ya ne hochu zhit")
    conversation = await conversation_of(container, child)
    assert conversation.status == "waiting"
    assert "112" in texts(replies)


class FailingAnalyzer:
    async def analyze(self, text, context=()):
        raise RuntimeError("model exploded")


class SlowAnalyzer:
    async def analyze(self, text, context=()):
        import asyncio

        await asyncio.sleep(30)


@pytest.mark.parametrize("analyzer", [FailingAnalyzer(), SlowAnalyzer()], ids=["error", "timeout"])
async def test_when_nlu_fails_the_message_goes_to_a_person_never_safe(container, analyzer):
    container.core.analyzer = analyzer
    container.core.nlu_timeout_seconds = 0.05
    child = ChatDriver(container)
    await child.start_in("en")
    replies = await child.send("hello")
    conversation = await conversation_of(container, child)
    assert conversation.status == "waiting"
    assert conversation.risk_level == "high"
    assert replies, "the child must be told a person is coming"


class BrokenRunner:
    def step(self, state, event):
        raise KeyError("step vanished")


async def test_when_the_flow_runner_fails_the_child_still_reaches_a_person(container):
    container.core.runner = BrokenRunner()
    child = ChatDriver(container)
    replies = await child.send("salam")
    conversation = await conversation_of(container, child)
    assert conversation.status == "waiting"
    assert "112" in texts(replies)


class SilentRunner:
    """A runner that forgets the rail: the core must still hand off."""

    def step(self, state, event):
        from flows.types import StepResult

        return StepResult(state=state)


async def test_core_hands_off_an_urgent_message_even_if_the_runner_does_not(container):
    container.core.runner = SilentRunner()
    child = ChatDriver(container)
    replies = await child.send("i want to die")
    conversation = await conversation_of(container, child)
    assert conversation.status == "waiting"
    assert conversation.risk_level in ("high", "imminent")
    assert "112" in texts(replies)


async def test_same_update_twice_produces_one_reply(container):
    child = ChatDriver(container)
    first = await child.send("salam", update_key="update-1")
    second = await child.send("salam", update_key="update-1")
    assert first and second == []
    assert await count(container, InboxUpdate) == 1
    assert await count(container, Message, Message.sender == "child") == 1


async def test_child_can_always_ask_for_a_person_in_words(container):
    child = ChatDriver(container)
    await child.start_in("az")
    await child.send("insanla danışmaq istəyirəm")
    assert (await conversation_of(container, child)).status == "waiting"


@pytest.mark.parametrize(
    "text",
    ["", "   ", "😀😀😀", "a" * 100_000, "bad \udcff utf8", "ctrl \x00\x07\x1b[31m chars"],
    ids=["empty", "blank", "emoji", "100kb", "invalid-utf8", "control"],
)
async def test_odd_text_is_stored_and_answered_without_crashing(container, text):
    child = ChatDriver(container)
    await child.start_in("en")
    await child.send(text)
    assert await count(container, InboxUpdate, InboxUpdate.status == "done") == 3
    stored = await count(container, Message, Message.sender == "child", Message.kind == "text")
    assert stored == 1


async def test_media_is_kept_for_the_counsellor_and_answered_politely(container):
    child = ChatDriver(container)
    await child.start_in("ru")
    replies = await child.media("photo", attachment="AgACAgIAAxk")
    assert replies
    async with container.sessions() as session:
        message = (
            await session.execute(select(Message).where(Message.kind == "photo"))
        ).scalar_one()
        assert container.cipher.decrypt(message.attachment_enc) == "AgACAgIAAxk"


async def test_message_text_and_channel_ids_are_not_stored_in_the_clear(container):
    child = ChatDriver(container, user="telegram-user-777000111")
    await child.send("my secret words about home")
    async with container.sessions() as session:
        rows = (await session.execute(select(Message.text_enc))).scalars().all()
        participants = (await session.execute(select(Conversation.address_enc))).scalars().all()
    assert all(b"secret words" not in (row or b"") for row in rows)
    assert all(b"777000111" not in row for row in participants)


async def test_logs_carry_no_message_text_or_channel_id(container, caplog):
    caplog.set_level("DEBUG")
    container.core.analyzer = FailingAnalyzer()  # the path that logs the most
    child = ChatDriver(container, user="user-id-5550001")
    await child.send("kill myself secretword")
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "secretword" not in logged
    assert "5550001" not in logged


async def test_delete_erases_the_childs_data_after_confirmation(container):
    child = ChatDriver(container)
    await child.start_in("en")
    await child.send("my teacher shouts at me")
    replies = await child.command("delete")
    confirm = next(
        button.data for reply in replies for button in reply.buttons if "yes" in button.data
    )
    assert await count(container, Message, Message.sender == "child") >= 2
    done = await child.click(confirm)
    assert done, "the child is told their data is gone"
    async with container.sessions() as session:
        texts_left = [
            container.cipher.decrypt(token)
            for token in (await session.execute(select(Message.text_enc))).scalars()
        ]
    assert all("teacher" not in (text or "") for text in texts_left)


async def test_counsellor_message_reaches_the_child_protected(container):
    child = ChatDriver(container)
    await child.start_in("en")
    await child.command("human")
    conversation = await conversation_of(container, child)
    await container.core.send_to_child(conversation.id, "Hi, I'm Aysel. I'm here.")
    await container.outbox.flush()
    address, message = container.collector.sent[-1]
    assert address == child.user
    assert message.text == "Hi, I'm Aysel. I'm here."
    assert message.protect_content and message.sender == "counsellor"


async def test_every_reply_is_committed_to_the_outbox_before_delivery(container):
    child = ChatDriver(container)
    await child.command("start")
    assert await count(container, OutboxMessage, OutboxMessage.status == "sent") >= 1
    assert await count(container, OutboxMessage, OutboxMessage.status == "pending") == 0


async def test_after_a_counsellor_closes_the_child_gets_goodbye_once(container):
    child = ChatDriver(container)
    await child.start_in("ru")
    await child.command("human")
    conversation = await conversation_of(container, child)
    async with container.sessions() as session, session.begin():
        row = await session.get(Conversation, conversation.id)
        row.status = "closed"  # as escalation's close does, with the case form
    before = len(container.collector.sent)
    await container.core.conversation_closed(conversation.id)
    await container.core.conversation_closed(conversation.id)  # a retried call sends nothing new
    await container.outbox.flush()
    goodbye = [message for _, message in container.collector.sent[before:]]
    assert goodbye and any(message.buttons for message in goodbye)  # the feedback question
    fresh = await conversation_of(container, child)
    assert fresh.id != conversation.id and fresh.status == "bot"
    # The feedback tap lands in the fresh conversation's goodbye flow, not in a broken state.
    feedback = next(button.data for message in goodbye for button in message.buttons)
    assert await child.click(feedback)


async def test_a_calm_follow_up_does_not_relabel_a_serious_chat(container):
    child = ChatDriver(container)
    await child.start_in("en")
    await child.send("my stepfather beats me every day")
    first = await conversation_of(container, child)
    await child.send("i have an exam tomorrow too")
    later = await conversation_of(container, child)
    assert (later.category, later.subcategory) == (first.category, first.subcategory)
    assert later.category == "violence"
