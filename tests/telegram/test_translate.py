"""translate(): every update kind a child can send, and the bad inputs Telegram (or anyone
posting to the webhook) can produce. Pure functions: no server, no database."""

from __future__ import annotations

import json

import pytest

from bot.channels.telegram.translate import clean_payload, translate
from bot.channels.telegram.webhook import parse_update

USER = {"id": 777, "is_bot": False, "first_name": "Aysel", "language_code": "az"}
PRIVATE = {"id": 777, "type": "private", "first_name": "Aysel"}
GROUP = {"id": -100500, "type": "supergroup", "title": "class 7b"}


def message(chat=PRIVATE, sender=USER, **content) -> dict:
    body = {"message_id": 1, "date": 1_700_000_000, "chat": chat, **content}
    if sender is not None:
        body["from"] = sender
    return {"update_id": 1, "message": body}


def callback(data="f:welcome:language:az", with_message=True, chat=PRIVATE) -> dict:
    query = {"id": "cq1", "from": USER, "chat_instance": "ci", "data": data}
    if with_message:
        query["message"] = {"message_id": 9, "date": 1_700_000_000, "chat": chat, "text": "?"}
    return {"update_id": 2, "callback_query": query}


def test_text_keeps_ids_as_strings_and_language_hint():
    inbound = translate(message(text="Salam"))
    assert (inbound.channel, inbound.kind, inbound.text) == ("telegram", "text", "Salam")
    assert (inbound.user_id, inbound.address) == ("777", "777")
    assert inbound.language_hint == "az"


@pytest.mark.parametrize(
    ("code", "hint"), [("ru", "ru"), ("en-GB", "en"), ("AZ", "az"), ("de", None), (None, None)]
)
def test_language_hint_only_for_the_helplines_languages(code, hint):
    sender = {key: value for key, value in USER.items() if key != "language_code"}
    if code:
        sender["language_code"] = code
    assert translate(message(sender=sender, text="hi")).language_hint == hint


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("/start", "start"),
        ("/help", "help"),
        ("/language", "language"),
        ("/human", "human"),
        ("/delete", "delete"),
        ("/start@helpline_bot", "start"),
        ("/START deep-link-payload", "start"),
        ("/human@helpline_bot please now", "human"),
    ],
)
def test_commands_with_bot_name_and_arguments(text, command):
    inbound = translate(message(text=text))
    assert (inbound.kind, inbound.command, inbound.text) == ("command", command, text)


@pytest.mark.parametrize("text", ["/unknown", "/", "/ start", "a /start in the middle"])
def test_unknown_commands_stay_text(text):
    inbound = translate(message(text=text))
    assert (inbound.kind, inbound.command, inbound.text) == ("text", None, text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "😢😢😢",
        "👨‍👩‍👧" * 50,
        "x" * 100_000,
        "a\x00b\x07c\x1b[31m\u202eevil\u200b",
        "line1\r\nline2\ttab",
    ],
    ids=["empty", "spaces", "emoji", "zwj-emoji", "100KB", "control", "newlines"],
)
def test_text_is_kept_exactly_as_sent(text):
    inbound = translate(message(text=text))
    assert inbound.kind == "text"
    assert inbound.text == text


def test_button_click_carries_callback_data():
    inbound = translate(callback())
    assert (inbound.kind, inbound.button, inbound.address, inbound.user_id) == (
        "button",
        "f:welcome:language:az",
        "777",
        "777",
    )


def test_button_on_an_inaccessible_message_replies_to_the_user():
    inbound = translate(callback(with_message=False))
    assert (inbound.kind, inbound.address) == ("button", "777")


def test_button_in_a_group_is_ignored():
    assert translate(callback(chat=GROUP)) is None


PHOTO = [
    {"file_id": "small", "file_unique_id": "s", "width": 90, "height": 90},
    {"file_id": "large", "file_unique_id": "l", "width": 1280, "height": 1280},
]
FILE = {"file_id": "F1", "file_unique_id": "u1"}


