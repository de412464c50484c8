"""What counsellors and supervisors do to a conversation: claim, write, transfer, reassign, close,
note, correct the bot; and go on or off shift.

Every change of a conversation's state is ONE conditional UPDATE (`... WHERE status = 'waiting'`,
`... AND assigned_to = me`) whose row count says whether it happened. Two processes, two
clicks, a child cancelling at the same moment: the database decides, exactly one wins, and the
loser gets Conflict. (A read-then-write would not do: SQLite runs the read outside the write
transaction, and two PostgreSQL transactions could both read "waiting".) The backend index is
mirrored and the consoles told only after the commit.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from escalation import audit
from escalation.case_form import CaseForm, check_case
from escalation.queue import EVENTS_TOPIC, RISK_ORDER, CounsellorQueue
from escalation.staff import CHAT_ROLES, Conflict, Forbidden, InvalidField, NotFound, StaffUser
from escalation.taxonomy import Taxonomy, load_taxonomy
from store.backends import Backend
from store.crypto import FieldCipher
from store.models import Case, Conversation, Message, NluFeedback, Note, User

log = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 4000  # Telegram's limit is 4096
MAX_NOTE_CHARS = 4000
Relay = Callable[..., Awaitable[int]]


class _Denied(Exception):
    def __init__(self, actor: StaffUser, conversation_id: str, what: str, *, exists: bool) -> None:
        super().__init__(what)
        self.actor, self.conversation_id, self.what, self.exists = (
            actor,
            conversation_id,
            what,
            exists,
        )


def may_read(actor: StaffUser, conversation: Conversation) -> bool:
    """Supervisors read every chat; a counsellor the queue and the chats assigned to them."""
    if actor.role not in CHAT_ROLES:
        return False
    if actor.is_supervisor:
        return True
    return conversation.status == "waiting" or conversation.assigned_to == actor.id


class ChatService:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker,
        cipher: FieldCipher,
        backend: Backend,
        queue: CounsellorQueue,
        clock: Callable[[], datetime],
        taxonomy: Taxonomy | None = None,
    ) -> None:
        self._sessions = sessions
        self._cipher = cipher
        self._backend = backend
        self._queue = queue
        self._clock = clock
        self.taxonomy = taxonomy or load_taxonomy()

    # -- claim, transfer, reassign ------------------------------------------------------------

    async def claim(self, actor: StaffUser, conversation_id: str) -> None:
        """Take a waiting conversation. Exactly one of any number of simultaneous claims wins."""
        self._require_chat_role(actor)
        # A cheap read first: the many who lose a race for the top of the queue learn it without
        # taking the database's write lock. The UPDATE below still decides who wins.
        async with self._sessions() as session:
            status = await session.scalar(
                select(Conversation.status).where(Conversation.id == conversation_id)
            )
        if status != "waiting":
            async with self._denials(), self._sessions() as session:
                await self._refuse(session, actor, conversation_id, "claim")
        now = self._clock()
        async with self._denials(), self._sessions() as session, session.begin():
            risk_level = (
                await session.execute(
                    update(Conversation)
                    .where(Conversation.id == conversation_id, Conversation.status == "waiting")
                    .values(
                        status="counsellor",
                        assigned_to=actor.id,
                        claimed_at=now,
                        updated_at=now,
                        version=Conversation.version + 1,
                    )
                    .returning(Conversation.risk_level)
                    .execution_options(synchronize_session=False)
                )
            ).scalar_one_or_none()
            if risk_level is None:
                await self._refuse(session, actor, conversation_id, "claim")
            await audit.record(
                session, user_id=actor.id, action="claim", conversation_id=conversation_id, at=now
            )
        await self._queue.left(conversation_id, "counsellor", risk_level)

    async def transfer(
        self, actor: StaffUser, conversation_id: str, to: str, note: str | None = None
    ) -> None:
        """Hand my chat to another counsellor, or back to the queue (keeping its place)."""
        self._require_chat_role(actor)
        now = self._clock()
        target = None if to == "queue" else await self._colleague(to, field="to")
        mine = [Conversation.status == "counsellor"]
        if not actor.is_supervisor:
            mine.append(Conversation.assigned_to == actor.id)
        if target is None:
            # Back in the queue at its original place: a transferred child is not sent to the back.
            values = {
                "status": "waiting",
                "assigned_to": None,
                "claimed_at": None,
                "queued_at": func.coalesce(Conversation.queued_at, now),
            }
        else:
            values = {"assigned_to": target.id, "claimed_at": now}
        async with self._denials(), self._sessions() as session, session.begin():
            if not await self._transition(
                session, conversation_id, where=mine, values=values, now=now
            ):
                await self._refuse(session, actor, conversation_id, "transfer")
            await self._note(session, actor, conversation_id, note, now)
            await audit.record(
                session,
                user_id=actor.id,
                action="transfer",
                conversation_id=conversation_id,
                detail={"to": "queue" if target is None else target.username},
                at=now,
            )
        await self._after_assignment(conversation_id, requeued=target is None)

    async def reassign(
        self, actor: StaffUser, conversation_id: str, to: str, note: str | None = None
    ) -> None:
        """A supervisor gives any open chat (waiting or with someone) to a counsellor."""
        if not actor.is_supervisor:
            raise Forbidden("only a supervisor may reassign")
        now = self._clock()
        target = await self._colleague(to, field="to")
        async with self._denials(), self._sessions() as session, session.begin():
            moved = await self._transition(
                session,
                conversation_id,
                where=[Conversation.status.in_(("waiting", "counsellor"))],
                values={"status": "counsellor", "assigned_to": target.id, "claimed_at": now},
                now=now,
            )
            if not moved:
                await self._refuse(session, actor, conversation_id, "reassign")
            await self._note(session, actor, conversation_id, note, now)
            await audit.record(
                session,
                user_id=actor.id,
                action="reassign",
                conversation_id=conversation_id,
                detail={"to": target.username},
                at=now,
            )
        await self._after_assignment(conversation_id, requeued=False)

    # -- close ----------------------------------------------------------------------------------

    async def close(self, actor: StaffUser, conversation_id: str, form: CaseForm) -> int:
        """Close my chat with the case form; returns the Case id. Checked before anything is written."""
        self._require_chat_role(actor)
        checked = check_case(form, self.taxonomy, actor)
        now = self._clock()
        mine = [Conversation.status == "counsellor"]
        if not actor.is_supervisor:
            mine.append(Conversation.assigned_to == actor.id)
        try:
            async with self._denials(), self._sessions() as session, session.begin():
                closed = await self._transition(
                    session,
                    conversation_id,
                    where=mine,
                    values={"status": "closed", "closed_at": now},
                    now=now,
                )
                if not closed:
                    await self._refuse(session, actor, conversation_id, "close")
                conversation = await session.get(Conversation, conversation_id)
                referral = checked.referral
                case = Case(
                    conversation_id=conversation_id,
                    channel=conversation.channel,
                    opened_at=conversation.created_at,
                    closed_at=now,
                    category=checked.category,
                    subcategory=checked.subcategory,
                    gender=checked.gender,
                    age=checked.age,
                    age_band=checked.age_band,
                    outcome=checked.outcome,
                    counselling=checked.outcome != "no_counselling_need",
                    risk_level=conversation.risk_level,
                    referral_agency=referral.agency if referral else None,
                    referral_consent=referral.consent if referral else None,
                    referral_override_reason=referral.override_reason if referral else None,
                    referral_override_by=checked.override_by,
                    closed_by=actor.id,
                    source="console",
                )
                session.add(case)
                await session.flush()
                detail = {"case_id": case.id, "category": checked.category}
                if checked.override_by is not None:
                    detail["referral_override"] = True
                await audit.record(
                    session,
                    user_id=actor.id,
                    action="close",
                    conversation_id=conversation_id,
                    detail=detail,
                    at=now,
                )
                case_id = case.id
        except IntegrityError as exc:  # a case for this conversation exists already
            raise Conflict("this conversation already has a case") from exc
        await self._queue.sync_id(conversation_id)
        return case_id

    # -- writing to the child, notes, corrections ----------------------------------------------

    async def send(self, actor: StaffUser, conversation_id: str, text: str, relay: Relay) -> int:
        """Relay my message to the child (`relay` is the core's send_to_child)."""
        text = (text or "").strip()
        if not text or len(text) > MAX_MESSAGE_CHARS:
            raise InvalidField("text", f"write 1 to {MAX_MESSAGE_CHARS} characters")
        conversation = await self._readable(actor, conversation_id, "send")
        # A supervisor watching someone else's chat is a read-only monitor.
        if conversation.status != "counsellor" or conversation.assigned_to != actor.id:
            raise Conflict("claim the conversation before writing in it")
        try:
            message_id = await relay(conversation_id, text, sender="counsellor", user_id=actor.id)
        except LookupError as exc:
            raise Conflict("the conversation is closed") from exc
        async with self._sessions() as session, session.begin():
            await audit.record(
                session,
                user_id=actor.id,
                action="send_message",
                conversation_id=conversation_id,
                detail={"message_id": message_id},
                at=self._clock(),
            )
        return message_id

    async def add_note(self, actor: StaffUser, conversation_id: str, text: str) -> int:
        text = (text or "").strip()
        if not text or len(text) > MAX_NOTE_CHARS:
            raise InvalidField("text", f"write 1 to {MAX_NOTE_CHARS} characters")
        conversation = await self._readable(actor, conversation_id, "note")
        if conversation.status == "waiting" and not actor.is_supervisor:
            raise Conflict("claim the conversation before adding notes")
        now = self._clock()
        async with self._sessions() as session, session.begin():
            note = await self._note(session, actor, conversation_id, text, now)
            await audit.record(
                session, user_id=actor.id, action="note", conversation_id=conversation_id, at=now
            )
        await self._announce("notes", conversation_id, conversation.status)
        return note.id

    async def feedback(
        self,
        actor: StaffUser,
        message_id: int,
        *,
        conversation_id: str | None = None,
        category: str | None = None,
        subcategory: str | None = None,
        risk_level: str | None = None,
    ) -> int:
        """ "The bot got this message's category or risk wrong": a labelled example for retraining."""
        self._check_labels(category, subcategory, risk_level)
        async with self._sessions() as session:
            message = await session.get(Message, message_id)
        if message is None or conversation_id not in (None, message.conversation_id):
            raise NotFound("no such message")
        await self._readable(actor, message.conversation_id, "feedback")
        if message.sender != "child" or message.text_enc is None:
            raise InvalidField("message_id", "only a child's text message can be relabelled")
        analysis = self._cipher.decrypt_json(message.analysis_enc) or {}
        now = self._clock()
        async with self._sessions() as session, session.begin():
            row = NluFeedback(
                message_id=message_id,
                text_enc=message.text_enc,  # the same key: the ciphertext is copied, never logged
                predicted_category=analysis.get("category"),
                predicted_risk=message.risk_level,
                category=category,
                subcategory=subcategory or None,
                risk_level=risk_level,
                user_id=actor.id,
                created_at=now,
            )
            session.add(row)
            await session.flush()
            await audit.record(
                session,
                user_id=actor.id,
                action="nlu_feedback",
                conversation_id=message.conversation_id,
                detail={"message_id": message_id, "feedback_id": row.id},
                at=now,
            )
            return row.id

    async def set_shift(self, actor: StaffUser, on_shift: bool) -> int:
        """Go on or off shift; returns how many counsellors are on shift now."""
        self._require_chat_role(actor)
        now = self._clock()
        async with self._sessions() as session, session.begin():
            await session.execute(
                update(User).where(User.id == actor.id).values(on_shift=on_shift, last_seen_at=now)
            )
            await audit.record(
                session, user_id=actor.id, action="shift_on" if on_shift else "shift_off", at=now
            )
        async with self._sessions() as session:
            count = await self._queue.counsellors_on_shift(session)
        await self._backend.publish(EVENTS_TOPIC, {"event": "shift", "on_shift": count})
        return count

    # -- helpers --------------------------------------------------------------------------------

    @staticmethod
    def _require_chat_role(actor: StaffUser) -> None:
        if actor.role not in CHAT_ROLES:
            raise Forbidden("not allowed for your role")

    def _check_labels(self, category, subcategory, risk_level) -> None:
        if category is None and risk_level is None:
            raise InvalidField("category", "give the right category, the right risk, or both")
        if category is not None and category not in self.taxonomy.categories:
            raise InvalidField("category", f"unknown category {category!r}")
        if subcategory and (
            category is None or subcategory not in self.taxonomy.subcategories(category)
        ):
            raise InvalidField("subcategory", f"unknown subcategory {subcategory!r}")
        if risk_level is not None and risk_level not in RISK_ORDER:
            raise InvalidField("risk_level", f"risk level must be one of {', '.join(RISK_ORDER)}")

    async def _transition(
        self, session: AsyncSession, conversation_id: str, *, where, values, now
    ) -> bool:
        result = await session.execute(
            update(Conversation)
            .where(Conversation.id == conversation_id, *where)
            .values(**values, updated_at=now, version=Conversation.version + 1)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1

    async def _refuse(
        self, session: AsyncSession, actor: StaffUser, conversation_id: str, what: str
    ):
        """Why a transition did not happen: NotFound when the actor may not see it, else Conflict."""
        conversation = await session.get(Conversation, conversation_id)
        # Claiming a chat someone else took is the everyday race of the queue: 409, as for a
        # closed one. Every other action on a chat the actor may not see looks like no chat.
        hidden = what != "claim" and conversation is not None and not may_read(actor, conversation)
        if conversation is None or hidden:
            raise _Denied(actor, conversation_id, what, exists=conversation is not None)
        raise Conflict(f"cannot {what}: the conversation is {conversation.status}")

    @asynccontextmanager
    async def _denials(self):
        """Audit a refusal after the refused transaction has rolled back and let go of its
        connection: on SQLite a second writer would otherwise wait for the first forever."""
        try:
            yield
        except _Denied as denied:
            await self._audit_denied(
                denied.actor, denied.conversation_id, denied.what, exists=denied.exists
            )
            raise NotFound("no such conversation") from None

    async def _readable(self, actor: StaffUser, conversation_id: str, what: str) -> Conversation:
        self._require_chat_role(actor)
        async with self._sessions() as session:
            conversation = await session.get(Conversation, conversation_id)
        if conversation is None or not may_read(actor, conversation):
            await self._audit_denied(actor, conversation_id, what, exists=conversation is not None)
            raise NotFound("no such conversation")
        return conversation

    async def _audit_denied(self, actor, conversation_id: str, what: str, *, exists: bool) -> None:
        # In its own transaction: the refused request's transaction rolls back, the entry stays.
        if not exists:
            conversation_id = conversation_id[:36]
        async with self._sessions() as session, session.begin():
            await audit.record(
                session,
                user_id=actor.id,
                action="access_denied",
                conversation_id=conversation_id,
                detail={"attempted": what, "exists": exists},
                at=self._clock(),
            )

    async def _colleague(self, username: str, *, field: str) -> User:
        async with self._sessions() as session:
            user = await session.scalar(
                select(User).where(User.username == (username or "").strip())
            )
        if user is None or not user.active or user.role not in CHAT_ROLES:
            raise InvalidField(field, f"no active counsellor or supervisor {username!r}")
        return user

    async def _note(
        self, session, actor: StaffUser, conversation_id: str, text, now
    ) -> Note | None:
        text = (text or "").strip()
        if not text:
            return None
        if len(text) > MAX_NOTE_CHARS:
            raise InvalidField("note", f"at most {MAX_NOTE_CHARS} characters")
        note = Note(
            conversation_id=conversation_id,
            author_id=actor.id,
            text_enc=self._cipher.encrypt(text),
            created_at=now,
        )
        session.add(note)
        await session.flush()
        return note

    async def _after_assignment(self, conversation_id: str, *, requeued: bool) -> None:
        if requeued:
            await self._queue.sync_id(conversation_id)
        else:
            await self._announce("assigned", conversation_id, "counsellor")
            await self._queue.sync_id(conversation_id)

    async def _announce(self, event: str, conversation_id: str, status: str) -> None:
        await self._backend.publish(
            EVENTS_TOPIC, {"event": event, "conversation_id": conversation_id, "status": status}
        )
