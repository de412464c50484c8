"""POST /telegram/webhook: check the secret, store the update, then acknowledge.

The order is the point: Telegram forgets an update once it has our 200, so the 200 is sent only
after the update is committed. A database that is down gets Telegram a 503, and Telegram
delivers the update again later.
"""

from __future__ import annotations

import hmac
import json
import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from bot.channels.telegram.translate import clean_payload

log = logging.getLogger(__name__)

PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
OK = {"ok": True}


def build_webhook_router(channel) -> APIRouter:
    router = APIRouter()
    secret = channel.webhook_secret.encode() if channel.webhook_secret else None

    @router.post(PATH, tags=["telegram"], summary="Telegram Bot API webhook")
    async def telegram_webhook(request: Request):
        given = request.headers.get(SECRET_HEADER, "").encode()
        if secret is None or not hmac.compare_digest(given, secret):
            return JSONResponse({"ok": False, "error": "wrong secret token"}, status_code=401)
        payload = parse_update(await request.body())
        if payload is None:
            return JSONResponse({"ok": False, "error": "not a Telegram update"}, status_code=400)
        try:
            await channel.intake(payload)
        except Exception as exc:  # the database is down: Telegram retries on a non-2xx
            log.error("telegram update not stored (%s): answering 503", type(exc).__name__)
            return JSONResponse({"ok": False, "error": "try again later"}, status_code=503)
        return OK

    return router


def parse_update(body: bytes) -> dict | None:
    """The update as a dict with an integer update_id, or None when it is not one."""
    try:
        # Telegram sends UTF-8; stray bytes become U+FFFD rather than losing the update.
        payload = json.loads(body.decode("utf-8", "replace"))
    except ValueError:
        return None
    if not isinstance(payload, dict):
        return None
    update_id = payload.get("update_id")
    if not isinstance(update_id, int) or isinstance(update_id, bool):
        return None
    return clean_payload(payload)
