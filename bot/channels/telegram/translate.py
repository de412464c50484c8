"""Raw Telegram update JSON -> InboundMessage. Pure: no I/O, so the core can replay it.

Only private chats are a child's conversation; updates from groups, channels, edits and kinds
the helpline does not handle translate to None (acknowledged, stored, ignored).
"""

from __future__ import annotations

import logging
from typing import Any

from aiogram.types import CallbackQuery, Message, Update, User
from pydantic import ValidationError

from bot.messages import InboundMessage

log = logging.getLogger(__name__)

CHANNEL = "telegram"
COMMANDS = frozenset({"start", "help", "language", "human", "delete"})
LANGUAGES = frozenset({"az", "ru", "en"})
# Media the child sent: (message field, inbound kind). The first present field wins.
MEDIA_FIELDS = (
    ("photo", "photo"),
    ("voice", "voice"),
    ("audio", "voice"),
    ("video", "video"),
    ("video_note", "video"),
    ("animation", "video"),  # before document: a GIF also carries a `document`
    ("sticker", "sticker"),
    ("document", "document"),
    ("location", "location"),
    ("venue", "location"),
)
# Things a child can send that the bot cannot read at all; still kept for the counsellor.
OTHER_FIELDS = ("contact", "dice", "poll", "story", "game", "checklist", "paid_media")


def translate(payload: dict[str, Any]) -> InboundMessage | None:
    try:
        update = Update.model_validate(payload)
    except ValidationError:
        log.warning("telegram update does not validate; ignored")
        return None
    if update.message is not None:
        return _from_message(update.message)
    if update.callback_query is not None:
        return _from_callback(update.callback_query)
    return None  # edited messages, channel posts, member updates, ...


def _from_message(message: Message) -> InboundMessage | None:
    user = message.from_user
    if message.chat.type != "private" or user is None or user.is_bot:
        return None
    base = {
        "channel": CHANNEL,
        "user_id": str(user.id),
        "address": str(message.chat.id),
        "language_hint": _language(user),
    }
    if message.text is not None:  # "" is a text too (aiogram's content_type says unknown)
        command = _command(message.text)
        if command is not None:
            return InboundMessage(kind="command", command=command, text=message.text, **base)
        return InboundMessage(kind="text", text=message.text, **base)
    for field, kind in MEDIA_FIELDS:
        value = getattr(message, field, None)
        if value is not None:
            return InboundMessage(
                kind=kind, attachment=_file_id(value), text=message.caption, **base
            )
    if any(getattr(message, field, None) is not None for field in OTHER_FIELDS):
        return InboundMessage(kind="other", text=message.caption, **base)
    return None  # service messages: pins, chat settings, payments, ...


def _from_callback(query: CallbackQuery) -> InboundMessage | None:
    if query.from_user.is_bot:
        return None
    chat = getattr(query.message, "chat", None)
    if chat is not None and chat.type != "private":
        return None
    # In a private chat the chat id is the user id; an old (inaccessible) message has no chat.
    address = str(chat.id) if chat is not None else str(query.from_user.id)
    return InboundMessage(
        channel=CHANNEL,
        user_id=str(query.from_user.id),
        address=address,
        kind="button",
        button=query.data or "",
        language_hint=_language(query.from_user),
    )


def _command(text: str) -> str | None:
    """`/start`, `/Start@helpline_bot payload` -> "start"; unknown commands stay text."""
    if not text.startswith("/") or len(text) < 2 or text[1].isspace():
        return None
    name = text[1:].split(maxsplit=1)[0].split("@", 1)[0].lower()
    return name if name in COMMANDS else None


def _language(user: User) -> str | None:
    code = (user.language_code or "").split("-", 1)[0].lower()
    return code if code in LANGUAGES else None


def _file_id(value: Any) -> str | None:
    if isinstance(value, list):  # photo: sizes, smallest first
        return value[-1].file_id if value else None
    return getattr(value, "file_id", None)  # None for a location


def clean_payload(value: Any) -> Any:
    """Replace lone UTF-16 surrogates (valid JSON escapes, not storable UTF-8) with U+FFFD."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
        return value
    if isinstance(value, dict):
        return {clean_payload(key): clean_payload(item) for key, item in value.items()}
    if isinstance(value, list):
        return [clean_payload(item) for item in value]
    return value
