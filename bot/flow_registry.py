"""The flows in service in this process: the shipped defaults, overlaid by every flow's latest
published version from the database, kept current across processes through the backend.

A publish in any process is announced on the `flows` topic; every process then installs that
version from the database. No restart, and a child mid-flow keeps the version they started.
"""

from __future__ import annotations

import difflib
import logging
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from flows.build import sources_from_path
from flows.editor.repository import FlowVersion as EditorFlowVersion
from flows.editor.repository import seed_defaults
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

    async def seed(self, repository) -> None:
        """First run: the shipped defaults become version 1 of each flow, so staff can edit them."""
        sources = sources_from_path(self._defaults_dir) if self._defaults_dir else None
        await seed_defaults(repository, sources)

    async def published(self, flow_id: str, version: int) -> None:
        """The editor's on_published: serve it here at once, then tell the other processes."""
        await self.install_version(flow_id, version)
        await self.announce(flow_id, version)

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


class SqlFlowRepository:
    """The flow editor's repository (flows.editor.repository.FlowRepository) on the database."""

    def __init__(self, sessions, clock) -> None:
        self._sessions = sessions
        self._clock = clock

    @staticmethod
    def _view(row: FlowVersion) -> EditorFlowVersion:
        return EditorFlowVersion(
            flow_id=row.flow_id,
            version=row.version,
            source=row.source_yaml,
            author=row.author,
            note=row.note or "",
            created_at=row.created_at,
        )

    async def list_flows(self) -> list[EditorFlowVersion]:
        latest = (
            select(FlowVersion.flow_id, func.max(FlowVersion.version).label("version"))
            .group_by(FlowVersion.flow_id)
            .subquery()
        )
        async with self._sessions() as session:
            rows = await session.execute(
                select(FlowVersion)
                .join(
                    latest,
                    (FlowVersion.flow_id == latest.c.flow_id)
                    & (FlowVersion.version == latest.c.version),
                )
                .order_by(FlowVersion.flow_id)
            )
            return [self._view(row) for row in rows.scalars()]

    async def versions(self, flow_id: str) -> list[EditorFlowVersion]:
        async with self._sessions() as session:
            rows = await session.execute(
                select(FlowVersion)
                .where(FlowVersion.flow_id == flow_id)
                .order_by(FlowVersion.version.desc())
            )
            return [self._view(row) for row in rows.scalars()]

    async def get(self, flow_id: str, version: int | None = None) -> EditorFlowVersion | None:
        query = select(FlowVersion).where(FlowVersion.flow_id == flow_id)
        if version is None:
            query = query.order_by(FlowVersion.version.desc()).limit(1)
        else:
            query = query.where(FlowVersion.version == version)
        async with self._sessions() as session:
            row = (await session.execute(query)).scalars().first()
        return self._view(row) if row else None

    async def publish(self, flow_id: str, source_yaml: str, author: str, note: str) -> int:
        # The unique (flow_id, version) settles two editors publishing at once: one retries.
        for _attempt in range(5):
            previous = await self.get(flow_id)
            number = previous.version + 1 if previous else 1
            diff = "".join(
                difflib.unified_diff(
                    (previous.source if previous else "").splitlines(keepends=True),
                    source_yaml.splitlines(keepends=True),
                    f"{flow_id} v{number - 1}",
                    f"{flow_id} v{number}",
                )
            )
            row = FlowVersion(
                flow_id=flow_id,
                version=number,
                source_yaml=source_yaml,
                author=author,
                note=note[:500],
                diff=diff,
                created_at=self._clock(),
            )
            try:
                async with self._sessions() as session, session.begin():
                    session.add(row)
                return number
            except IntegrityError:
                continue
        raise RuntimeError("could not publish: too many concurrent publishes of one flow")

    async def changes(self, limit: int = 100) -> list[EditorFlowVersion]:
        async with self._sessions() as session:
            rows = await session.execute(
                select(FlowVersion)
                .order_by(FlowVersion.created_at.desc(), FlowVersion.id.desc())
                .limit(limit)
            )
            return [self._view(row) for row in rows.scalars()]
