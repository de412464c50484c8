"""Fetching a child's photo, voice note or file from Telegram for the counsellor's console.

The bytes are never stored by us: they stay on Telegram and are fetched, on an audited request,
when a counsellor opens them (getFile, then the file URL of the configured API server).
"""

from __future__ import annotations

import io
import mimetypes

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramNetworkError

MAX_BYTES = 20 * 1024 * 1024  # the Bot API's own download limit

_KNOWN_TYPES = {".oga": "audio/ogg", ".ogg": "audio/ogg", ".webp": "image/webp"}


class TelegramMedia:
    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    async def fetch(self, reference: str) -> tuple[bytes, str]:
        try:
            file = await self._bot.get_file(reference)
            if not file.file_path or (file.file_size or 0) > MAX_BYTES:
                raise LookupError("file not available")
            buffer = io.BytesIO()
            await self._bot.download_file(file.file_path, destination=buffer, timeout=30)
        except (TelegramAPIError, TelegramNetworkError) as exc:
            raise LookupError("file not available") from exc
        return buffer.getvalue(), media_type(file.file_path)


def media_type(path: str) -> str:
    suffix = path[path.rfind(".") :].lower() if "." in path else ""
    return _KNOWN_TYPES.get(suffix) or mimetypes.guess_type(path)[0] or "application/octet-stream"
