"""The one entry point for every channel and for tests: store, analyse, step the flow, reply.

    receive()  commit the update to the inbox (before any channel acknowledges it)
    process()  take the conversation's lock, analyse, step the flow, commit replies to the outbox
    handle()   both, for channels that need no separate acknowledgement (web chat, polling, tests)

Safety rails are enforced here as well as in the flow runner: if the runner fails, or does not
hand off an urgent message, the core hands off itself with the fallback safety text.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Collection, MutableMapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.conversations import (
    ConversationKey,
    add_message,
    conversation_key,
    erase_participant,
    open_conversation,
    recent_child_texts,
)
from bot.inbox import Inbox
from bot.messages import MEDIA_KINDS, InboundMessage, OutButton, OutgoingMessage
from bot.outbox import OutboxSender, enqueue
from escalation.queue import EVENTS_TOPIC, CounsellorQueue, max_risk
from flows.types import Action, FlowEvent, FlowState, Reply, Situation, StepResult
from nlu.analysis import Analysis, failed_analysis, risk_rank
from store.backends import Backend
from store.crypto import FieldCipher
from store.models import Conversation, OutboxMessage, Participant

log = logging.getLogger(__name__)

FALLBACK_TEXTS = yaml.safe_load((Path(__file__).parent / "texts" / "fallback.yml").read_text())
LANGUAGES = ("az", "ru", "en")
Translator = Callable[[dict], InboundMessage | None]


class _AlreadyProcessed(Exception):
    """Another worker committed this update first."""


@dataclass
class StepOutcome:
    conversation: Conversation
    queue_changed: bool = False
    erased_key: ConversationKey | None = None
    erased_conversation_id: str | None = None
    message_ids: list[int] = field(default_factory=list)


class Core:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker,
        cipher: FieldCipher,
        backend: Backend,
        inbox: Inbox,
        outbox: OutboxSender,
        analyzer,
        runner,
        queue: CounsellorQueue,
        translators: MutableMapping[str, Translator],
        clock: Callable[[], datetime],
        nlu_timeout_seconds: float = 2.0,
    ) -> None:
        self.sessions = sessions
        self.cipher = cipher
        self.backend = backend
        self.inbox = inbox
        self.outbox = outbox
        self.analyzer = analyzer
        self.runner = runner
        self.queue = queue
        self.translators = translators  # channels built after the core add theirs here
        self.clock = clock
        self.nlu_timeout_seconds = nlu_timeout_seconds

    # -- entry points ---------------------------------------------------------------------------

    async def receive(self, channel: str, update_key: str, payload: dict) -> int | None:
        return await self.inbox.store(channel, update_key, payload)

    async def handle(self, inbound: InboundMessage, *, update_key: str | None = None) -> int | None:
        inbox_id = await self.receive(
            inbound.channel, update_key or uuid.uuid4().hex, inbound.to_dict()
        )
        if inbox_id is not None:
            await self.process(inbox_id)
        return inbox_id

    async def recover(self) -> int:
        """Replay every update stored but not processed (a crash, a restart)."""
        pending = await self.inbox.pending_ids()
        for inbox_id in pending:
            await self.process(inbox_id)
        return len(pending)

    async def sweep(
        self, older_than_seconds: float = 10.0, skip: Collection[int] = frozenset()
    ) -> int:
        """Retry updates still pending a while after they arrived (a transient failure).
        `skip`: updates a worker of this process still has queued (a backlog, not a failure)."""
        cutoff = self.clock() - timedelta(seconds=older_than_seconds)
        pending = [
            inbox_id
            for inbox_id in await self.inbox.pending_ids(received_before=cutoff)
            if inbox_id not in skip
        ]
        for inbox_id in pending:
            await self.process(inbox_id)
        return len(pending)

    async def process(self, inbox_id: int) -> None:
        try:
            await self._process(inbox_id)
        except Exception as exc:
            log.exception("processing inbox update %s failed", inbox_id)
            if await self.inbox.record_failure(inbox_id, type(exc).__name__):
                # Parked after repeated failures: a person must know a message is waiting.
                log.error("inbox update %s parked after repeated failures", inbox_id)
                await self.backend.publish(
                    EVENTS_TOPIC, {"event": "alert", "kind": "failed_update", "inbox_id": inbox_id}
                )

    # -- one step -------------------------------------------------------------------------------

    async def _process(self, inbox_id: int) -> None:
        async with self.sessions() as session:
            loaded = await self.inbox.load(session, inbox_id)
        if loaded is None:
            return  # already processed: a replay produces nothing twice
        channel, payload = loaded
        inbound = self.translators[channel](payload)
        if inbound is None:
            async with self.sessions() as session, session.begin():
                await self.inbox.mark_done(session, inbox_id, self.clock())
            return
        key = conversation_key(self.cipher, inbound.channel, inbound.user_id)
        # Lock before load: two updates of one child must not both read the same flow state and
        # both write their own successor (the second would silently undo the first).
        async with self.backend.lock(key.lock_name, ttl=60, wait=60):
            analysis = await self._analyse(inbound, key)
            try:
                async with self.sessions() as session, session.begin():
                    outcome = await self._step(session, inbox_id, inbound, key, analysis)
                    if not await self.inbox.finish(session, inbox_id, self.clock()):
                        raise _AlreadyProcessed  # rolls this step back: nothing twice
            except _AlreadyProcessed:
                return  # another worker finished it while we waited for the lock
        await self._after_commit(outcome)

    async def _analyse(self, inbound: InboundMessage, key: ConversationKey) -> Analysis | None:
        if inbound.kind != "text" or not (inbound.text or "").strip():
            return None
        async with self.sessions() as session:
            context = await self._context(session, key)
        try:
            return await asyncio.wait_for(
                self.analyzer.analyze(inbound.text, context), self.nlu_timeout_seconds
            )
        except Exception as exc:  # timeout or error: a person must look, never "safe"
            log.warning("NLU failed (%s): handing the message to a person", type(exc).__name__)
            return failed_analysis(type(exc).__name__)

    async def _context(self, session: AsyncSession, key: ConversationKey) -> list[str]:
        """The child's latest text messages in their open conversation, oldest first (one query)."""
        open_conversation_id = (
            select(Conversation.id)
            .join(Participant, Participant.id == Conversation.participant_id)
            .where(Participant.channel == key.channel, Participant.user_hash == key.user_hash)
            .where(Conversation.status != "closed")
            .order_by(Conversation.created_at.desc())
            .limit(1)
            .scalar_subquery()
        )
        return await recent_child_texts(session, self.cipher, open_conversation_id)

    async def _step(
        self,
        session: AsyncSession,
        inbox_id: int,
        inbound: InboundMessage,
        key: ConversationKey,
        analysis: Analysis | None,
    ) -> StepOutcome:
        now = self.clock()
        conversation, _ = await open_conversation(session, self.cipher, key, inbound.address, now)
        outcome = StepOutcome(conversation)
        child_message = self._record_child_message(
            session, conversation, inbound, analysis, inbox_id, now
        )
        await session.flush()
        # After the flush, so the conversation is written once, at commit.
        self._note_analysis(conversation, analysis, now)
        outcome.message_ids.append(child_message.id)
        state = FlowState.from_dict(conversation.flow_state)
        if not state.profile.get("language") and inbound.language_hint in LANGUAGES:
            state.profile.setdefault("language_hint", inbound.language_hint)
        event = self._event(inbound, analysis, await self._situation(session, conversation))
        result = self._run_flow(state, event, analysis)
        await self._apply(session, outcome, key, result, analysis, now)
        if outcome.erased_key is not None:
            conversation, _ = await open_conversation(
                session, self.cipher, key, inbound.address, now
            )
            outcome.conversation = conversation
        conversation.flow_state = result.state.to_dict()
        conversation.language = (
            result.state.profile.get("language")
            or conversation.language
            or (analysis.language if analysis and analysis.language != "other" else None)
        )
        conversation.updated_at = now
        for number, reply in enumerate(result.replies):
            outcome.message_ids.append(
                await self._queue_reply(
                    session, conversation, reply, f"in:{inbox_id}:{number}", now
                )
            )
        return outcome

    @staticmethod
    def _note_analysis(conversation: Conversation, analysis: Analysis | None, now) -> None:
        conversation.last_child_message_at = now
        if analysis is not None:
            # The topic follows the most serious message so far: a calm follow-up ("yes, I'm
            # at home") must not relabel a chat that started with abuse.
            # (Risk carried over from earlier messages ties, so only a more serious one relabels.)
            more_serious = risk_rank(analysis.risk.level) > risk_rank(
                conversation.risk_level or "none"
            )
            unlabelled = conversation.category in (None, "other")
            if (
                analysis.category != "other"
                and (unlabelled or more_serious)
                or not conversation.category
            ):
                conversation.category = analysis.category
                conversation.subcategory = analysis.subcategory
            conversation.risk_level = max_risk(conversation.risk_level, analysis.risk.level)
            conversation.risk_score = max(conversation.risk_score or 0.0, analysis.risk.score)

    def _record_child_message(self, session, conversation, inbound, analysis, inbox_id, now):
        # Media keep their caption (the channel puts it in `text`); buttons keep their data.
        text = inbound.button if inbound.kind == "button" else inbound.text
        return add_message(
            session,
            self.cipher,
            conversation,
            sender="child",
            kind=inbound.kind,
            text=text,
            attachment=inbound.attachment,
            analysis=analysis.to_dict() if analysis else None,
            risk_level=analysis.risk.level if analysis else None,
            inbox_id=inbox_id,
            now=now,
        )

    async def _situation(self, session: AsyncSession, conversation: Conversation) -> Situation:
        on_shift = await self.queue.counsellors_on_shift_recently(session)
        position = (
            await self.queue.position(conversation.id) if conversation.status == "waiting" else None
        )
        wait = await self.queue.expected_wait_minutes(position, session) if position else None
        return Situation(
            status=conversation.status,
            counsellors_on_shift=on_shift > 0,
            queue_position=position,
            expected_wait_minutes=wait,
            local_hour=self.clock().hour,
        )

    @staticmethod
    def _event(
        inbound: InboundMessage, analysis: Analysis | None, situation: Situation
    ) -> FlowEvent:
        if inbound.kind == "command":
            return FlowEvent(kind="command", command=inbound.command, situation=situation)
        if inbound.kind == "button":
            return FlowEvent(kind="button", button=inbound.button, situation=situation)
        if inbound.kind in MEDIA_KINDS:
            return FlowEvent(kind="media", text=inbound.kind, situation=situation)
        return FlowEvent(
            kind="text", text=inbound.text or "", analysis=analysis, situation=situation
        )

    def _run_flow(
        self, state: FlowState, event: FlowEvent, analysis: Analysis | None
    ) -> StepResult:
        try:
            result = self.runner.step(state, event)
        except Exception:
            log.exception("flow runner failed; falling back to a person")
            return self._fallback(state, analysis, "flow runner failed")
        urgent = analysis is not None and (analysis.risk.is_urgent or analysis.needs_human)
        handed_off = any(action.kind == "handoff" for action in result.actions)
        if urgent and not handed_off and event.situation.status in ("bot", "waiting"):
            # The runner must do this itself; this is the second line of defence.
            log.error("flow runner did not hand off an urgent message; the core does")
            fallback = self._fallback(result.state, analysis, "urgent message")
            result.actions.extend(fallback.actions)
            result.replies.extend(fallback.replies)
        return result

    def _fallback(self, state: FlowState, analysis: Analysis | None, reason: str) -> StepResult:
        language = state.profile.get("language") or (analysis.language if analysis else None)
        language = language if language in LANGUAGES else "az"
        risk = analysis.risk.level if analysis else "high"
        text = FALLBACK_TEXTS["safety"][language]
        return StepResult(
            replies=[Reply(text=text)],
            state=state,
            actions=[Action(kind="handoff", data={"reason": reason, "risk_level": risk})],
        )

    async def _apply(self, session, outcome: StepOutcome, key, result: StepResult, analysis, now):
        conversation = outcome.conversation
        for action in result.actions:
            if action.kind == "handoff":
                risk = action.data.get("risk_level") or (
                    analysis.risk.level if analysis else "none"
                )
                if action.data.get("priority") == "urgent":
                    risk = max_risk(risk, "high")
                reason = action.data.get("reason") or "handoff"
                outcome.queue_changed |= self.queue.request_handoff(
                    conversation, reason=reason, risk_level=risk, now=now
                )
            elif action.kind == "cancel_handoff":
                outcome.queue_changed |= self.queue.cancel(conversation, now)
            elif action.kind == "set_profile":
                if "age_band" in action.data:
                    conversation.age_band = action.data["age_band"]
            elif action.kind == "delete_data":
                outcome.erased_conversation_id = conversation.id
                await erase_participant(session, key)
                await session.flush()
                outcome.erased_key = key
        if (
            analysis is not None
            and conversation.status == "waiting"
            and not outcome.queue_changed
            and analysis.risk.level != "none"
        ):
            # The child writes more while waiting: re-score (risk only ever goes up).
            outcome.queue_changed = True

    async def _queue_reply(self, session, conversation, reply: Reply, dedupe_key: str, now) -> int:
        message = add_message(
            session, self.cipher, conversation, sender="bot", kind="text", text=reply.text, now=now
        )
        await session.flush()
        outgoing = OutgoingMessage(
            text=reply.text,
            buttons=tuple(OutButton(button.label, button.data) for button in reply.buttons),
            message_id=message.id,
        )
        enqueue(
            session,
            self.cipher,
            dedupe_key=dedupe_key,
            conversation=conversation,
            message=outgoing,
            now=now,
        )
        return message.id

    async def send_to_child(
        self,
        conversation_id: str,
        text: str,
        *,
        sender: str = "counsellor",
        user_id: int | None = None,
    ) -> int:
        """Relay a counsellor's (or the system's) message to the child through their channel."""
        now = self.clock()
        async with self.sessions() as session, session.begin():
            conversation = await session.get(Conversation, conversation_id)
            if conversation is None or conversation.status == "closed":
                raise LookupError("conversation not open")
            message = add_message(
                session,
                self.cipher,
                conversation,
                sender=sender,
                kind="text",
                text=text,
                now=now,
                sender_user_id=user_id,
            )
            await session.flush()
            outgoing = OutgoingMessage(
                text=text, sender=sender, protect_content=True, message_id=message.id
            )
            enqueue(
                session,
                self.cipher,
                dedupe_key=f"msg:{message.id}",
                conversation=conversation,
                message=outgoing,
                now=now,
            )
            conversation.updated_at = now
            message_id = message.id
        await self.backend.publish(
            EVENTS_TOPIC,
            {
                "event": "messages",
                "conversation_id": conversation_id,
                "status": conversation.status,
            },
        )
        self.outbox.wake()
        return message_id

    async def conversation_closed(self, conversation_id: str) -> None:
        """A counsellor closed the chat: the child gets the goodbye flow (with its one-tap
        feedback question) in a fresh conversation, so their next message starts clean.
        Safe to call twice: the replies' dedupe keys are derived from the closed conversation.
        """
        now = self.clock()
        async with self.sessions() as session:
            closed = await session.get(Conversation, conversation_id)
            participant = closed and await session.get(Participant, closed.participant_id)
        if closed is None or participant is None or closed.status != "closed":
            return
        key = ConversationKey(participant.channel, participant.user_hash)
        address = self.cipher.decrypt(closed.address_enc)
        language = (closed.flow_state or {}).get("profile", {}).get("language") or closed.language
        prefix = f"closed:{conversation_id}:"
        async with (
            self.backend.lock(key.lock_name, ttl=60, wait=60),
            self.sessions() as session,
            session.begin(),
        ):
            done = await session.scalar(
                select(OutboxMessage.id).where(OutboxMessage.dedupe_key == f"{prefix}0")
            )
            if done is not None:
                return
            conversation, _ = await open_conversation(session, self.cipher, key, address, now)
            state = FlowState(profile={"language": language} if language else {})
            event = FlowEvent(kind="start", flow="goodbye", situation=Situation(status="bot"))
            try:
                result = self.runner.step(state, event)
            except Exception:
                log.exception("goodbye flow failed")
                return
            conversation.flow_state = result.state.to_dict()
            conversation.language = language
            for number, reply in enumerate(result.replies):
                await self._queue_reply(session, conversation, reply, f"{prefix}{number}", now)
        self.outbox.wake()

    async def _after_commit(self, outcome: StepOutcome) -> None:
        conversation = outcome.conversation
        if outcome.erased_conversation_id:
            await self.queue.forget(outcome.erased_conversation_id)
        if outcome.queue_changed or conversation.status == "waiting":
            await self.queue.sync(conversation)
        await self.backend.publish(
            EVENTS_TOPIC,
            {
                "event": "messages",
                "conversation_id": conversation.id,
                "status": conversation.status,
            },
        )
        self.outbox.wake()
