"""A small conversation driver: a child who writes to the bot through the webhook or through
polling, and a way to wait until everything they caused has been delivered to the fake server.

    child = Child(service, user_id=501)
    replies = await child.command("start")      # the sendMessage calls this caused
    replies = await child.click(replies[-1].buttons[0][1])
    replies = await child.send("Salam, mənə kömək lazımdır")
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bot.bootstrap import Container, build_container
from bot.settings import Settings
from bot.web.app import create_app
from tests.conftest import TEST_SECRET, _pg_execute
from tests.support import FakeClock
from tests.telegram.fake_server import Call, FakeTelegram

TOKEN = "123456:TEST-fake-token"
WEBHOOK_SECRET = "webhook-secret-for-tests"
_ids = itertools.count(1)


@dataclass(frozen=True)
class Stack:
    """Where a service keeps its data: SQLite + in-process, or PostgreSQL + Redis."""

    database_url: str
    data_dir: Path
    redis_url: str | None = None
    redis_prefix: str = field(default_factory=lambda: f"helpline-test-{uuid.uuid4().hex[:10]}")


def make_settings(stack: Stack, fake: FakeTelegram, *, mode: str, **overrides) -> Settings:
    values: dict[str, Any] = {
        "secret_key": TEST_SECRET,
        "database_url": stack.database_url,
        "data_dir": stack.data_dir,
        "redis_url": stack.redis_url,
        "redis_prefix": stack.redis_prefix,
        "telegram_token": TOKEN,
        "telegram_api_base": fake.base_url,
        "telegram_mode": mode,
        "telegram_webhook_secret": WEBHOOK_SECRET,
        # Pacing has its own unit tests; here it must not make conversations slow.
        "telegram_per_chat_interval": 0.001,
        "telegram_global_per_second": 10_000,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


@dataclass
class Service:
    container: Container
    fake: FakeTelegram
    clock: FakeClock
    http: httpx.AsyncClient
    started: bool = False

    @classmethod
    def build(cls, stack: Stack, fake, clock, *, mode="webhook", **overrides) -> Service:
        settings = make_settings(stack, fake, mode=mode, **overrides)
        container = build_container(settings, clock=clock)
        app = create_app(container, manage_lifecycle=False)
        http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        )
        return cls(container, fake, clock, http)

    @property
    def telegram(self):
        return self.container.telegram

    async def start(self) -> None:
        await self.container.start()
        self.started = True

    async def stop(self) -> None:
        await self.http.aclose()
        if self.started:
            self.started = False
            await self.container.stop()
        else:
            await self.container.telegram.stop()
            await self.container.engine.dispose()

    async def post(self, update: dict, secret: str | None = WEBHOOK_SECRET) -> httpx.Response:
        # ASCII escapes, as Telegram may send them (and lone surrogates survive the trip).
        return await self.post_raw(json.dumps(update).encode(), secret)

    async def post_raw(self, body: bytes, secret: str | None = WEBHOOK_SECRET) -> httpx.Response:
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        return await self.http.post("/telegram/webhook", content=body, headers=headers)

    async def settle(self) -> None:
        """Wait until every submitted update is processed and every due reply delivered."""
        await self.container.processor.drain()
        await self.container.outbox.flush()


@dataclass
class Child:
    service: Service
    user_id: int = field(default_factory=lambda: 500 + next(_ids))
    language_code: str | None = "az"
    via: str = "webhook"  # webhook | polling

    @property
    def fake(self) -> FakeTelegram:
        return self.service.fake

    def user(self) -> dict:
        user = {"id": self.user_id, "is_bot": False, "first_name": "Test"}
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    def message(self, **content) -> dict:
        return {
            "update_id": next_update_id(),
            "message": {
                "message_id": next(_ids),
                "date": int(time.time()),
                "chat": {"id": self.user_id, "type": "private", "first_name": "Test"},
                "from": self.user(),
                **content,
            },
        }

    def callback(self, data: str) -> dict:
        return {
            "update_id": next_update_id(),
            "callback_query": {
                "id": f"cq{next(_ids)}",
                "from": self.user(),
                "chat_instance": "ci",
                "data": data,
                "message": {
                    "message_id": next(_ids),
                    "date": int(time.time()),
                    "chat": {"id": self.user_id, "type": "private"},
                    "text": "buttons",
                },
            },
        }

    async def send(self, text: str) -> list[Call]:
        return await self.deliver(self.message(text=text))

    async def command(self, name: str) -> list[Call]:
        return await self.send(f"/{name}")

    async def click(self, data: str) -> list[Call]:
        return await self.deliver(self.callback(data))

    async def deliver(self, update: dict) -> list[Call]:
        """Hand the update to the service the way Telegram would; the replies it caused."""
        before = len(self.fake.sent(self.user_id))
        if self.via == "webhook":
            response = await self.service.post(update)
            assert response.status_code == 200, response.text
        else:
            await self.fake.push_update(update)
            # Confirmed by the next getUpdates only after it was stored.
            await self.fake.wait_for(lambda fake: fake.confirmed_offset > update["update_id"])
        await self.service.settle()
        return self.fake.sent(self.user_id)[before:]


_update_ids = itertools.count(10_000)


def next_update_id() -> int:
    return next(_update_ids)


@contextlib.asynccontextmanager
async def database_outage(service: Service):
    """The service's database stops answering (really: files gone / connections refused)."""
    url = service.container.settings.resolved_database_url
    await service.container.engine.dispose()
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[1]
        moved = _take_sqlite_files_away(path)
        try:
            yield
        finally:
            _put_sqlite_files_back(path, moved)
            # Connections SQLite half-opened on the directory would stay broken in the pool.
            await service.container.engine.dispose()
        return
    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    await _pg_execute(
        admin,
        f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false',
        f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'",
    )
    try:
        yield
    finally:
        await _pg_execute(admin, f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')


async def inbox_statuses(service: Service) -> dict[str, str]:
    """update key -> status of every stored Telegram update."""
    from sqlalchemy import select

    from store.models import InboxUpdate

    async with service.container.sessions() as session:
        rows = await session.execute(
            select(InboxUpdate.update_key, InboxUpdate.status).where(
                InboxUpdate.channel == "telegram"
            )
        )
        return {key: status for key, status in rows}


def _take_sqlite_files_away(path: str) -> list[str]:
    moved = [f"{path}{suffix}" for suffix in ("", "-wal", "-shm") if os.path.exists(path + suffix)]
    for file in moved:
        os.rename(file, f"{file}.away")
    os.mkdir(path)  # a directory where the file was: SQLite cannot open it
    return moved


def _put_sqlite_files_back(path: str, moved: list[str]) -> None:
    os.rmdir(path)
    for file in moved:
        os.rename(f"{file}.away", file)
