"""POST /telegram/webhook on a real service (core, flows, NLU, database) with the fake Bot API
server behind it: the secret, bad input, duplicates, a database outage, setWebhook."""

from __future__ import annotations

import asyncio
import json

from tests.telegram.driver import (
    WEBHOOK_SECRET,
    Child,
    database_outage,
    inbox_statuses,
    next_update_id,
)


async def test_a_conversation_through_the_webhook(service_factory, stack):
    service = await service_factory(stack)
    child = Child(service)
    welcome = await child.command("start")
    assert len(welcome[-1].buttons) == 3  # az / ru / en
    assert await child.click(welcome[-1].buttons[0][1])  # Azərbaycanca
    assert await child.send("Salam, mənim bir problemim var")
    assert set((await inbox_statuses(service)).values()) == {"done"}


async def test_wrong_or_missing_secret_gets_401_and_nothing_is_stored(service_factory, embedded):
    service = await service_factory(embedded)
    update = Child(service).message(text="hi")
    for secret in (None, "", "wrong", WEBHOOK_SECRET + "x"):
        response = await service.post(update, secret=secret)
        assert response.status_code == 401
    await service.settle()
    assert await inbox_statuses(service) == {}
    assert service.fake.sent() == []


async def test_malformed_bodies_get_400(service_factory, embedded):
    service = await service_factory(embedded)
    for body in (b"{not json", b"[]", b'{"message": {}}', b'{"update_id": "7"}', b""):
        response = await service.post_raw(body)
        assert response.status_code == 400, body
    assert await inbox_statuses(service) == {}


async def test_unknown_update_kinds_are_acknowledged_and_ignored(service_factory, embedded):
    service = await service_factory(embedded)
    child = Child(service)
    edited = {"update_id": next_update_id(), "edited_message": child.message(text="x")["message"]}
    future = {"update_id": next_update_id(), "message_reaction_count": {"whatever": True}}
    group = child.message(text="hi")
    group["message"]["chat"] = {"id": -100, "type": "group", "title": "class"}
    for update in (edited, future, group):
        assert (await service.post(update)).status_code == 200
    await service.settle()
    assert service.fake.sent() == []
    assert set((await inbox_statuses(service)).values()) == {"done"}


async def test_a_duplicated_update_gets_exactly_one_reply(service_factory, stack):
    service = await service_factory(stack)
    child = Child(service)
    update = child.message(text="/start")
    responses = await asyncio.gather(*(service.post(update) for _ in range(3)))
    responses.append(await service.post(update))
    assert [response.status_code for response in responses] == [200] * 4
    await service.settle()
    first = [call.text for call in service.fake.sent(child.user_id)]
    assert first
    await service.post(update)  # Telegram redelivers much later
    await service.settle()
    assert [call.text for call in service.fake.sent(child.user_id)] == first


async def test_database_down_gets_503_then_telegrams_retry_is_answered(service_factory, stack):
    service = await service_factory(stack)
    child = Child(service)
    update = child.message(text="/start")
    async with database_outage(service):
        response = await service.post(update)
        assert response.status_code == 503
    await service.settle()
    assert service.fake.sent(child.user_id) == []
    response = await service.post(update)  # Telegram tries again
    assert response.status_code == 200
    await service.settle()
    assert service.fake.sent(child.user_id)
    assert set((await inbox_statuses(service)).values()) == {"done"}


async def test_bad_text_is_stored_and_answered_without_a_crash(service_factory, stack):
    service = await service_factory(stack)
    texts = ["", "😢🙈💔", "a" * 100_000, "x\x00y\x07\x1b[2J\u202e\u200b", "\ud83d lone"]
    children = [Child(service) for _ in texts]
    for child, text in zip(children, texts, strict=True):
        await child.command("start")
        await child.click("f:welcome:language:az")
        response = await service.post(child.message(text=text))
        assert response.status_code == 200
    invalid_utf8 = (
        json.dumps(Child(service).message(text="@@")).encode().replace(b"@@", b"\xff\xfe")
    )
    assert (await service.post_raw(invalid_utf8)).status_code == 200
    await service.settle()
    assert set((await inbox_statuses(service)).values()) == {"done"}


async def test_media_is_kept_and_answered(service_factory, embedded):
    service = await service_factory(embedded)
    child = Child(service)
    await child.command("start")
    await child.click("f:welcome:language:az")
    photo = [{"file_id": "PHOTO-1", "file_unique_id": "p", "width": 9, "height": 9}]
    replies = await child.deliver(child.message(photo=photo))
    assert replies  # a polite answer about what the bot can and cannot read
    location = await child.deliver(child.message(location={"latitude": 40.4, "longitude": 49.8}))
    assert location


async def test_a_button_click_stops_the_spinner(service_factory, embedded):
    service = await service_factory(embedded)
    child = Child(service)
    await child.command("start")
    update = child.callback("f:welcome:language:az")
    await child.deliver(update)
    query_id = update["callback_query"]["id"]
    await service.fake.wait_for(
        lambda fake: any(
            call.params.get("callback_query_id") == query_id
            for call in fake.calls_to("answerCallbackQuery")
        )
    )


async def test_webhook_mode_registers_the_webhook_with_its_secret(service_factory, embedded):
    service = await service_factory(embedded, public_url="https://helpline.example.az/")
    await service.fake.wait_for(lambda fake: fake.webhook is not None)
    assert service.fake.webhook == {
        "url": "https://helpline.example.az/telegram/webhook",
        "secret_token": WEBHOOK_SECRET,
        "allowed_updates": ["message", "callback_query"],
    }


async def test_webhook_mode_without_public_url_registers_nothing(service_factory, embedded):
    service = await service_factory(embedded)
    await Child(service).command("start")
    assert service.fake.calls_to("setWebhook") == []
    assert service.fake.calls_to("getUpdates") == []
