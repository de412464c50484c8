"""The queue contract, on both backends: risk first, then time waiting; ageing; re-scoring when
the child writes more; the index rebuilt from the database after a crash."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from escalation.queue import CounsellorQueue
from store.backends import MemoryBackend
from store.models import Conversation, Participant


@pytest.fixture
def queue(sessions, backend) -> CounsellorQueue:
    return CounsellorQueue(sessions, backend)


async def waiting(sessions, queue, cipher, now, risk: str = "none") -> str:
    async with sessions() as session, session.begin():
        participant = Participant(channel="webchat", user_hash=uuid.uuid4().hex, created_at=now)
        session.add(participant)
        await session.flush()
        conversation = Conversation(
            id=str(uuid.uuid4()),
            participant_id=participant.id,
            channel="webchat",
            address_enc=cipher.encrypt("address"),
            status="bot",
            flow_state={},
            created_at=now,
            updated_at=now,
        )
        session.add(conversation)
        CounsellorQueue.request_handoff(conversation, reason="test", risk_level=risk, now=now)
    await queue.sync(conversation)
    return conversation.id


async def rescore(sessions, queue, conversation_id: str, risk: str, now) -> None:
    async with sessions() as session, session.begin():
        conversation = await session.get(Conversation, conversation_id)
        CounsellorQueue.request_handoff(conversation, reason="more", risk_level=risk, now=now)
    await queue.sync(conversation)


async def test_risk_first_then_time_waiting(sessions, queue, cipher, clock):
    order = {}
    for risk in ("low", "imminent", "none", "high", "medium", "high", "imminent"):
        order.setdefault(risk, []).append(await waiting(sessions, queue, cipher, clock(), risk))
        clock.advance(30)
    expected = [
        *order["imminent"],
        *order["high"],
        *order["medium"],
        *order["low"],
        *order["none"],
    ]
    assert await queue.ordered_ids() == expected
    assert [await queue.position(cid) for cid in expected] == list(range(1, 8))


async def test_ageing_lets_a_long_wait_pass_a_slightly_higher_risk(sessions, queue, cipher, clock):
    early_low = await waiting(sessions, queue, cipher, clock(), "low")
    clock.advance(11 * 60)  # low credit 5 min, medium 15: 11 min of waiting outweighs 10 min
    late_medium = await waiting(sessions, queue, cipher, clock(), "medium")
    assert await queue.ordered_ids() == [early_low, late_medium]
    fresh_medium_soon = await waiting(
        sessions, queue, cipher, clock() - timedelta(minutes=2), "medium"
    )
    assert (await queue.ordered_ids())[0] == fresh_medium_soon


async def test_no_wait_ever_passes_high_risk(sessions, queue, cipher, clock):
    old_low = await waiting(sessions, queue, cipher, clock() - timedelta(days=30), "low")
    high = await waiting(sessions, queue, cipher, clock(), "high")
    assert await queue.ordered_ids() == [high, old_low]


async def test_child_writing_more_rescores_and_risk_never_goes_down(sessions, queue, cipher, clock):
    first = await waiting(sessions, queue, cipher, clock(), "medium")
    clock.advance(60)
    second = await waiting(sessions, queue, cipher, clock(), "low")
    clock.advance(60)
    await rescore(sessions, queue, second, "high", clock())
    assert await queue.ordered_ids() == [second, first]
    await rescore(sessions, queue, second, "none", clock())
    assert await queue.ordered_ids() == [second, first]
    async with sessions() as session:
        assert (await session.get(Conversation, second)).risk_level == "high"


async def test_rescoring_keeps_the_original_arrival_time(sessions, queue, cipher, clock):
    first = await waiting(sessions, queue, cipher, clock(), "high")
    clock.advance(60)
    second = await waiting(sessions, queue, cipher, clock(), "high")
    clock.advance(600)
    await rescore(sessions, queue, second, "high", clock())  # writes more, same level
    assert await queue.ordered_ids() == [first, second]


async def test_rebuild_after_a_crash_restores_the_order_from_the_database(
    sessions, backend, cipher, clock
):
    before = CounsellorQueue(sessions, MemoryBackend())  # the index that died with its process
    ids = [await waiting(sessions, before, cipher, clock(), risk) for risk in ("low", "high")]
    await backend.rank_set("counsellor-queue", "no-longer-waiting", 0.0)  # stale survivor
    after = CounsellorQueue(sessions, backend)
    assert await after.rebuild() == 2
    assert await after.ordered_ids() == [ids[1], ids[0]]


async def test_sync_reads_the_database_not_a_stale_object(sessions, queue, cipher, clock):
    """Regression: the core synced its stale `waiting` object after a counsellor had claimed."""
    conversation_id = await waiting(sessions, queue, cipher, clock(), "high")
    async with sessions() as session:
        stale = await session.get(Conversation, conversation_id)
    async with sessions() as session, session.begin():
        (await session.get(Conversation, conversation_id)).status = "counsellor"
    await queue.sync(stale)
    assert await queue.ordered_ids() == []


async def test_cancel_leaves_the_queue(sessions, queue, cipher, clock):
    conversation_id = await waiting(sessions, queue, cipher, clock(), "medium")
    async with sessions() as session, session.begin():
        conversation = await session.get(Conversation, conversation_id)
        assert CounsellorQueue.cancel(conversation, clock())
    await queue.sync(conversation)
    assert await queue.position(conversation_id) is None


async def test_expected_wait_needs_counsellors_on_shift(sessions, queue, cipher, clock):
    from tests.escalation.conftest import add_user

    async with sessions() as session:
        assert await queue.expected_wait_minutes(3, session) is None
    await add_user(sessions, "aysel", on_shift=True)
    await add_user(sessions, "murad", on_shift=True)
    async with sessions() as session:
        assert await queue.expected_wait_minutes(3, session) == 9
        assert await queue.expected_wait_minutes(None, session) is None
