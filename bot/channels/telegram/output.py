"""The Telegram OutputChannel: one OutgoingMessage -> one or more sendMessage calls.

Errors become the outbox's two signals: RetryLater (429 with Telegram's retry_after, 5xx,
network errors, timeouts; the outbox adds exponential backoff) and Undeliverable (the child
blocked the bot, the chat is gone, Telegram rejects the message as it is).
"""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions

from bot.channels.telegram.limiter import Pacer
from bot.messages import (
    OutgoingMessage,
    PartProgress,
    RetryLater,
    Undeliverable,
    render_buttons_as_text,
)

log = logging.getLogger(__name__)

MAX_MESSAGE_UNITS = 4096  # Telegram counts UTF-16 code units
MAX_CALLBACK_BYTES = 64
SEND_TIMEOUT_SECONDS = 10


def utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = MAX_MESSAGE_UNITS) -> list[str]:
    """Parts of at most `limit` units, cut at a paragraph, else a line, else a word boundary."""
    parts: list[str] = []
    rest = text
    while utf16_units(rest) > limit:
        window = _prefix_within(rest, limit)
        cut, skip = len(window), 0
        for separator in ("\n\n", "\n", " "):
            position = window.rfind(separator)
            if position >= len(window) // 2:  # never leave a sliver of a part
                cut, skip = position, len(separator)
                break
        parts.append(window[:cut])
        rest = rest[cut + skip :]
    if rest or not parts:
        parts.append(rest)
    return parts


def _prefix_within(text: str, limit: int) -> str:
    prefix = text[:limit]
    while (excess := utf16_units(prefix) - limit) > 0:
        prefix = prefix[: len(prefix) - (excess + 1) // 2]
    return prefix


class TelegramOutput:
    name = "telegram"

    def __init__(self, bot: Bot, pacer: Pacer, *, send_timeout: int = SEND_TIMEOUT_SECONDS) -> None:
        self._bot = bot
        self._pacer = pacer
        self._send_timeout = send_timeout

    async def send(
        self, address: str, message: OutgoingMessage, progress: PartProgress | None = None
    ) -> None:
        """Send the message, split where it is too long. A split message whose part 2 failed
        (or whose process died after part 1) continues at part 2: `progress` says where."""
        text, markup = self._render(message)
        if not text.strip():
            raise Undeliverable("empty message text")
        parts = split_text(text)
        progress = progress or PartProgress()
        for index in range(min(progress.parts_sent, len(parts)), len(parts)):
            await self._pacer.wait(address)
            last = index == len(parts) - 1
            await self._send_part(address, parts[index], markup if last else None, message)
            if not last:
                await progress.record(index + 1)

    async def answer_callback(self, query_id: str) -> None:
        """Stop the button's spinner; best effort (Telegram stops it by itself after a while)."""
        try:
            await self._bot.answer_callback_query(query_id, request_timeout=self._send_timeout)
        except (TelegramAPIError, TimeoutError) as exc:
            log.info("answerCallbackQuery failed: %s", type(exc).__name__)

    @staticmethod
    def _render(message: OutgoingMessage) -> tuple[str, InlineKeyboardMarkup | None]:
        if not message.buttons:
            return message.text, None
        if any(len(button.data.encode()) > MAX_CALLBACK_BYTES for button in message.buttons):
            # Telegram refuses such a keyboard; numbered options still let the child answer.
            log.warning("button data over %d bytes: buttons sent as text", MAX_CALLBACK_BYTES)
            return render_buttons_as_text(message), None
        rows = [
            [InlineKeyboardButton(text=button.label or button.data, callback_data=button.data)]
            for button in message.buttons
        ]
        return message.text, InlineKeyboardMarkup(inline_keyboard=rows)

    async def _send_part(self, address, text, markup, message: OutgoingMessage) -> None:
        if not address.lstrip("-").isdigit():
            raise Undeliverable("not a Telegram chat id")
        try:
            await self._bot.send_message(
                chat_id=int(address),
                text=text,
                reply_markup=markup,
                protect_content=message.protect_content or None,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
                request_timeout=self._send_timeout,
            )
        except TelegramRetryAfter as exc:
            raise RetryLater(float(exc.retry_after), "telegram flood limit (429)") from exc
        except TelegramForbiddenError as exc:
            raise Undeliverable("the child blocked the bot (403)") from exc
        except (TelegramBadRequest, TelegramMigrateToChat) as exc:
            raise Undeliverable("telegram rejected the message (400)") from exc
        except (TelegramServerError, TelegramNetworkError, TimeoutError) as exc:
            raise RetryLater(1.0, f"telegram unavailable ({type(exc).__name__})") from exc
        except TelegramAPIError as exc:  # 401/404/409: the token or the API base is wrong
            raise RetryLater(60.0, f"telegram refused the bot ({type(exc).__name__})") from exc
