"""Long polling with our own loop: every update is committed to the inbox BEFORE the next
getUpdates call acknowledges it (Telegram forgets updates below the offset we send).

aiogram's Dispatcher.start_polling hands updates to handlers and advances the offset itself;
it cannot promise that order, hence this loop. Updates are fetched as raw JSON (GetRawUpdates),
so one update aiogram cannot parse never blocks the ones behind it, and what is stored is
exactly what Telegram sent.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiogram import Bot
from aiogram.methods.base import TelegramMethod

from bot.channels.telegram.translate import clean_payload

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "callback_query"]
MAX_BACKOFF_SECONDS = 30.0


class GetRawUpdates(TelegramMethod[list[dict[str, Any]]]):
    """getUpdates, answered as plain dicts instead of aiogram's Update models."""

    __returning__ = list[dict[str, Any]]
    __api_method__ = "getUpdates"

    offset: int | None = None
    limit: int | None = None
    timeout: int | None = None
    allowed_updates: list[str] | None = None


class Poller:
    def __init__(self, bot: Bot, intake, *, timeout: int = 25, first_backoff: float = 0.5) -> None:
        self._bot = bot
        self._intake = intake  # async (payload dict) -> inbox id | None; raises when not stored
        self._timeout = timeout
        self.first_backoff = first_backoff
        self._offset: int | None = None

    async def run(self) -> None:
        await self._retrying(self._bot.delete_webhook, "deleteWebhook")
        failures = 0
        while True:
            try:
                updates = await self._bot(
                    GetRawUpdates(
                        offset=self._offset, timeout=self._timeout, allowed_updates=ALLOWED_UPDATES
                    ),
                    request_timeout=self._timeout + 10,
                )
                for update in updates:
                    update_id = update.get("update_id")
                    if not isinstance(update_id, int):
                        continue  # cannot be stored under its id; nothing to acknowledge either
                    await self._intake(clean_payload(update))
                    # Only now may the next getUpdates confirm it.
                    self._offset = update_id + 1
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Telegram or the database: wait, then ask again
                failures += 1
                log.warning("telegram polling failed (%s); retrying", type(exc).__name__)
                await asyncio.sleep(self._backoff(failures))

    async def _retrying(self, call, what: str) -> None:
        failures = 0
        while True:
            try:
                await call()
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                failures += 1
                log.warning("telegram %s failed (%s); retrying", what, type(exc).__name__)
                await asyncio.sleep(self._backoff(failures))

    def _backoff(self, failures: int) -> float:
        return min(MAX_BACKOFF_SECONDS, self.first_backoff * 2 ** (failures - 1))
