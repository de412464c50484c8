"""Fixtures for the Telegram channel: the fake Bot API server, a guard that fails any test
touching a non-loopback address, settings pointing at the fake, and whole services.
"""

from __future__ import annotations

import socket

import pytest

from tests.conftest import REDIS_URL, require_server
from tests.support import FakeClock
from tests.telegram.driver import TOKEN, Service, Stack
from tests.telegram.fake_server import FakeTelegram

LOOPBACK = {"127.0.0.1", "::1", "localhost", "testserver"}


@pytest.fixture(autouse=True)
def no_real_network(monkeypatch):
    """Any connection beyond loopback (api.telegram.org included) fails the test."""
    attempts: list[str] = []
    real_getaddrinfo = socket.getaddrinfo
    real_connect = socket.socket.connect

    def getaddrinfo(host, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else host
        if name is not None and name not in LOOPBACK:
            attempts.append(str(name))
            raise OSError(f"test tried to reach {name}: only loopback is allowed")
        return real_getaddrinfo(host, *args, **kwargs)

    def connect(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in LOOPBACK:
            attempts.append(str(address[0]))
            raise OSError(f"test tried to reach {address[0]}: only loopback is allowed")
        return real_connect(sock, address)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", connect)
    yield attempts
    assert not attempts, f"a test tried to reach the network: {attempts}"


@pytest.fixture
async def fake_telegram():
    async with FakeTelegram(token=TOKEN) as server:
        yield server


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=["embedded", "servers"])
def stack(request, tmp_path) -> Stack:
    """SQLite + in-process, and PostgreSQL + Redis (skipped without their URLs, except in CI)."""
    if request.param == "embedded":
        return Stack(request.getfixturevalue("sqlite_url"), tmp_path)
    redis_url = require_server(REDIS_URL, "HELPLINE_TEST_REDIS_URL")
    return Stack(request.getfixturevalue("database_url_postgresql"), tmp_path, redis_url)


@pytest.fixture
def embedded(sqlite_url, tmp_path) -> Stack:
    """Only the embedded stack, for tests that are not about storage."""
    return Stack(sqlite_url, tmp_path)


@pytest.fixture
def database_url_postgresql(postgres_database):
    import asyncio

    from tests.conftest import _TABLES, _pg_execute

    asyncio.run(_pg_execute(postgres_database, f"TRUNCATE {_TABLES} RESTART IDENTITY CASCADE"))
    return postgres_database


@pytest.fixture
async def service_factory(fake_telegram, clock):
    """Build (and later stop) services on a stack: await build(stack, mode=..., start=...)."""
    services: list[Service] = []

    async def build(stack: Stack, *, mode: str = "webhook", start: bool = True, **settings):
        service = Service.build(stack, fake_telegram, clock, mode=mode, **settings)
        services.append(service)
        if start:
            await service.start()
        return service

    yield build
    for service in reversed(services):
        await service.stop()
