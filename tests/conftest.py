"""Shared fixtures: every storage and backend test runs on the embedded defaults (SQLite,
in-process) and, when their URLs are exported, on PostgreSQL and Redis.

HELPLINE_TEST_POSTGRES_URL  e.g. postgresql+asyncpg://root@127.0.0.1:5432/test
HELPLINE_TEST_REDIS_URL     e.g. redis://127.0.0.1:6379/0

Without them those variants skip, except under CI=true, where a missing server fails the run.
Each test session gets its own PostgreSQL database and Redis key prefix, so parallel runs on one
machine never see each other's data.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid

import pytest

from store.migrate import upgrade

POSTGRES_URL = os.environ.get("HELPLINE_TEST_POSTGRES_URL")
REDIS_URL = os.environ.get("HELPLINE_TEST_REDIS_URL")
IN_CI = os.environ.get("CI") == "true"
TEST_SECRET = "test-secret-key-with-at-least-32-characters!"


def require_server(url: str | None, variable: str) -> str:
    if url:
        return url
    if IN_CI:
        pytest.fail(f"{variable} is not set: CI must run the real-server variants")
    pytest.skip(f"{variable} not set")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("db") / "template.sqlite3"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return str(path)


def _admin_url(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def _pg_execute(url: str, *statements: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(_admin_url(url))
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def postgres_database():
    base = require_server(POSTGRES_URL, "HELPLINE_TEST_POSTGRES_URL")
    name = f"helpline_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg_execute(base, f'CREATE DATABASE "{name}"'))
    url = base.rsplit("/", 1)[0] + f"/{name}"
    upgrade(url)
    yield url
    asyncio.run(_pg_execute(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


_TABLES = (
    "nlu_feedback, flow_versions, cases, import_batches, notes, audit_log, staff_sessions, "
    "outbox, messages, inbox, conversations, participants, users"
)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path, sqlite_template) -> str:
    if request.param == "sqlite":
        path = tmp_path / "helpline.sqlite3"
        shutil.copy(sqlite_template, path)
        return f"sqlite+aiosqlite:///{path}"
    url = request.getfixturevalue("postgres_database")
    asyncio.run(_pg_execute(url, f"TRUNCATE {_TABLES} RESTART IDENTITY CASCADE"))
    return url


@pytest.fixture
def sqlite_url(tmp_path, sqlite_template) -> str:
    """Only the embedded database, for tests that are not about storage."""
    path = tmp_path / "helpline.sqlite3"
    shutil.copy(sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture(params=["memory", "redis"])
async def backend(request):
    from store.backends import MemoryBackend

    if request.param == "memory":
        instance = MemoryBackend()
        yield instance
        return
    from store.backends.redis import RedisBackend

    url = require_server(REDIS_URL, "HELPLINE_TEST_REDIS_URL")
    prefix = f"helpline-test-{uuid.uuid4().hex[:12]}"
    instance = RedisBackend.from_url(url, prefix=prefix)
    yield instance
    client = instance._redis
    keys = [key async for key in client.scan_iter(match=f"{prefix}:*")]
    if keys:
        await client.delete(*keys)
    await instance.close()
