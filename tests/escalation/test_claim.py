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


CLAIM_IN_A_PROCESS = """
import asyncio, sys
from datetime import UTC, datetime
from escalation.queue import CounsellorQueue
from escalation.service import ChatService
from escalation.staff import Conflict, StaffUser
from store.backends import MemoryBackend
from store.crypto import FieldCipher
from store.db import create_engine, session_factory

async def main(url, user_id, conversation_id):
    engine = create_engine(url)
    sessions = session_factory(engine)
    backend = MemoryBackend()
    service = ChatService(sessions=sessions, cipher=FieldCipher("x" * 32), backend=backend,
                          queue=CounsellorQueue(sessions, backend), clock=lambda: datetime.now(UTC))
    print("ready", flush=True)
    sys.stdin.readline()  # all processes start claiming together
    try:
        await service.claim(StaffUser(int(user_id), "c", "counsellor"), conversation_id)
        print("won", flush=True)
    except Conflict:
        print("lost", flush=True)
    await engine.dispose()

asyncio.run(main(*sys.argv[1:]))
"""


async def test_exactly_one_winner_across_processes(any_sessions, database_url, cipher, clock):
    import sys

    queue = CounsellorQueue(any_sessions, MemoryBackend())
    conversation_id = await waiting(any_sessions, queue, cipher, clock(), "high")
    user_ids = [await add_user(any_sessions, f"p{number}") for number in range(6)]
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            CLAIM_IN_A_PROCESS,
            database_url,
            str(user_id),
            conversation_id,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        for user_id in user_ids
    ]
    for process in processes:
        assert (await process.stdout.readline()).strip() == b"ready"
    for process in processes:
        process.stdin.write(b"go\n")
        await process.stdin.drain()
    outcomes = [(await process.communicate())[0].decode().split() for process in processes]
    assert sorted(outcome[-1] for outcome in outcomes) == ["lost"] * 5 + ["won"]
    async with any_sessions() as session:
        conversation = await session.get(Conversation, conversation_id)
    winner = user_ids[[outcome[-1] for outcome in outcomes].index("won")]
    assert conversation.assigned_to == winner


async def test_a_child_cancelling_while_a_counsellor_claims_leaves_one_consistent_outcome(
    any_sessions, cipher, clock
):
    """The child's step holds the conversation's row while it runs (FOR UPDATE on PostgreSQL,
    the single connection on SQLite): a claim made meanwhile waits for the step's commit and then
    sees that the child left the queue. Without the lock the claim would succeed and the step's
    write would silently turn the claimed chat back into a bot chat."""
    from bot.conversations import conversation_key, open_conversation

    backend = MemoryBackend()
    queue = CounsellorQueue(any_sessions, backend)
    service = ChatService(
        sessions=any_sessions, cipher=cipher, backend=backend, queue=queue, clock=clock
    )
    key = conversation_key(cipher, "webchat", "child-who-cancels")
    async with any_sessions() as session, session.begin():
        conversation, _ = await open_conversation(session, cipher, key, "address", clock())
        CounsellorQueue.request_handoff(conversation, reason="test", risk_level="high", now=clock())
    counsellor = StaffUser(await add_user(any_sessions, "claimer"), "claimer", "counsellor")

    async with any_sessions() as session:
        async with session.begin():
            conversation, _ = await open_conversation(session, cipher, key, "address", clock())
            claim = asyncio.create_task(service.claim(counsellor, conversation.id))
            await asyncio.sleep(0.3)  # room for the claim to reach the database and wait there
            assert CounsellorQueue.cancel(conversation, clock())
        with pytest.raises(Conflict):
            await claim

    async with any_sessions() as session:
        row = await session.get(Conversation, conversation.id)
    assert (row.status, row.assigned_to) == ("bot", None)
