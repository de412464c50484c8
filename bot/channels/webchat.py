"""The web chat channel: the page at /chat (embedded by the helpline's site and app) and its API.

A browser gets a random session token in an HttpOnly cookie; that token is the web chat's
"user id" (stored only as a keyed hash) and its reply address (stored encrypted). Replies are
pushed over Server-Sent Events; the history endpoint fills any gap after a reconnect.
"""

from __future__ import annotations

import json
import secrets
import uuid
from pathlib import Path
from typing import Any

import yaml
from fastapi import APIRouter, Cookie, HTTPException, Request, Response
from fastapi.responses import HTMLResponse, StreamingResponse
from pydantic import BaseModel, Field
from sqlalchemy import select

from bot.conversations import conversation_key
from bot.messages import InboundMessage, OutgoingMessage, PartProgress
from store.backends import Backend
from store.crypto import FieldCipher
from store.models import Conversation, Message, Participant

CHANNEL = "webchat"
COOKIE = "helpline_chat"
MAX_TEXT_CHARS = 10_000
PAGE_TEXTS = Path(__file__).parent.parent / "texts" / "webchat.yml"
COMMANDS = {"start", "help", "language", "human", "delete"}


def stream_topic(cipher: FieldCipher, session_token: str) -> str:
    return f"webchat:{cipher.keyed_hash('webchat-stream', session_token)}"


class WebChatOutput:
    name = CHANNEL

    def __init__(self, backend: Backend, cipher: FieldCipher) -> None:
        self._backend = backend
        self._cipher = cipher

    async def send(
        self, address: str, message: OutgoingMessage, progress: PartProgress | None = None
    ) -> None:
        await self._backend.publish(stream_topic(self._cipher, address), message.to_dict())


def translate(payload: dict[str, Any]) -> InboundMessage | None:
    """Inbox payloads of this channel are InboundMessage dicts already."""
    return InboundMessage.from_dict(payload)


class ChatPost(BaseModel):
    id: str = Field(
        min_length=8, max_length=64, description="client message id, for de-duplication"
    )
    text: str | None = Field(default=None, max_length=MAX_TEXT_CHARS)
    button: str | None = Field(default=None, max_length=64)
    command: str | None = Field(default=None, max_length=20)
    language: str | None = Field(default=None, max_length=5)


def build_webchat_router(container) -> APIRouter:
    router = APIRouter()
    templates = container.templates
    page_texts = json.dumps(yaml.safe_load(PAGE_TEXTS.read_text()), ensure_ascii=False)

    @router.get("/chat", response_class=HTMLResponse, include_in_schema=False)
    async def chat_page(request: Request):
        return templates.TemplateResponse(request, "chat.html", {"texts_json": page_texts})

    @router.post("/api/chat/session", tags=["web chat"])
    async def open_session(response: Response, helpline_chat: str | None = Cookie(default=None)):
        token = helpline_chat or secrets.token_urlsafe(32)
        _set_cookie(response, token, container.settings.env == "production")
        return {"ok": True}

    @router.post("/api/chat/forget", tags=["web chat"])
    async def forget(response: Response):
        """Quick exit: this device forgets the chat (the conversation itself stays for the counsellor)."""
        response.delete_cookie(COOKIE, path="/")
        return {"ok": True}

    @router.post("/api/chat/messages", status_code=202, tags=["web chat"])
    async def post_message(body: ChatPost, helpline_chat: str | None = Cookie(default=None)):
        token = _require(helpline_chat)
        inbound = _inbound(token, body)
        inbox_id = await container.core.receive(
            CHANNEL, f"{_short(token)}:{body.id}", inbound.to_dict()
        )
        if inbox_id is not None:
            container.processor.submit(inbox_id)
        return {"accepted": True, "duplicate": inbox_id is None}

    @router.get("/api/chat/history", tags=["web chat"])
    async def history(after: int = 0, helpline_chat: str | None = Cookie(default=None)):
        token = _require(helpline_chat)
        return {"messages": await _history(container, token, after)}

    @router.get("/api/chat/stream", tags=["web chat"])
    async def stream(request: Request, helpline_chat: str | None = Cookie(default=None)):
        token = _require(helpline_chat)
        subscription = await container.backend.subscribe(stream_topic(container.cipher, token))

        async def events():
            try:
                yield "retry: 2000\n\n"
                while not await request.is_disconnected():
                    item = await subscription.get(timeout=15)
                    if item is None:
                        yield ": keep-alive\n\n"
                        continue
                    yield f"data: {json.dumps(item[1], ensure_ascii=False)}\n\n"
            finally:
                await subscription.close()

        return StreamingResponse(events(), media_type="text/event-stream")

    return router


def _set_cookie(response: Response, token: str, secure: bool) -> None:
    response.set_cookie(
        COOKIE,
        token,
        max_age=60 * 60 * 24 * 30,
        httponly=True,
        samesite="lax",
        secure=secure,
        path="/",
    )


def _require(token: str | None) -> str:
    if not token or len(token) < 20:
        raise HTTPException(401, "open a chat session first (POST /api/chat/session)")
    return token


def _short(token: str) -> str:
    return uuid.uuid5(uuid.NAMESPACE_URL, token).hex[:16]


def _inbound(token: str, body: ChatPost) -> InboundMessage:
    language = body.language if body.language in ("az", "ru", "en") else None
    if body.command:
        command = body.command.lstrip("/").lower()
        if command not in COMMANDS:
            raise HTTPException(422, f"unknown command: {command}")
        return InboundMessage(
            CHANNEL, token, token, "command", command=command, language_hint=language
        )
    if body.button:
        return InboundMessage(
            CHANNEL, token, token, "button", button=body.button, language_hint=language
        )
    text = body.text or ""
    if text.startswith("/") and text[1:].strip().lower() in COMMANDS:
        command = text[1:].strip().lower()
        return InboundMessage(
            CHANNEL, token, token, "command", command=command, language_hint=language
        )
    return InboundMessage(CHANNEL, token, token, "text", text=text, language_hint=language)


async def _history(container, token: str, after: int) -> list[dict]:
    key = conversation_key(container.cipher, CHANNEL, token)
    async with container.sessions() as session:
        rows = await session.execute(
            select(Message)
            .join(Conversation, Conversation.id == Message.conversation_id)
            .join(Participant, Participant.id == Conversation.participant_id)
            .where(Participant.channel == key.channel, Participant.user_hash == key.user_hash)
            .where(Conversation.status != "closed", Message.id > after)
            .order_by(Message.id)
            .limit(500)
        )
        messages = list(rows.scalars())
    return [
        {
            "message_id": message.id,
            "sender": message.sender,
            "kind": message.kind,
            "text": container.cipher.decrypt(message.text_enc),
        }
        for message in messages
    ]
