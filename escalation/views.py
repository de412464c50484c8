"""What staff see: the queue, a transcript (every read audited), the open chats, canned replies.

Text is decrypted only here, for a staff member allowed to see it, and only after the access
check; the audit entry of a transcript read commits before the text is returned.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import cache
from pathlib import Path

import yaml
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from escalation import audit
from escalation.queue import CounsellorQueue, priority_score
from escalation.service import may_read
from escalation.staff import CHAT_ROLES, Forbidden, InvalidField, NotFound, StaffUser
from store.crypto import FieldCipher
from store.models import Case, Conversation, Message, Note, User

CANNED_REPLIES_FILE = Path(__file__).parent / "canned_replies.yml"
FIRST_WORDS = 8
FIRST_WORDS_MAX_CHARS = 80
LANGUAGES = ("az", "ru", "en")


def first_words(text: str | None) -> str:
    words = (text or "").split()
    preview = " ".join(words[:FIRST_WORDS])
    truncated = len(words) > FIRST_WORDS
    if len(preview) > FIRST_WORDS_MAX_CHARS:
        preview, truncated = preview[:FIRST_WORDS_MAX_CHARS].rstrip(), True
    return preview + ("…" if truncated else "")


def _seconds(since: datetime | None, now: datetime) -> int | None:
    return None if since is None else max(0, int((now - since).total_seconds()))


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


class ChatViews:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker,
        cipher: FieldCipher,
        queue: CounsellorQueue,
        clock: Callable[[], datetime],
    ) -> None:
        self._sessions = sessions
        self._cipher = cipher
        self._queue = queue
        self._clock = clock

    # -- the queue --------------------------------------------------------------------------------

    async def queue_items(self, actor: StaffUser) -> list[dict]:
        """Waiting chats in serving order. The database says who waits; the index says in what
        order. Where they disagree (a crash between commit and mirror, a stale re-add), the index
        is repaired here, so the console never shows a claimed chat or misses a waiting one."""
        _require_chat_role(actor)
        now = self._clock()
        async with self._sessions() as session:
            waiting = {
                conversation.id: conversation
                for conversation in (
                    await session.execute(
                        select(Conversation).where(Conversation.status == "waiting")
                    )
                ).scalars()
            }
            first = await self._first_child_texts(session, list(waiting))
        order = await self._repaired_order(waiting)
        items = []
        for position, conversation_id in enumerate(order, start=1):
            conversation = waiting[conversation_id]
            items.append(
                {
                    "id": conversation.id,
                    "position": position,
                    "risk_level": conversation.risk_level,
                    "category": conversation.category,
                    "subcategory": conversation.subcategory,
                    "language": conversation.language,
                    "channel": conversation.channel,
                    "age_band": conversation.age_band or "unknown",
                    "waiting_seconds": _seconds(conversation.queued_at, now),
                    "queued_at": _iso(conversation.queued_at),
                    "first_words": first_words(first.get(conversation.id)),
                }
            )
        return items

    async def _repaired_order(self, waiting: dict[str, Conversation]) -> list[str]:
        indexed = await self._queue.ordered_ids()
        order = [conversation_id for conversation_id in indexed if conversation_id in waiting]
        for stale in set(indexed) - set(waiting):
            await self._queue.forget_stale(stale)
        missing = [conversation for cid, conversation in waiting.items() if cid not in set(order)]
        for conversation in missing:
            await self._queue.sync_id(conversation.id)
        if missing:
            scores = {
                cid: priority_score(c.risk_level, c.queued_at or self._clock())
                for cid, c in waiting.items()
            }
            order = sorted(waiting, key=lambda cid: (scores[cid], cid))
        return order

    async def _first_child_texts(self, session, conversation_ids: list[str]) -> dict[str, str]:
        if not conversation_ids:
            return {}
        first_ids = (
            select(func.min(Message.id))
            .where(
                Message.conversation_id.in_(conversation_ids),
                Message.sender == "child",
                Message.kind == "text",
            )
            .group_by(Message.conversation_id)
        )
        rows = await session.execute(
            select(Message.conversation_id, Message.text_enc).where(Message.id.in_(first_ids))
        )
        return {row.conversation_id: self._cipher.decrypt(row.text_enc) for row in rows}

    # -- one conversation -----------------------------------------------------------------------

    async def conversation(self, actor: StaffUser, conversation_id: str) -> dict:
        """The conversation with its whole transcript, notes and case; the read is audited."""
        _require_chat_role(actor)
        now = self._clock()
        async with self._sessions() as session, session.begin():
            conversation = await session.get(Conversation, conversation_id)
            allowed = conversation is not None and may_read(actor, conversation)
            await audit.record(
                session,
                user_id=actor.id,
                action="read_transcript" if allowed else "access_denied",
                conversation_id=conversation_id[:36],
                detail={} if allowed else {"attempted": "read", "exists": conversation is not None},
                at=now,
            )
        if not allowed:
            raise NotFound("no such conversation")
        async with self._sessions() as session:
            messages = (
                await session.execute(
                    select(Message, User.username)
                    .outerjoin(User, User.id == Message.sender_user_id)
                    .where(Message.conversation_id == conversation_id)
                    .order_by(Message.id)
                )
            ).all()
            notes = (
                await session.execute(
                    select(Note, User.username)
                    .join(User, User.id == Note.author_id)
                    .where(Note.conversation_id == conversation_id)
                    .order_by(Note.id)
                )
            ).all()
            case = await session.scalar(select(Case).where(Case.conversation_id == conversation_id))
            assignee = (
                await session.get(User, conversation.assigned_to)
                if conversation.assigned_to
                else None
            )
        return {
            **self._summary(conversation, assignee, now),
            "handoff_reason": conversation.handoff_reason,
            "messages": [self._message(message, username) for message, username in messages],
            "notes": [
                {
                    "id": note.id,
                    "author": username,
                    "text": self._cipher.decrypt(note.text_enc),
                    "created_at": _iso(note.created_at),
                }
                for note, username in notes
            ],
            "case": _case(case),
        }

    def _message(self, message: Message, username: str | None) -> dict:
        item = {
            "id": message.id,
            "sender": message.sender,
            "sender_username": username,
            "kind": message.kind,
            "text": self._cipher.decrypt(message.text_enc),
            "has_attachment": message.attachment_enc is not None,
            "risk_level": message.risk_level,
            "created_at": _iso(message.created_at),
        }
        if message.sender == "child":
            item["analysis"] = self._cipher.decrypt_json(message.analysis_enc)
        return item

    @staticmethod
    def _summary(conversation: Conversation, assignee: User | None, now: datetime) -> dict:
        return {
            "id": conversation.id,
            "status": conversation.status,
            "channel": conversation.channel,
            "language": conversation.language,
            "risk_level": conversation.risk_level,
            "category": conversation.category,
            "subcategory": conversation.subcategory,
            "age_band": conversation.age_band or "unknown",
            "assigned_to": assignee.username if assignee else None,
            "created_at": _iso(conversation.created_at),
            "queued_at": _iso(conversation.queued_at),
            "claimed_at": _iso(conversation.claimed_at),
            "closed_at": _iso(conversation.closed_at),
            "waiting_seconds": _seconds(conversation.queued_at, now)
            if conversation.status == "waiting"
            else None,
            "assigned_seconds": _seconds(conversation.claimed_at, now)
            if conversation.status == "counsellor"
            else None,
        }

    async def attachment(
        self, actor: StaffUser, conversation_id: str, message_id: int
    ) -> tuple[str, str]:
        """(channel, channel's file reference) of a child's photo or voice note; audited."""
        _require_chat_role(actor)
        async with self._sessions() as session, session.begin():
            conversation = await session.get(Conversation, conversation_id)
            message = await session.get(Message, message_id)
            allowed = (
                conversation is not None
                and may_read(actor, conversation)
                and message is not None
                and message.conversation_id == conversation_id
            )
            await audit.record(
                session,
                user_id=actor.id,
                action="read_attachment" if allowed else "access_denied",
                conversation_id=conversation_id[:36],
                detail={"message_id": message_id}
                if allowed
                else {"attempted": "attachment", "exists": conversation is not None},
                at=self._clock(),
            )
        if not allowed or message.attachment_enc is None:
            raise NotFound("no such attachment")
        return conversation.channel, self._cipher.decrypt(message.attachment_enc)

    async def open_conversations(self, actor: StaffUser) -> list[dict]:
        """Mine (a counsellor's chats in progress); for a supervisor every open chat, who has it
        and for how long. No text: opening one is a transcript read."""
        _require_chat_role(actor)
        now = self._clock()
        query = (
            select(Conversation, User)
            .outerjoin(User, User.id == Conversation.assigned_to)
            .order_by(Conversation.claimed_at.nulls_last(), Conversation.queued_at)
        )
        if actor.is_supervisor:
            query = query.where(Conversation.status.in_(("waiting", "counsellor")))
        else:
            query = query.where(
                Conversation.status == "counsellor", Conversation.assigned_to == actor.id
            )
        async with self._sessions() as session:
            rows = (await session.execute(query)).all()
        return [self._summary(conversation, user, now) for conversation, user in rows]


def _case(case: Case | None) -> dict | None:
    if case is None:
        return None
    return {
        "id": case.id,
        "category": case.category,
        "subcategory": case.subcategory,
        "gender": case.gender,
        "age": case.age,
        "age_band": case.age_band,
        "outcome": case.outcome,
        "referral": None
        if case.referral_agency is None
        else {
            "agency": case.referral_agency,
            "consent": case.referral_consent,
            "override_reason": case.referral_override_reason,
        },
    }


def _require_chat_role(actor: StaffUser) -> None:
    if actor.role not in CHAT_ROLES:
        raise Forbidden("not allowed for your role")


@cache
def _canned_replies() -> dict[str, list[str]]:
    data = yaml.safe_load(CANNED_REPLIES_FILE.read_text(encoding="utf-8")) or {}
    return {language: list(data.get(language) or ()) for language in LANGUAGES}


def canned_replies(language: str | None) -> dict[str, list[str]]:
    """{language: [phrases]} for one language, or for all three when none is given."""
    replies = _canned_replies()
    if language is None:
        return replies
    if language not in LANGUAGES:
        raise InvalidField("language", f"language must be one of {', '.join(LANGUAGES)}")
    return {language: replies[language]}
