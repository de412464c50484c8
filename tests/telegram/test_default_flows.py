"""Every default flow, in az, ru and en, through the whole service: Telegram webhook -> inbox ->
real NLU -> flow runner -> outbox -> the fake Bot API. Expected texts are read from the flows
being served, so the test follows what staff publish rather than a copy of it."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from escalation.accounts import create_user
from flows.model import Texts
from store.models import Conversation, User
from tests.telegram.driver import Child

QUESTIONS = {  # one clear question per self-help topic, as a child would type it
    "az": {
        "selfhelp_legal": "vəkil lazımdır, hüquqlarımı bilmək istəyirəm",
        "selfhelp_education": "məktəbdə dərslərimdən geri qalıram, imtahana necə hazırlaşım?",
        "selfhelp_health": "dişim çox ağrıyır, pulsuz həkimə necə gedə bilərəm?",
        "selfhelp_service": "bu xidmət pulsuzdur? nə vaxt işləyirsiniz?",
    },
    "ru": {
        "selfhelp_legal": "мне нужен юрист, какие у меня права?",
        "selfhelp_education": "учитель не ставит оценку за экзамен, как пожаловаться?",
        "selfhelp_health": "у меня болит зуб, как попасть к врачу бесплатно?",
        "selfhelp_service": "это бесплатно? когда вы работаете?",
    },
    "en": {
        "selfhelp_legal": "i need a lawyer, what are my rights?",
        "selfhelp_education": "my teacher failed me on the exam unfairly, how do i complain",
        "selfhelp_health": "my tooth hurts a lot, how can i see a doctor for free?",
        "selfhelp_service": "is this service free? what hours do you work?",
    },
}


def flow_texts(service, flow_id: str, language: str) -> list[str]:
    """The opening words of every text the flow can say in this language."""
    flow = service.container.flows.provider().flows[flow_id]
    texts = [getattr(step, "text", None) for step in flow.steps.values()]
    return [text.get(language).split("{")[0][:40] for text in texts if isinstance(text, Texts)]


def said(service, calls, flow_id: str, language: str) -> bool:
    openings = [opening for opening in flow_texts(service, flow_id, language) if opening]
    return any((call.text or "").startswith(opening) for call in calls for opening in openings)


def button(calls, suffix: str) -> str:
    return next(data for call in calls for _, data in call.buttons if data.endswith(suffix))


async def start(child: Child, language: str):
    replies = await child.command("start")
    replies = await child.click(button(replies, f":{language}"))
    replies += await child.click(button(replies, ":skip"))
    return replies + await child.click(button(replies, ":not_say"))


@pytest.mark.parametrize("language", ["az", "ru", "en"])
async def test_welcome_self_help_help_and_out_of_hours(service_factory, stack, language):
    service = await service_factory(stack)
    child = Child(service, language_code=None)
    assert said(service, await start(child, language), "welcome", language)
    for flow_id, question in QUESTIONS[language].items():
        replies = await child.send(question)
        assert said(service, replies, flow_id, language), (flow_id, [c.text for c in replies])
        assert said(service, replies, "anything_else", language)
    assert said(service, await child.command("help"), "help", language)
    # No counsellor on shift: the child learns what to do now and that a person will answer.
    assert said(service, await child.command("human"), "out_of_hours", language)


@pytest.mark.parametrize("language", ["az", "ru", "en"])
async def test_waiting_then_goodbye_after_the_counsellor_closes(service_factory, stack, language):
    service = await service_factory(stack)
    async with service.container.sessions() as session, session.begin():
        counsellor = await create_user(session, f"c-{language}", "a-long-password", "counsellor")
        await session.execute(update(User).where(User.id == counsellor.id).values(on_shift=True))
    child = Child(service, language_code=None)
    await start(child, language)
    assert await child.command("human")  # told a person is coming
    # Writing on while waiting: the while-you-wait flow answers (place in the queue, wait).
    assert said(service, await child.send("..."), "while_you_wait", language)
    async with service.container.sessions() as session, session.begin():
        conversation = (
            await session.execute(select(Conversation).where(Conversation.status == "waiting"))
        ).scalar_one()
        conversation.status = "closed"  # as the console's close does
    await service.container.core.conversation_closed(conversation.id)
    await service.settle()
    assert said(service, service.fake.sent(child.user_id), "goodbye", language)
