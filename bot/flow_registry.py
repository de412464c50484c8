"""The flows in service in this process: the shipped defaults, overlaid by every flow's latest
published version from the database, kept current across processes through the backend.

A publish in any process is announced on the `flows` topic; every process then installs that
version from the database. No restart, and a child mid-flow keeps the version they started.
"""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import func, select

from flows.library import FlowLibrary
from flows.loader import InvalidFlows, load_default_flowset, load_flowset
from store.backends import Backend
from store.models import FlowVersion

log = logging.getLogger(__name__)
TOPIC = "flows"


class FlowRegistry:
    def __init__(self, *, sessions, backend: Backend, defaults_dir: Path | None = None) -> None:
        self._sessions = sessions
        self._backend = backend
        self._defaults_dir = defaults_dir
        self.library = FlowLibrary(self._defaults())

    def provider(self):
        """What the FlowRunner calls for the flows to use now."""
        return self.library()

    def _defaults(self):
        if self._defaults_dir is not None:
            return load_flowset(self._defaults_dir)
        return load_default_flowset()

    async def load(self) -> None:
        """Install the latest published version of every flow (start-up)."""
        async with self._sessions() as session:
            latest = (
                select(FlowVersion.flow_id, func.max(FlowVersion.version).label("version"))
                .group_by(FlowVersion.flow_id)
                .subquery()
            )
            rows = (
                await session.execute(
                    select(FlowVersion).join(
                        latest,
                        (FlowVersion.flow_id == latest.c.flow_id)
                        & (FlowVersion.version == latest.c.version),
                    )
                )
            ).scalars()
            for row in rows:
                self._install(row.flow_id, row.source_yaml, row.version)

    async def install_version(self, flow_id: str, version: int) -> None:
        async with self._sessions() as session:
            row = await session.scalar(
                select(FlowVersion).where(
                    FlowVersion.flow_id == flow_id, FlowVersion.version == version
                )
            )
        if row is not None:
            self._install(row.flow_id, row.source_yaml, row.version)

    def _install(self, flow_id: str, source: str, version: int) -> None:
        try:
            self.library.install(flow_id, source, version)
        except InvalidFlows as exc:
            # Validated when published; refusing here keeps the running version serving.
            log.error("published flow %s v%s refused: %s", flow_id, version, exc)

    async def announce(self, flow_id: str, version: int) -> None:
        await self._backend.publish(TOPIC, {"flow_id": flow_id, "version": version})

    async def watch(self) -> None:
        subscription = await self._backend.subscribe(TOPIC)
        try:
            async for _topic, payload in subscription:
                await self.install_version(payload["flow_id"], int(payload["version"]))
        finally:
            await subscription.close()
