"""Pacing: about one message a second per chat (short bursts allowed), N a second overall;
callers wait their turn, in order, and nothing is dropped. A simulated clock: no real waiting."""

from __future__ import annotations

import asyncio

from bot.channels.telegram.limiter import Pacer, TokenBucket


class SimulatedTime:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


def test_bucket_allows_a_burst_then_spaces_by_the_rate():
    bucket = TokenBucket(rate=1.0, burst=3, tokens=3, updated=0.0)
    waits = [bucket.reserve(0.0) for _ in range(5)]
    assert waits == [0.0, 0.0, 0.0, 1.0, 2.0]


def test_bucket_refills_with_time_up_to_its_size():
    bucket = TokenBucket(rate=2.0, burst=2, tokens=0, updated=0.0)
    assert bucket.reserve(0.5) == 0.0  # one token came back
    assert bucket.reserve(100.0) == 0.0  # full again, never more than 2
    assert bucket.reserve(100.0) == 0.0
    assert bucket.reserve(100.0) == 0.5


async def test_one_chat_is_paced_to_about_one_message_a_second():
    time = SimulatedTime()
    pacer = Pacer(
        per_chat_interval=1.0, global_per_second=30, chat_burst=1, clock=time, sleep=time.sleep
    )
    sent_at = []
    for _ in range(4):
        await pacer.wait("42")
        sent_at.append(time.now)
    assert sent_at == [0.0, 1.0, 2.0, 3.0]


async def test_other_chats_are_not_held_up_by_a_busy_one():
    time = SimulatedTime()
    pacer = Pacer(
        per_chat_interval=1.0, global_per_second=100, chat_burst=1, clock=time, sleep=time.sleep
    )
    await pacer.wait("busy")
    await pacer.wait("other")
    assert time.now == 0.0


async def test_global_rate_spaces_many_chats():
    time = SimulatedTime()
    pacer = Pacer(
        per_chat_interval=1.0, global_per_second=25, chat_burst=3, clock=time, sleep=time.sleep
    )
    for chat in range(75):
        await pacer.wait(str(chat))
    # A one-second burst of 25, then one every 1/25 s: 50 more take two seconds.
    assert abs(time.now - 2.0) < 1e-9


async def test_waiting_callers_all_go_in_the_end():
    pacer = Pacer(per_chat_interval=0.001, global_per_second=1000, chat_burst=1)
    await asyncio.gather(*(pacer.wait("42") for _ in range(20)))


def test_idle_chats_are_forgotten():
    time = SimulatedTime()
    pacer = Pacer(per_chat_interval=1.0, global_per_second=0, clock=time, sleep=time.sleep)
    pacer.PRUNE_ABOVE = 10
    for chat in range(11):
        pacer._chat_bucket(str(chat)).reserve(time.now)
    time.now = 60.0
    pacer._chat_bucket("new")
    assert set(pacer._chats) == {"new"}
