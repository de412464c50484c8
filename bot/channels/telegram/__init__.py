"""The Telegram channel, on aiogram 3: a real `Bot` wrapped (never subclassed), webhook or polling.

intake      store the update in the inbox, then hand it to the processor (both entries)
translate   update JSON -> InboundMessage (pure; the core calls it when it processes)
output      the OutputChannel the outbox delivers replies through
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from bot.channels.telegram.limiter import Pacer
from bot.channels.telegram.output import TelegramOutput, split_text
from bot.channels.telegram.polling import ALLOWED_UPDATES, Poller
from bot.channels.telegram.translate import CHANNEL, translate
from bot.channels.telegram.webhook import PATH as WEBHOOK_PATH
from bot.channels.telegram.webhook import build_webhook_router

__all__ = ["CHANNEL", "TelegramChannel", "TelegramOutput", "split_text", "translate"]

log = logging.getLogger(__name__)


class TelegramChannel:
    name = CHANNEL

    def __init__(self, bot: Bot, settings, container, *, poll_timeout: int = 25) -> None:
        self.bot = bot
        self.settings = settings
        self.container = container
        self.mode = settings.telegram_mode
        secret = settings.telegram_webhook_secret
        self.webhook_secret = secret.get_secret_value() if secret else None
        self.output = TelegramOutput(
            bot,
            Pacer(
                per_chat_interval=settings.telegram_per_chat_interval,
                global_per_second=settings.telegram_global_per_second,
            ),
        )
        self.translate = translate
        self.poller = Poller(bot, self.intake, timeout=poll_timeout)
        self._tasks: set[asyncio.Task] = set()

    @classmethod
    def build(cls, settings, container) -> TelegramChannel:
        session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_base))
        bot = Bot(token=settings.telegram_token.get_secret_value(), session=session)
        channel = cls(bot, settings, container)
        return channel

    async def intake(self, payload: dict) -> int | None:
        """Commit one update (raises when the database cannot), then process it in the
        background; None when Telegram sent this update before."""
        container = self.container
        inbox_id = await container.core.receive(CHANNEL, str(payload["update_id"]), payload)
        if inbox_id is None:
            return None
        container.processor.submit(inbox_id)
        query = payload.get("callback_query")
        if isinstance(query, dict) and isinstance(query.get("id"), str):
            # Not in translate (which must stay free of I/O): stop the button's spinner now.
            self._spawn(self.output.answer_callback(query["id"]), "answer-callback")
        return inbox_id

    def webhook_router(self):
        return build_webhook_router(self)

    async def start(self) -> None:
        if self.mode == "polling":
            self._spawn(self.poller.run(), "telegram-polling")
        elif self.settings.public_url:
            self._spawn(self._register_webhook(), "telegram-set-webhook")

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self.bot.session.close()

    async def _register_webhook(self) -> None:
        url = self.settings.public_url.rstrip("/") + WEBHOOK_PATH
        delay = 1.0
        while True:
            try:
                await self.bot.set_webhook(
                    url=url, secret_token=self.webhook_secret, allowed_updates=ALLOWED_UPDATES
                )
                log.info("telegram webhook registered")
                return
            except Exception as exc:
                log.warning("setWebhook failed (%s); retrying", type(exc).__name__)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 60.0)

    def _spawn(self, coroutine, name: str) -> None:
        task = asyncio.create_task(coroutine, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