@pytest.mark.parametrize(
    ("content", "kind", "attachment"),
    [
        ({"photo": PHOTO}, "photo", "large"),
        ({"voice": {**FILE, "duration": 3}}, "voice", "F1"),
        ({"audio": {**FILE, "duration": 3}}, "voice", "F1"),
        ({"video": {**FILE, "width": 1, "height": 1, "duration": 1}}, "video", "F1"),
        ({"video_note": {**FILE, "length": 1, "duration": 1}}, "video", "F1"),
        (
            {
                "animation": {**FILE, "width": 1, "height": 1, "duration": 1},
                "document": {"file_id": "D", "file_unique_id": "d"},
            },
            "video",
            "F1",
        ),
        (
            {
                "sticker": {
                    **FILE,
                    "type": "regular",
                    "width": 1,
                    "height": 1,
                    "is_animated": False,
                    "is_video": False,
                }
            },
            "sticker",
            "F1",
        ),
        ({"document": {**FILE, "file_name": "diary.pdf"}}, "document", "F1"),
        ({"location": {"latitude": 40.4, "longitude": 49.8}}, "location", None),
        (
            {
                "venue": {
                    "location": {"latitude": 40.4, "longitude": 49.8},
                    "title": "school",
                    "address": "Baku",
                },
                "location": {"latitude": 40.4, "longitude": 49.8},
            },
            "location",
            None,
        ),
        ({"contact": {"phone_number": "+994", "first_name": "Mom"}}, "other", None),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_media_kinds_and_file_ids(content, kind, attachment):
    inbound = translate(message(**content))
    assert (inbound.kind, inbound.attachment) == (kind, attachment)
    assert inbound.address == "777"


def test_location_has_no_text_and_no_file():
    inbound = translate(message(location={"latitude": 40.4, "longitude": 49.8}))
    assert (inbound.text, inbound.attachment) == (None, None)


def test_caption_of_a_photo_is_kept_as_text():
    inbound = translate(message(photo=PHOTO, caption="look what he did"))
    assert (inbound.kind, inbound.text) == ("photo", "look what he did")


@pytest.mark.parametrize(
    "update",
    [
        message(chat=GROUP, text="hello bot"),
        message(sender={"id": 9, "is_bot": True, "first_name": "other bot"}, text="spam"),
        message(sender=None, text="anonymous"),
        message(pinned_message={"message_id": 5, "date": 0, "chat": PRIVATE}),
        {"update_id": 3, "edited_message": message(text="edited")["message"]},
        {"update_id": 4, "channel_post": message(chat=GROUP, sender=None, text="news")["message"]},
        {
            "update_id": 5,
            "my_chat_member": {
                "chat": PRIVATE,
                "from": USER,
                "date": 0,
                "old_chat_member": {"status": "member", "user": USER},
                "new_chat_member": {"status": "kicked", "user": USER, "until_date": 0},
            },
        },
        {"update_id": 6, "some_future_kind": {"x": 1}},
        {"update_id": 7},
        {"update_id": 8, "message": {"text": "no chat, no date"}},
        {"update_id": "not-an-int", "message": "nonsense"},
    ],
    ids=[
        "group",
        "from-a-bot",
        "no-sender",
        "service-message",
        "edited",
        "channel-post",
        "member-update",
        "future-kind",
        "empty-update",
        "malformed-message",
        "garbage",
    ],
)
def test_everything_else_is_ignored(update):
    assert translate(update) is None


# -- parsing what reaches the webhook -----------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{",
        b"not json",
        b"[1, 2]",
        b'"text"',
        b"{}",
        b'{"update_id": "1"}',
        b'{"update_id": true}',
    ],
)
def test_parse_update_refuses_what_is_not_an_update(body):
    assert parse_update(body) is None


def test_parse_update_survives_invalid_utf8():
    body = b'{"update_id": 1, "message": {"text": "bad \xff\xfe bytes"}}'
    payload = parse_update(body)
    assert payload["message"]["text"] == "bad \ufffd\ufffd bytes"


def test_lone_surrogates_become_replacement_characters_and_can_be_stored():
    payload = parse_update(
        b'{"update_id": 1, "message": {"text": "half \\ud83d emoji \\ud83d\\ude00"}}'
    )
    assert payload["message"]["text"] == "half \ufffd emoji \U0001f600"
    json.dumps(payload, ensure_ascii=False).encode("utf-8")  # what the inbox does


def test_clean_payload_leaves_clean_values_alone():
    value = {"a": ["b", 1, None, {"c": "ç"}]}
    assert clean_payload(value) == value
