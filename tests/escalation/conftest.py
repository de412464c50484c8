"""Fixtures for the escalation tests: a fake clock, a database, users and the staff auth."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from escalation.accounts import create_user
from escalation.auth import StaffAuth
from store.backends import MemoryBackend
from store.crypto import FieldCipher
from store.db import create_engine, session_factory
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


async def add_user(sessions, username: str, role: str = "counsellor", **fields) -> int:
    async with sessions() as session, session.begin():
        user = await create_user(session, username, PASSWORD, role)
        for name, value in fields.items():
            setattr(user, name, value)
        return user.id
