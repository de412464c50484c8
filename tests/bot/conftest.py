from __future__ import annotations

import pytest

from tests.conftest import REDIS_URL, require_server
from tests.support import FakeClock, make_container, make_settings


@pytest.fixture(params=["embedded", "servers"])
def stack_settings(request, tmp_path):
    """Settings for the embedded defaults (SQLite + in-process) and the servers (PostgreSQL + Redis)."""

    # Resolved here, in a synchronous fixture: creating databases runs its own event loop.
    if request.param == "embedded":
        url, redis = request.getfixturevalue("sqlite_url"), False
    else:
        require_server(REDIS_URL, "HELPLINE_TEST_REDIS_URL")
        url, redis = request.getfixturevalue("database_url_postgresql"), True

    def build(**overrides):
        return make_settings(url, tmp_path, redis=redis, **overrides)

    return build


@pytest.fixture
def database_url_postgresql(postgres_database):
    import asyncio

    from tests.conftest import _TABLES, _pg_execute

    asyncio.run(_pg_execute(postgres_database, f"TRUNCATE {_TABLES} RESTART IDENTITY CASCADE"))
    return postgres_database


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
async def container(stack_settings, clock):
    instance = make_container(stack_settings(), clock=clock)
    await instance.flows.load()
    await instance.queue.rebuild()
    yield instance
    await instance.stop()
