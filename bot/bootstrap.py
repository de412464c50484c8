"""The composition root: everything is built here from settings, nothing at import time.

Tests build their own Settings and pass fakes only at the seams (the clock, Telegram's HTTP API).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from fastapi.templating import Jinja2Templates

import escalation
import nlu
from bot.channels.webchat import CHANNEL as WEBCHAT
from bot.channels.webchat import WebChatOutput
from bot.channels.webchat import translate as translate_webchat
from bot.core import Core
from bot.flow_registry import FlowRegistry, SqlFlowRepository
from bot.inbox import Inbox
from bot.media import ChannelMedia
from bot.outbox import OutboxSender
from bot.processor import Processor
from bot.settings import Settings
from bot.web.editor import build_flow_editor_router
from escalation.alerts import SupervisorAlerts
from escalation.auth import StaffAuth
from escalation.queue import CounsellorQueue
from flows.runner import FlowRunner
from store.backends import Backend, build_backend
from store.crypto import FieldCipher
from store.db import create_engine, session_factory

log = logging.getLogger(__name__)
TEMPLATES = Path(__file__).parent / "web" / "templates"


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Container:
    settings: Settings
    engine: object
    sessions: object
    cipher: FieldCipher
    backend: Backend
    clock: Callable[[], datetime]
    inbox: Inbox
    outbox: OutboxSender
    queue: CounsellorQueue
    flows: FlowRegistry
    core: Core
    processor: Processor
    templates: Jinja2Templates
    channels: dict = field(default_factory=dict)
    media: ChannelMedia = field(default_factory=ChannelMedia)
    auth: StaffAuth | None = None
    alerts: SupervisorAlerts | None = None
    flow_repository: SqlFlowRepository | None = None
    telegram: object | None = None
    extra_routers: list = field(default_factory=list)
    _tasks: list[asyncio.Task] = field(default_factory=list)

    async def start(self) -> None:
        """Replay what a crash left, then run the background workers."""
        await self.flows.seed(self.flow_repository)
        await self.flows.load()
        await self.queue.rebuild()
        self._tasks.append(asyncio.create_task(self.flows.watch(), name="flows-watch"))
        self._tasks.append(asyncio.create_task(self.outbox.run(), name="outbox"))
        self._tasks.append(asyncio.create_task(self._sweep_inbox(), name="inbox-sweeper"))
        replayed = await self.core.recover()
        if replayed:
            log.info("replayed %d stored updates", replayed)
        self.alerts.start()
        if self.telegram is not None:
            await self.telegram.start()

    async def _sweep_inbox(self, every_seconds: float = 5.0) -> None:
        while True:
            await asyncio.sleep(every_seconds)
            try:
                await self.core.sweep(skip=self.processor.in_flight)
                await self.inbox.prune()
            except Exception:
                log.exception("inbox sweep failed")

    async def stop(self) -> None:
        if self.telegram is not None:
            await self.telegram.stop()
        await self.processor.drain()
        await self.alerts.stop()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        await self.backend.close()
        await self.engine.dispose()


def build_container(
    settings: Settings,
    *,
    clock: Callable[[], datetime] = utc_now,
    analyzer=None,
) -> Container:
    engine = create_engine(settings.resolved_database_url)
    sessions = session_factory(engine)
    cipher = FieldCipher(settings.secret())
    backend = build_backend(settings.redis_url, prefix=settings.redis_prefix)
    channels: dict = {WEBCHAT: WebChatOutput(backend, cipher)}
    translators = {WEBCHAT: translate_webchat}
    inbox = Inbox(sessions, cipher, clock)
    outbox = OutboxSender(sessions, cipher, channels, clock)
    queue = CounsellorQueue(sessions, backend)
    flows = FlowRegistry(sessions=sessions, backend=backend, defaults_dir=settings.flows_dir)
    analyzer = analyzer or nlu.build_analyzer(
        settings.nlu_backend, settings.rasa_url, settings.nlu_timeout_seconds
    )
    core = Core(
        sessions=sessions,
        cipher=cipher,
        backend=backend,
        inbox=inbox,
        outbox=outbox,
        analyzer=analyzer,
        runner=FlowRunner(flows.provider),
        queue=queue,
        translators=translators,
        clock=clock,
        nlu_timeout_seconds=settings.nlu_timeout_seconds,
    )
    container = Container(
        settings=settings,
        engine=engine,
        sessions=sessions,
        cipher=cipher,
        backend=backend,
        clock=clock,
        inbox=inbox,
        outbox=outbox,
        queue=queue,
        flows=flows,
        core=core,
        processor=Processor(core),
        templates=Jinja2Templates(directory=str(TEMPLATES)),
        channels=channels,
        auth=StaffAuth(
            sessions=sessions,
            backend=backend,
            clock=clock,
            idle_minutes=settings.session_idle_minutes,
            secure_cookies=settings.env == "production",
            cipher=cipher,
        ),
        alerts=SupervisorAlerts(
            sessions=sessions,
            backend=backend,
            clock=clock,
            threshold_seconds=settings.high_risk_alert_seconds,
        ),
        flow_repository=SqlFlowRepository(sessions, clock),
        extra_routers=[*escalation.web_routers(), build_flow_editor_router],
    )
    if settings.telegram_token:
        from bot.channels.telegram import TelegramChannel
        from bot.channels.telegram.media import TelegramMedia

        container.telegram = TelegramChannel.build(settings, container)
        channels["telegram"] = container.telegram.output
        container.core.translators["telegram"] = container.telegram.translate
        container.media.register("telegram", TelegramMedia(container.telegram.bot))
    return container
