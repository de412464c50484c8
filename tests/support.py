"""Test helpers shared by the areas: a settable clock (a seam), container factories, a chat driver."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.bootstrap import build_container
from bot.messages import CollectingOutput, InboundMessage, OutgoingMessage
from bot.settings import Settings
from tests.conftest import REDIS_URL, TEST_SECRET


class FakeClock:
    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 3, 2, 10, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def make_settings(database_url: str, tmp_path, *, redis: bool = False, **overrides) -> Settings:
    values = {
        "database_url": database_url,
        "secret_key": TEST_SECRET,
        "data_dir": tmp_path,
        "redis_url": REDIS_URL if redis else None,
        "redis_prefix": f"helpline-test-{uuid.uuid4().hex[:10]}",
        "telegram_token": None,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


def make_container(settings: Settings, **kwargs):
    container = build_container(settings, **kwargs)
    collector = CollectingOutput(name="webchat")
    container.channels["webchat"] = collector
    container.collector = collector
    return container


@dataclass
class ChatDriver:
    """Scripts a child's side of a conversation through the one core entry point."""

    container: object
    user: str = field(default_factory=lambda: f"child-{uuid.uuid4().hex[:8]}")
    channel: str = "webchat"
    language_hint: str | None = None

    def _inbound(self, kind: str, **values) -> InboundMessage:
        return InboundMessage(
            self.channel, self.user, self.user, kind, language_hint=self.language_hint, **values
        )

    async def _run(
        self, inbound: InboundMessage, update_key: str | None = None
    ) -> list[OutgoingMessage]:
        collector = self.container.collector
        before = len(collector.sent)
        await self.container.core.handle(inbound, update_key=update_key)
        await self.container.outbox.flush()
        return [message for address, message in collector.sent[before:] if address == self.user]

    async def send(self, text: str, update_key: str | None = None) -> list[OutgoingMessage]:
        return await self._run(self._inbound("text", text=text), update_key)

    async def click(self, data: str) -> list[OutgoingMessage]:
        return await self._run(self._inbound("button", button=data))

    async def command(self, name: str) -> list[OutgoingMessage]:
        return await self._run(self._inbound("command", command=name))

    async def media(self, kind: str, attachment: str | None = "file-1") -> list[OutgoingMessage]:
        return await self._run(self._inbound(kind, attachment=attachment))

    async def start_in(self, language: str) -> list[OutgoingMessage]:
        """/start, then the language button."""
        replies = await self.command("start")
        data = next(
            button.data
            for reply in replies
            for button in reply.buttons
            if button.data.endswith(f":{language}")
        )
        return await self.click(data)


def texts(replies: list[OutgoingMessage]) -> str:
    return "\n".join(reply.text for reply in replies)
