"""TelegramOutput against the fake Bot API server, through a real aiogram Bot: keyboards,
protect_content, splitting, and how each Telegram failure reaches the outbox."""

from __future__ import annotations

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramNetworkError

from bot.channels.telegram.limiter import Pacer
from bot.channels.telegram.output import TelegramOutput, split_text, utf16_units
from bot.messages import OutButton, OutgoingMessage, PartProgress, RetryLater, Undeliverable
from tests.telegram.driver import TOKEN


@pytest.fixture
async def output(fake_telegram):
    session = AiohttpSession(api=TelegramAPIServer.from_base(fake_telegram.base_url))
    bot = Bot(TOKEN, session=session)
    pacer = Pacer(per_chat_interval=0.001, global_per_second=10_000)
    yield TelegramOutput(bot, pacer, send_timeout=1)
    await session.close()


async def test_buttons_become_an_inline_keyboard(output, fake_telegram):
    message = OutgoingMessage(
        "Choose", buttons=(OutButton("Azərbaycanca", "f:welcome:language:az"), OutButton("EN", "x"))
    )
    await output.send("42", message)
    (call,) = fake_telegram.sent(42)
    assert call.text == "Choose"
    assert call.buttons == [("Azərbaycanca", "f:welcome:language:az"), ("EN", "x")]
    assert "protect_content" not in call.params


async def test_counsellor_messages_are_protected_from_forwarding(output, fake_telegram):
    await output.send("42", OutgoingMessage("from a counsellor", protect_content=True))
    assert fake_telegram.sent(42)[0].params["protect_content"] is True


async def test_button_data_over_64_bytes_is_offered_as_numbered_text(output, fake_telegram):
    message = OutgoingMessage("Choose", buttons=(OutButton("Long", "x" * 65),))
    await output.send("42", message)
    (call,) = fake_telegram.sent(42)
    assert call.buttons == []
    assert call.text.endswith("1. Long")


async def test_long_reply_is_split_and_the_keyboard_goes_last(output, fake_telegram):
    paragraphs = [f"{number} " + "word " * 500 for number in range(5)]  # 2,500 characters each
    message = OutgoingMessage("\n\n".join(paragraphs), buttons=(OutButton("OK", "ok"),))
    await output.send("42", message)
    calls = fake_telegram.sent(42)
    assert [call.text for call in calls] == paragraphs  # cut at paragraph boundaries
    assert [bool(call.buttons) for call in calls] == [False, False, False, False, True]


async def test_a_failed_part_is_retried_without_resending_the_parts_before(output, fake_telegram):
    message = OutgoingMessage("\n\n".join(["a" * 3000, "b" * 3000, "c" * 3000]), message_id=7)
    progress = PartProgress()
    fake_telegram.fail_next("sendMessage", status=502, after=1)
    with pytest.raises(RetryLater):
        await output.send("42", message, progress)
    assert progress.parts_sent == 1
    await output.send("42", message, progress)
    assert [call.text[0] for call in fake_telegram.sent(42)] == ["a", "b", "c"]


async def test_429_becomes_retry_later_with_telegrams_retry_after(output, fake_telegram):
    fake_telegram.fail_next("sendMessage", status=429, retry_after=17)
    with pytest.raises(RetryLater) as raised:
        await output.send("42", OutgoingMessage("hi"))
    assert raised.value.seconds == 17


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_server_errors_become_retry_later(output, fake_telegram, status):
    fake_telegram.fail_next("sendMessage", status=status)
    with pytest.raises(RetryLater):
        await output.send("42", OutgoingMessage("hi"))


async def test_a_slow_telegram_times_out_into_retry_later(output, fake_telegram):
    fake_telegram.slow_next("sendMessage", seconds=3)
    with pytest.raises(RetryLater):
        await output.send("42", OutgoingMessage("hi"))


async def test_telegram_unreachable_becomes_retry_later(fake_telegram):
    session = AiohttpSession(api=TelegramAPIServer.from_base("http://127.0.0.1:9"))
    output = TelegramOutput(
        Bot(TOKEN, session=session), Pacer(per_chat_interval=0, global_per_second=0)
    )
    try:
        with pytest.raises(RetryLater):
            await output.send("42", OutgoingMessage("hi"))
    finally:
        await session.close()


async def test_a_blocked_bot_is_undeliverable(output, fake_telegram):
    fake_telegram.fail_next("sendMessage", status=403)
    with pytest.raises(Undeliverable):
        await output.send("42", OutgoingMessage("hi"))


async def test_a_rejected_message_is_undeliverable(output, fake_telegram):
    fake_telegram.fail_next("sendMessage", status=400)
    with pytest.raises(Undeliverable):
        await output.send("42", OutgoingMessage("hi"))


@pytest.mark.parametrize("address", ["", "webchat-token", "42; drop"])
async def test_an_address_that_is_not_a_chat_id_is_undeliverable(output, address):
    with pytest.raises(Undeliverable):
        await output.send(address, OutgoingMessage("hi"))


async def test_an_empty_message_is_undeliverable_not_retried_forever(output, fake_telegram):
    with pytest.raises(Undeliverable):
        await output.send("42", OutgoingMessage("  "))
    assert fake_telegram.calls_to("sendMessage") == []


async def test_answer_callback_stops_the_spinner_and_never_raises(output, fake_telegram):
    await output.answer_callback("cq1")
    fake_telegram.fail_next("answerCallbackQuery", status=400)
    await output.answer_callback("cq2")
    assert [call.params["callback_query_id"] for call in fake_telegram.calls] == ["cq1", "cq2"]


# -- splitting ------------------------------------------------------------------------------------


def test_short_text_is_one_part():
    assert split_text("hello") == ["hello"]
    assert split_text("") == [""]


def test_split_prefers_paragraphs_then_lines_then_words():
    assert split_text("aaaa\n\nbbbb", limit=6) == ["aaaa", "bbbb"]
    assert split_text("aaaa\nbbbb", limit=6) == ["aaaa", "bbbb"]
    assert split_text("aaaa bbbb", limit=6) == ["aaaa", "bbbb"]
    assert split_text("aaaabbbb", limit=6) == ["aaaabb", "bb"]


def test_split_never_leaves_a_sliver_for_an_early_boundary():
    parts = split_text("a\n" + "b" * 20, limit=10)
    assert parts[0] == "a\nbbbbbbbb"


def test_split_counts_utf16_units_so_emoji_fit():
    text = "😀" * 3000  # 6,000 UTF-16 units
    parts = split_text(text)
    assert "".join(parts) == text
    assert all(utf16_units(part) <= 4096 for part in parts)


def test_split_of_100kb_keeps_every_character_but_the_cut_separators():
    text = " ".join(["söz"] * 25_000)
    parts = split_text(text)
    assert all(0 < utf16_units(part) <= 4096 for part in parts)
    assert " ".join(parts) == text


async def test_a_real_telegram_address_is_never_reached(no_real_network):
    bot = Bot(TOKEN)  # the production API base, as a misconfigured test would have
    try:
        with pytest.raises(TelegramNetworkError):
            await bot.get_me()
    finally:
        await bot.session.close()
    assert no_real_network == ["api.telegram.org"]
    no_real_network.clear()  # the guard did its job; do not fail this test for it
