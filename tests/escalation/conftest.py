"""Fixtures for the escalation tests: a fake clock, a database, users and the staff auth."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache

import pytest
from argon2 import PasswordHasher

from escalation.auth import StaffAuth
from store.backends import MemoryBackend
from store.crypto import FieldCipher
from store.db import create_engine, session_factory
from store.models import User
from tests.conftest import TEST_SECRET

PASSWORD = "correct horse battery"


class FakeClock:
    """Time that moves only when a test says so."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def cipher() -> FieldCipher:
    return FieldCipher(TEST_SECRET)


@pytest.fixture
async def sessions(sqlite_url):
    engine = create_engine(sqlite_url)
    yield session_factory(engine)
    await engine.dispose()


@pytest.fixture
def memory_backend() -> MemoryBackend:
    return MemoryBackend()


@pytest.fixture
def auth(sessions, memory_backend, clock, cipher) -> StaffAuth:
    return StaffAuth(
        sessions=sessions,
        backend=memory_backend,
        clock=clock,
        idle_minutes=30,
        secure_cookies=False,
        cipher=cipher,
    )


@cache
def password_hash() -> str:
    # Verifying costs most of a second at production parameters on a busy machine. argon2 reads
    # its parameters from the stored hash, so test users get cheap ones (as an account hashed
    # under older parameters would); the code under test is the same.
    return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)


async def add_user(sessions, username: str, role: str = "counsellor", **fields) -> int:
    async with sessions() as session, session.begin():
        user = User(username=username, password_hash=password_hash(), role=role, **fields)
        session.add(user)
        await session.flush()
        return user.id


# -- a whole app: the real core, NLU and flows, with the staff API mounted ---------------------


def build_test_container(database_url: str, clock, *, redis_url: str | None = None, prefix=None):
    """The lead's composition root, plus what bootstrap will add for escalation."""
    from bot.bootstrap import build_container
    from bot.settings import Settings
    from escalation.api import build_api_router

    settings = Settings(database_url=database_url, secret_key=TEST_SECRET, redis_url=redis_url)
    container = build_container(settings, clock=clock)
    if prefix is not None:  # isolate this run's Redis keys
        from store.backends.redis import RedisBackend

        container.backend = RedisBackend.from_url(redis_url, prefix=prefix)
        container.queue._backend = container.backend
        container.core.backend = container.backend
    container.auth = StaffAuth(
        sessions=container.sessions,
        backend=container.backend,
        clock=clock,
        idle_minutes=settings.session_idle_minutes,
        secure_cookies=settings.env == "production",
        cipher=container.cipher,
    )
    container.extra_routers = [build_api_router]
    return container


@pytest.fixture
async def container(sqlite_url, clock):
    container = build_test_container(sqlite_url, clock)
    await container.flows.load()
    yield container
    await container.backend.close()
    await container.engine.dispose()


@pytest.fixture
def app(container):
    from bot.web.app import create_app

    return create_app(container, manage_lifecycle=False)


class Staff:
    """One signed-in staff member's browser: cookie jar, CSRF token, JSON helpers."""

    def __init__(self, app, username: str) -> None:
        import httpx

        self.username = username
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        )
        self.csrf = ""

    async def login(self, password: str = PASSWORD) -> Staff:
        response = await self.client.post(
            "/api/auth/login", json={"username": self.username, "password": password}
        )
        assert response.status_code == 200, response.text
        self.csrf = response.json()["csrf_token"]
        return self

    async def get(self, path: str, **kw):
        return await self.client.get(path, **kw)

    async def post(self, path: str, json=None, *, csrf: bool = True):
        headers = {"X-CSRF-Token": self.csrf} if csrf else {}
        return await self.client.post(path, json=json if json is not None else {}, headers=headers)

    async def close(self) -> None:
        await self.client.aclose()


@pytest.fixture
async def staff(app, container):
    """staff("aysel", role="counsellor") -> a signed-in Staff; closed after the test."""
    made: list[Staff] = []

    async def make(username: str, role: str = "counsellor", **fields) -> Staff:
        await add_user(container.sessions, username, role, **fields)
        member = await Staff(app, username).login()
        made.append(member)
        return member

    yield make
    for member in made:
        await member.close()


async def child_writes(container, child: str, text: str, *, kind: str = "text") -> str:
    """A child's web chat message through the real core; returns the conversation id."""
    from sqlalchemy import select

    from bot.messages import InboundMessage
    from store.models import Conversation, Participant

    await container.core.handle(
        InboundMessage(channel="webchat", user_id=child, address=child, kind=kind, text=text)
    )
    user_hash = container.cipher.keyed_hash("webchat", child)
    async with container.sessions() as session:
        return await session.scalar(
            select(Conversation.id)
            .join(Participant, Participant.id == Conversation.participant_id)
            .where(Participant.user_hash == user_hash, Conversation.status != "closed")
            .order_by(Conversation.created_at.desc())
            .limit(1)
        )


HIGH_RISK = {
    "az": "ozumu oldurmek isteyirem, daha yasamaq istemirem",
    "ru": "я не хочу жить, хочу покончить с собой",
    "en": "I want to kill myself, I can't go on anymore",
}
