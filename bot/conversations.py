"""Finding and recording conversations and their messages, encryption applied at this edge."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from store.crypto import FieldCipher
from store.models import Conversation, Message, Participant

CONTEXT_MESSAGES = 6


@dataclass(frozen=True)
class ConversationKey:
    """The lock and lookup key of one person on one channel: a keyed hash, never the raw id."""

    channel: str
    user_hash: str

    @property
    def lock_name(self) -> str:
        return f"conversation:{self.channel}:{self.user_hash}"


def conversation_key(cipher: FieldCipher, channel: str, user_id: str) -> ConversationKey:
    return ConversationKey(channel, cipher.keyed_hash(channel, user_id))


def decrypt_address(cipher: FieldCipher, conversation: Conversation) -> str:
    return cipher.decrypt(conversation.address_enc)


async def find_participant(session: AsyncSession, key: ConversationKey) -> Participant | None:
    return (
        await session.execute(
            select(Participant).where(
                Participant.channel == key.channel, Participant.user_hash == key.user_hash
            )
        )
    ).scalar_one_or_none()


async def open_conversation(
    session: AsyncSession,
    cipher: FieldCipher,
    key: ConversationKey,
    address: str,
    now: datetime,
) -> tuple[Conversation, bool]:
    """The person's current (not closed) conversation, or a new one; (conversation, created)."""
    participant = await find_participant(session, key)
    if participant is None:
        participant = Participant(channel=key.channel, user_hash=key.user_hash, created_at=now)
        session.add(participant)
        await session.flush()
    conversation = (
        await session.execute(
            select(Conversation)
            .where(Conversation.participant_id == participant.id, Conversation.status != "closed")
            .order_by(Conversation.created_at.desc())
            .limit(1)
            # Row lock (PostgreSQL): a counsellor's claim waits for this step to commit and then
            # sees its outcome, instead of this step overwriting a claim made meanwhile.
            .with_for_update()
        )
    ).scalar_one_or_none()
    if conversation is not None:
        return conversation, False
    conversation = Conversation(
        id=str(uuid.uuid4()),
        participant_id=participant.id,
        channel=key.channel,
        address_enc=cipher.encrypt(address),
        status="bot",
        flow_state={},
        created_at=now,
        updated_at=now,
    )
    session.add(conversation)
    await session.flush()
    return conversation, True


def add_message(
    session: AsyncSession,
    cipher: FieldCipher,
    conversation: Conversation,
    *,
    sender: str,
    kind: str,
    text: str | None,
    now: datetime,
    attachment: str | None = None,
    analysis: dict | None = None,
    risk_level: str | None = None,
    inbox_id: int | None = None,
    sender_user_id: int | None = None,
) -> Message:
    message = Message(
        conversation_id=conversation.id,
        sender=sender,
        sender_user_id=sender_user_id,
        kind=kind,
        text_enc=cipher.encrypt(text),
        attachment_enc=cipher.encrypt(attachment),
        analysis_enc=cipher.encrypt_json(analysis),
        risk_level=risk_level,
        inbox_id=inbox_id,
        created_at=now,
    )
    session.add(message)
    return message


async def recent_child_texts(
    session: AsyncSession, cipher: FieldCipher, conversation_id, limit: int = CONTEXT_MESSAGES
) -> list[str]:
    """The child's latest text messages, oldest first: the NLU's context. `conversation_id` may
    be a value or a scalar subquery (the core finds the open conversation in the same query)."""
    rows = await session.execute(
        select(Message.text_enc)
        .where(
            Message.conversation_id == conversation_id,
            Message.sender == "child",
            Message.kind == "text",
        )
        .order_by(Message.id.desc())
        .limit(limit)
    )
    texts = [cipher.decrypt(token) for token in rows.scalars()]
    return [text for text in reversed(texts) if text]


async def erase_participant(session: AsyncSession, key: ConversationKey) -> int:
    """Erase everything of a person: conversations cascade to messages, notes and outbox.

    Closed cases keep their counts (no text, no identity): statistics survive an erasure.
    """
    participant = await find_participant(session, key)
    if participant is None:
        return 0
    result = await session.execute(
        delete(Conversation).where(Conversation.participant_id == participant.id)
    )
    await session.delete(participant)
    return result.rowcount or 0
