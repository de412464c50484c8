"""Long polling against the fake server: every update is stored before the next getUpdates
acknowledges it, a database outage loses nothing, errors back off, and the loop stops cleanly."""

from __future__ import annotations

from sqlalchemy import select

from store.models import Conversation
from tests.telegram.driver import Child, database_outage, inbox_statuses


async def polling_service(service_factory, stack, **settings):
    service = await service_factory(stack, mode="polling", **settings)
    service.telegram.poller.first_backoff = 0.01  # errors retry fast in tests
    return service


async def conversation_languages(service) -> list[str | None]:
    async with service.container.sessions() as session:
        return list((await session.execute(select(Conversation.language))).scalars())


async def test_a_scripted_conversation_in_azerbaijani(service_factory, stack):
    service = await polling_service(service_factory, stack)
    child = Child(service, via="polling")
    welcome = await child.command("start")
    assert [label for label, _ in welcome[-1].buttons] == ["Azərbaycanca", "Русский", "English"]
    assert await child.click(welcome[-1].buttons[0][1])
    replies = await child.send("Salam. Məktəbdə uşaqlar məni incidir, nə edim?")
    assert replies
    assert await conversation_languages(service) == ["az"]
    assert service.fake.calls[0].method == "deleteWebhook"


async def test_an_update_is_acknowledged_only_after_it_is_stored(service_factory, stack):
    service = await polling_service(service_factory, stack)
    fake = service.fake
    child = Child(service, via="polling")
    update = child.message(text="/start")
    async with database_outage(service):
        await fake.push_update(update)
        # Fetched again and again, never acknowledged while it cannot be stored.
        await fake.wait_for(lambda fake: len(fake.calls_to("getUpdates")) >= 4)
        assert fake.confirmed_offset <= update["update_id"]
    await fake.wait_for(lambda fake: fake.confirmed_offset > update["update_id"])
    await service.settle()
    assert fake.sent(child.user_id)
    assert list((await inbox_statuses(service)).values()) == ["done"]


async def test_telegram_errors_on_get_updates_are_retried(service_factory, embedded):
    service = await polling_service(service_factory, embedded)
    service.fake.fail_next("getUpdates", 2, status=502)
    service.fake.fail_next("getUpdates", 1, status=429, retry_after=1)
    child = Child(service, via="polling")
    assert await child.command("start")


async def test_a_leftover_webhook_is_removed_before_polling(service_factory, embedded):
    service = await service_factory(embedded, mode="polling", start=False)
    service.fake.webhook = {"url": "https://old.example/telegram/webhook"}
    await service.start()
    child = Child(service, via="polling")
    assert await child.command("start")
    assert service.fake.webhook is None


async def test_polling_stops_cleanly(service_factory, embedded):
    service = await polling_service(service_factory, embedded)
    await Child(service, via="polling").command("start")
    await service.stop()
    calls = len(service.fake.calls_to("getUpdates"))
    await service.fake.push_update(Child(service, via="polling").message(text="/start"))
    await service.fake.push_update(Child(service, via="polling").message(text="/help"))
    assert len(service.fake.calls_to("getUpdates")) == calls
