"""Claim is atomic: many counsellors at once, exactly one gets the chat (on both databases)."""

from __future__ import annotations

import asyncio

import pytest

from escalation.queue import CounsellorQueue
from escalation.service import ChatService
from escalation.staff import Conflict, NotFound, StaffUser
from store.backends import MemoryBackend
from store.db import create_engine, session_factory
from store.models import Conversation
from tests.escalation.conftest import add_user
from tests.escalation.test_queue import waiting

CLAIMERS = 25


@pytest.fixture
async def any_sessions(database_url):
    engine = create_engine(database_url)
    yield session_factory(engine)
    await engine.dispose()


async def test_many_simultaneous_claims_have_exactly_one_winner(any_sessions, cipher, clock):
    backend = MemoryBackend()
    queue = CounsellorQueue(any_sessions, backend)
    service = ChatService(
        sessions=any_sessions, cipher=cipher, backend=backend, queue=queue, clock=clock
    )
    conversation_id = await waiting(any_sessions, queue, cipher, clock(), "imminent")
    counsellors = [
        StaffUser(await add_user(any_sessions, f"c{number}"), f"c{number}", "counsellor")
        for number in range(CLAIMERS)
    ]

    async def claim(user):
        try:
            await service.claim(user, conversation_id)
            return user.id
        except Conflict:
            return None

    results = await asyncio.gather(*(claim(user) for user in counsellors))
    winners = [user_id for user_id in results if user_id is not None]
    assert len(winners) == 1
    async with any_sessions() as session:
        conversation = await session.get(Conversation, conversation_id)
    assert conversation.status == "counsellor" and conversation.assigned_to == winners[0]
    assert await queue.position(conversation_id) is None


async def test_claiming_a_claimed_or_closed_chat_is_a_conflict(sessions, cipher, clock):
    backend = MemoryBackend()
    queue = CounsellorQueue(sessions, backend)
    service = ChatService(
        sessions=sessions, cipher=cipher, backend=backend, queue=queue, clock=clock
    )
    conversation_id = await waiting(sessions, queue, cipher, clock(), "high")
    first = StaffUser(await add_user(sessions, "first"), "first", "counsellor")
    second = StaffUser(await add_user(sessions, "second"), "second", "counsellor")
    boss = StaffUser(await add_user(sessions, "boss", "supervisor"), "boss", "supervisor")
    await service.claim(first, conversation_id)
    with pytest.raises(Conflict):
        await service.claim(second, conversation_id)
    with pytest.raises(Conflict):
        await service.claim(boss, conversation_id)
    with pytest.raises(NotFound):
        await service.claim(first, "no-such-conversation")
    async with sessions() as session, session.begin():
        (await session.get(Conversation, conversation_id)).status = "closed"
    with pytest.raises(Conflict):
        await service.claim(boss, conversation_id)
