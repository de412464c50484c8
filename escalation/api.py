"""The staff JSON API under /api (the console's only source of data; see the README, "The JSON API").

Handlers translate HTTP into calls of the services (escalation.service, escalation.views) and
their refusals back into statuses: NotFound 404, Conflict 409, Forbidden 403, InvalidField 422
naming the field. Every state-changing route requires the session's CSRF token.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from sqlalchemy import select

from escalation.auth import COOKIE_NAME, LoginFailed, LoginRateLimited, StaffAuth
from escalation.case_form import CaseForm, Referral
from escalation.queue import EVENTS_TOPIC
from escalation.service import ChatService
from escalation.staff import (
    CHAT_ROLES,
    Conflict,
    Forbidden,
    InvalidField,
    NotFound,
    StaffUser,
)
from escalation.taxonomy import taxonomy_document
from escalation.views import ChatViews, canned_replies
from store.models import User

# What a live event may carry: ids, states and levels, never text.
EVENT_FIELDS = ("event", "conversation_id", "status", "risk_level", "on_shift", "waiting_seconds")
HEARTBEAT_SECONDS = 15.0
SESSION_RECHECK_SECONDS = 60.0


class LoginBody(BaseModel):
    username: str = Field(max_length=64)
    password: str = Field(max_length=1024)
    otp: str | None = Field(default=None, max_length=10)


class TextBody(BaseModel):
    text: str = Field(max_length=8000)


class TransferBody(BaseModel):
    to: str = Field(max_length=64, description='a username, or "queue"')
    note: str | None = Field(default=None, max_length=8000)


class ReassignBody(BaseModel):
    to: str = Field(max_length=64)
    note: str | None = Field(default=None, max_length=8000)


class ReferralBody(BaseModel):
    agency: str = Field(max_length=200)
    consent: bool
    override_reason: str | None = Field(default=None, max_length=1000)


class CloseBody(BaseModel):
    category: str = Field(max_length=40)
    subcategory: str | None = Field(default=None, max_length=40)
    gender: str = Field(max_length=12)
    age: int | None = None
    age_band: str | None = Field(default=None, max_length=10)
    outcome: str = Field(max_length=40)
    referral: ReferralBody | None = None


class FeedbackBody(BaseModel):
    message_id: int
    category: str | None = Field(default=None, max_length=40)
    subcategory: str | None = Field(default=None, max_length=40)
    risk_level: str | None = Field(default=None, max_length=10)


class ShiftBody(BaseModel):
    on_shift: bool


@contextmanager
def refusals() -> Iterator[None]:
    try:
        yield
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from None
    except Conflict as exc:
        raise HTTPException(409, str(exc)) from None
    except Forbidden as exc:
        raise HTTPException(403, str(exc)) from None
    except InvalidField as exc:
        loc = ["body", *exc.field.split(".")]
        raise HTTPException(
            422, [{"loc": loc, "msg": exc.message, "type": "value_error"}]
        ) from None


def build_api_router(container) -> APIRouter:
    auth: StaffAuth = container.auth
    service = ChatService(
        sessions=container.sessions,
        cipher=container.cipher,
        backend=container.backend,
        queue=container.queue,
        clock=container.clock,
    )
    views = ChatViews(
        sessions=container.sessions,
        cipher=container.cipher,
        queue=container.queue,
        clock=container.clock,
    )
    chat_user = auth.require_roles(*CHAT_ROLES)
    supervisor = auth.require_roles("supervisor")
    csrf = [Depends(auth.require_csrf)]
    router = APIRouter(prefix="/api", tags=["staff"])

    # -- accounts ---------------------------------------------------------------------------

    @router.post("/auth/login", responses={401: {}, 429: {}})
    async def login(body: LoginBody, request: Request, response: Response):
        """Sign in; sets the HttpOnly session cookie and returns the CSRF token."""
        client = request.client.host if request.client else None
        try:
            cookie, csrf_token = await auth.login(
                body.username, body.password, body.otp, client=client
            )
        except LoginRateLimited as exc:
            raise HTTPException(
                429,
                "too many failed sign-ins; try again later",
                headers={"Retry-After": str(exc.retry_after)},
            ) from None
        except LoginFailed:
            raise HTTPException(401, "wrong username, password or code") from None
        auth.set_cookie(response, cookie)
        response.headers["Cache-Control"] = "no-store"
        return {"csrf_token": csrf_token}

    @router.post("/auth/logout", dependencies=csrf)
    async def logout(request: Request, response: Response):
        await auth.logout(request.cookies.get(COOKIE_NAME))
        auth.clear_cookie(response)
        return {"ok": True}

    @router.get("/me")
    async def me(response: Response, found=Depends(auth.current_session)):
        """Who is signed in, whether on shift, and the CSRF token (for a reloaded page)."""
        async with container.sessions() as session:
            on_shift = await session.scalar(select(User.on_shift).where(User.id == found.user.id))
        response.headers["Cache-Control"] = "no-store"
        return {
            "id": found.user.id,
            "username": found.user.username,
            "role": found.user.role,
            "on_shift": bool(on_shift),
            "csrf_token": found.csrf_token,
        }

    @router.post("/shift", dependencies=csrf)
    async def shift(body: ShiftBody, user: StaffUser = Depends(chat_user)):
        with refusals():
            count = await service.set_shift(user, body.on_shift)
        return {"on_shift": body.on_shift, "counsellors_on_shift": count}

    # -- the queue and the conversations ----------------------------------------------------------

    @router.get("/queue")
    async def queue(user: StaffUser = Depends(chat_user)):
        """Waiting conversations in serving order (risk first, then time waiting)."""
        with refusals():
            return {"items": await views.queue_items(user)}

    @router.get("/conversations")
    async def conversations(user: StaffUser = Depends(chat_user)):
        """A counsellor's chats in progress; for a supervisor every open chat, with who has it."""
        with refusals():
            return {"items": await views.open_conversations(user)}

    @router.get("/conversations/{conversation_id}", responses={404: {}})
    async def conversation(conversation_id: str, user: StaffUser = Depends(chat_user)):
        """The conversation with its transcript and analysis. Every read is audited."""
        with refusals():
            return await views.conversation(user, conversation_id)

    @router.get(
        "/conversations/{conversation_id}/messages/{message_id}/attachment",
        responses={404: {}},
        response_class=Response,
    )
    async def attachment(
        conversation_id: str, message_id: int, user: StaffUser = Depends(chat_user)
    ):
        """A child's photo, voice note or file, fetched from their channel. Audited."""
        with refusals():
            channel, reference = await views.attachment(user, conversation_id, message_id)
        media = getattr(container, "media", None)
        if media is None:
            raise HTTPException(404, "attachments cannot be fetched from this channel")
        try:
            content, media_type = await media.fetch(channel, reference)
        except LookupError:
            raise HTTPException(404, "the channel no longer has this file") from None
        return Response(
            content,
            media_type=media_type,
            headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
        )

    @router.post("/conversations/{conversation_id}/claim", dependencies=csrf, responses={409: {}})
    async def claim(conversation_id: str, user: StaffUser = Depends(chat_user)):
        with refusals():
            await service.claim(user, conversation_id)
        return {"ok": True, "conversation_id": conversation_id, "assigned_to": user.username}

    @router.post("/conversations/{conversation_id}/messages", dependencies=csrf)
    async def send(conversation_id: str, body: TextBody, user: StaffUser = Depends(chat_user)):
        """Send a message to the child through the channel the child used."""
        with refusals():
            message_id = await service.send(
                user, conversation_id, body.text, container.core.send_to_child
            )
        return {"ok": True, "message_id": message_id}

    @router.post("/conversations/{conversation_id}/transfer", dependencies=csrf)
    async def transfer(
        conversation_id: str, body: TransferBody, user: StaffUser = Depends(chat_user)
    ):
        with refusals():
            await service.transfer(user, conversation_id, body.to, body.note)
        return {"ok": True}

    @router.post("/conversations/{conversation_id}/close", dependencies=csrf)
    async def close(conversation_id: str, body: CloseBody, user: StaffUser = Depends(chat_user)):
        """Close with the case form; unknown taxonomy ids are refused (422 naming the field)."""
        referral = body.referral
        form = CaseForm(
            category=body.category,
            subcategory=body.subcategory,
            gender=body.gender,
            outcome=body.outcome,
            age=body.age,
            age_band=body.age_band,
            referral=Referral(referral.agency, referral.consent, referral.override_reason)
            if referral
            else None,
        )
        with refusals():
            case_id = await service.close(user, conversation_id, form)
        # The child hears goodbye (and the feedback question) through their channel.
        await container.core.conversation_closed(conversation_id)
        return {"ok": True, "case_id": case_id}

    @router.post("/conversations/{conversation_id}/notes", dependencies=csrf)
    async def add_note(conversation_id: str, body: TextBody, user: StaffUser = Depends(chat_user)):
        with refusals():
            note_id = await service.add_note(user, conversation_id, body.text)
        return {"ok": True, "note_id": note_id}

    @router.post("/conversations/{conversation_id}/feedback", dependencies=csrf)
    async def feedback(
        conversation_id: str, body: FeedbackBody, user: StaffUser = Depends(chat_user)
    ):
        """Mark the bot's category or risk of a child message as wrong (a training example)."""
        with refusals():
            feedback_id = await service.feedback(
                user,
                body.message_id,
                conversation_id=conversation_id,
                category=body.category,
                subcategory=body.subcategory,
                risk_level=body.risk_level,
            )
        return {"ok": True, "feedback_id": feedback_id}

    @router.post("/conversations/{conversation_id}/reassign", dependencies=csrf)
    async def reassign(
        conversation_id: str, body: ReassignBody, user: StaffUser = Depends(supervisor)
    ):
        with refusals():
            await service.reassign(user, conversation_id, body.to, body.note)
        return {"ok": True}

    @router.get("/canned-replies")
    async def replies(
        language: str | None = Query(default=None, max_length=5),
        user: StaffUser = Depends(chat_user),
    ):
        """{"replies": {language: [phrases]}}: one language, or all three."""
        with refusals():
            return {"replies": canned_replies(language)}

    @router.get("/taxonomy")
    async def taxonomy(user: StaffUser = Depends(chat_user)):
        """The case form's choices: categories (labels, subcategories), genders, age bands,
        channels and outcomes, from escalation/taxonomy.yml."""
        return taxonomy_document()

    # -- live events --------------------------------------------------------------------------

    @router.get("/events", response_class=StreamingResponse)
    async def events(request: Request, user: StaffUser = Depends(chat_user)):
        """Server-sent events: queue, messages, assigned, notes, shift, alert. Ids and states
        only; the console refetches what it may see. The first event, `hello`, means subscribed."""
        token = request.cookies.get(COOKIE_NAME, "")
        return StreamingResponse(
            _event_stream(container.backend, auth, token),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    return router


async def _event_stream(backend, auth: StaffAuth, token: str):
    subscription = await backend.subscribe(EVENTS_TOPIC)
    loop = asyncio.get_running_loop()
    next_check = loop.time() + SESSION_RECHECK_SECONDS
    try:
        yield "retry: 3000\nevent: hello\ndata: {}\n\n"
        while True:
            item = await subscription.get(timeout=HEARTBEAT_SECONDS)
            if loop.time() >= next_check:
                # A stream is not activity: it ends with the session (idle timeout, sign-out).
                if await auth.session_for(token, touch=False) is None:
                    yield "event: signed_out\ndata: {}\n\n"
                    return
                next_check = loop.time() + SESSION_RECHECK_SECONDS
            if item is None:
                yield ": keep-alive\n\n"
                continue
            _topic, payload = item
            data = {key: payload[key] for key in EVENT_FIELDS if key in payload}
            name = str(data.get("event") or "message")
            yield f"event: {name}\ndata: {json.dumps(data)}\n\n"
    finally:
        await subscription.close()
