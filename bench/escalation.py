"""How fast a child in danger reaches a counsellor's screen, and how fast counsellors can claim.

    .venv/bin/python bench/escalation.py [--messages 200] [--waiting 1000] [--counsellors 20]
    HELPLINE_TEST_POSTGRES_URL=postgresql+asyncpg://root@127.0.0.1:5432/test \
    HELPLINE_TEST_REDIS_URL=redis://127.0.0.1:6379/0 .venv/bin/python bench/escalation.py

1. Latency: a high-risk child message enters `core.handle` (store, NLU, flow, queue, commit)
   until its `queue` event arrives on a console's connected /api/events stream (a real loopback
   HTTP server, SSE); p50 and p99. Aim: p99 under 250 ms.
2. Claim throughput: 1,000 waiting conversations, N counsellors each claiming whatever is at the
   top of the queue now (one of the top N/2, so about two go for each) through
   POST /api/conversations/{id}/claim; claims per second, and a check that every chat was
   claimed exactly once.

Runs on SQLite + the in-process backend, and on PostgreSQL + Redis when both URLs are set (a
database and a key prefix of its own, removed afterwards).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402
import uvicorn  # noqa: E402
from argon2 import PasswordHasher  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from bot.bootstrap import build_container  # noqa: E402
from bot.messages import InboundMessage  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.web.app import create_app  # noqa: E402
from escalation.api import build_api_router  # noqa: E402
from escalation.auth import StaffAuth  # noqa: E402
from escalation.queue import CounsellorQueue  # noqa: E402
from store.migrate import upgrade  # noqa: E402
from store.models import Conversation, Participant, User  # noqa: E402

SECRET = "bench-secret-key-with-at-least-32-characters!!"
PASSWORD = "bench password 116111"
HIGH_RISK = [
    "ozumu oldurmek isteyirem, daha yasamaq istemirem",
    "я не хочу жить, хочу покончить с собой",
    "I want to kill myself, I can't go on anymore",
]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


# -- set-up -------------------------------------------------------------------------------------


def build(database_url: str, redis_url: str | None, prefix: str):
    settings = Settings(database_url=database_url, secret_key=SECRET, redis_url=None)
    container = build_container(settings)
    if redis_url:
        # A key prefix of our own, so the bench never touches anyone else's keys.
        from store.backends.redis import RedisBackend

        backend = RedisBackend.from_url(redis_url, prefix=prefix)
        container.backend = backend
        container.core.backend = backend
        container.queue = CounsellorQueue(container.sessions, backend)
        container.core.queue = container.queue
    container.auth = StaffAuth(
        sessions=container.sessions,
        backend=container.backend,
        clock=container.clock,
        cipher=container.cipher,
    )
    container.extra_routers = [build_api_router]
    return container


async def add_counsellors(container, count: int) -> list[str]:
    # Cheap argon2 parameters: signing in is not what is measured here.
    password_hash = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)
    names = [f"counsellor{number}" for number in range(count)]
    async with container.sessions() as session, session.begin():
        for name in names:
            session.add(User(username=name, password_hash=password_hash, role="counsellor"))
    return names


async def sign_in(client: httpx.AsyncClient, username: str) -> str:
    response = await client.post(
        "/api/auth/login", json={"username": username, "password": PASSWORD}
    )
    response.raise_for_status()
    return response.json()["csrf_token"]


@contextlib.asynccontextmanager
async def serve(app):
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn offers a flag, not an event
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


# -- 1. message to console latency --------------------------------------------------------------


async def latency(container, app, messages: int) -> list[float]:
    (username,) = await add_counsellors(container, 1)
    samples = []
    async with serve(app) as base_url, httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        await sign_in(client, username)
        async with client.stream("GET", "/api/events") as response:
            lines = response.aiter_lines()
            await next_event(lines, lambda name, data: name == "hello")
            for number in range(messages):
                child = f"bench-child-{uuid.uuid4().hex}"
                inbound = InboundMessage(
                    channel="webchat",
                    user_id=child,
                    address=child,
                    kind="text",
                    text=HIGH_RISK[number % len(HIGH_RISK)],
                )
                started = time.perf_counter()
                handling = asyncio.create_task(container.core.handle(inbound))
                await next_event(
                    lines,
                    lambda name, data: (
                        name == "queue"
                        and data.get("status") == "waiting"
                        and data.get("risk_level") in ("high", "imminent")
                    ),
                )
                samples.append((time.perf_counter() - started) * 1000)
                await handling
    return samples


async def next_event(lines, wanted) -> dict:
    name = None
    async for line in lines:
        if line.startswith("event: "):
            name = line[7:]
        elif line.startswith("data: "):
            data = json.loads(line[6:])
            if wanted(name, data):
                return data
    raise RuntimeError("the event stream ended")


# -- 2. claim throughput ------------------------------------------------------------------------


async def fill_queue(container, count: int) -> None:
    now = datetime.now(UTC)
    risks = ("none", "low", "medium", "high", "imminent")
    async with container.sessions() as session, session.begin():
        participants = [
            Participant(channel="webchat", user_hash=uuid.uuid4().hex, created_at=now)
            for _ in range(count)
        ]
        session.add_all(participants)
        await session.flush()
        session.add_all(
            Conversation(
                id=str(uuid.uuid4()),
                participant_id=participant.id,
                channel="webchat",
                address_enc=container.cipher.encrypt("bench"),
                status="waiting",
                flow_state={},
                risk_level=risks[number % len(risks)],
                queued_at=now,
                created_at=now,
                updated_at=now,
            )
            for number, participant in enumerate(participants)
        )
    await container.queue.rebuild()


async def claims(container, app, waiting: int, counsellors: int) -> tuple[float, float, int]:
    async with container.sessions() as session, session.begin():
        await session.execute(
            Conversation.__table__.update()
            .where(Conversation.status == "waiting")
            .values(status="closed")
        )
    await container.queue.rebuild()
    await fill_queue(container, waiting)
    names = [f"claimer{number}" for number in range(counsellors)]
    password_hash = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)
    async with container.sessions() as session, session.begin():
        session.add_all(
            User(username=name, password_hash=password_hash, role="counsellor") for name in names
        )
    transport = httpx.ASGITransport(app=app)
    clients = [httpx.AsyncClient(transport=transport, base_url="http://bench") for _ in names]
    tokens = [await sign_in(client, name) for client, name in zip(clients, names, strict=True)]
    conflicts = 0

    async def worker(client: httpx.AsyncClient, token: str, seed: int) -> int:
        # Like a counsellor: take one of the chats at the top of the queue now (about two
        # counsellors go for each one, so claims are raced); on 409 look again.
        nonlocal conflicts
        rng = random.Random(seed)
        won = 0
        while top := await container.queue.ordered_ids(limit=max(1, counsellors // 2)):
            response = await client.post(
                f"/api/conversations/{rng.choice(top)}/claim", headers={"X-CSRF-Token": token}
            )
            if response.status_code == 200:
                won += 1
            elif response.status_code == 409:
                conflicts += 1
            else:
                raise RuntimeError(f"claim answered {response.status_code}")
        return won

    started = time.perf_counter()
    won = await asyncio.gather(
        *(worker(c, t, n) for n, (c, t) in enumerate(zip(clients, tokens, strict=True)))
    )
    seconds = time.perf_counter() - started
    for client in clients:
        await client.aclose()
    async with container.sessions() as session:
        claimed = await session.scalar(
            select(func.count())
            .select_from(Conversation)
            .where(Conversation.status == "counsellor")
        )
    assert sum(won) == waiting == claimed, (sum(won), waiting, claimed)
    return waiting / seconds, (waiting + conflicts) / seconds, conflicts


# -- driver -------------------------------------------------------------------------------------


async def run(label: str, database_url: str, redis_url: str | None, args) -> None:
    prefix = f"helpline-bench-{uuid.uuid4().hex[:12]}"
    container = build(database_url, redis_url, prefix)
    await container.flows.load()
    app = create_app(container, manage_lifecycle=False)
    try:
        samples = await latency(container, app, args.messages)
        rate, requests, conflicts = await claims(container, app, args.waiting, args.counsellors)
    finally:
        if redis_url:
            client = container.backend._redis
            keys = [key async for key in client.scan_iter(match=f"{prefix}:*")]
            if keys:
                await client.delete(*keys)
        await container.backend.close()
        await container.engine.dispose()
    print(f"{label:<22} load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(
        f"{label:<22} message→console  p50 {statistics.median(samples):6.1f} ms  "
        f"p99 {percentile(samples, 0.99):6.1f} ms  max {max(samples):6.1f} ms  (n={len(samples)})"
    )
    print(
        f"{label:<22} claims           {rate:6.0f} /s  ({args.waiting} chats, each claimed once; "
        f"{args.counsellors} counsellors racing: {requests:.0f} requests/s, "
        f"{conflicts} got 409)"
    )


async def pg_database(base: str, create: bool, name: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(base.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        if create:
            await connection.execute(f'CREATE DATABASE "{name}"')
        else:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--waiting", type=int, default=1000)
    parser.add_argument("--counsellors", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite+aiosqlite:///{directory}/bench.sqlite3"
        upgrade(url)
        asyncio.run(run("SQLite + in-process", url, None, args))
    postgres = os.environ.get("HELPLINE_TEST_POSTGRES_URL")
    redis = os.environ.get("HELPLINE_TEST_REDIS_URL")
    if not (postgres and redis):
        print("PostgreSQL + Redis: skipped (set HELPLINE_TEST_POSTGRES_URL and _REDIS_URL)")
        return
    name = f"helpline_bench_{uuid.uuid4().hex[:12]}"
    asyncio.run(pg_database(postgres, True, name))
    try:
        url = postgres.rsplit("/", 1)[0] + f"/{name}"
        upgrade(url)
        asyncio.run(run("PostgreSQL + Redis", url, redis, args))
    finally:
        asyncio.run(pg_database(postgres, False, name))


if __name__ == "__main__":
    main()
