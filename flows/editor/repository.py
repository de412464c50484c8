"""Where published flows are kept: every version, with author, time and note.

`FlowRepository` is the contract; `InMemoryFlowRepository` serves tests and one-process
development. The SQL implementation lives with the database code. A rollback is just a new
version whose text is an old one, so the history only ever grows.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from flows.build import FlowSource, default_sources
from flows.yamlio import YamlProblem, parse_yaml


@dataclass(frozen=True)
class FlowVersion:
    flow_id: str
    version: int  # 1, 2, 3... per flow
    source: str  # the YAML text
    author: str
    note: str
    created_at: datetime

    def as_source(self) -> FlowSource:
        return FlowSource(f"flow {self.flow_id} v{self.version}", self.source, self.version)


class FlowRepository(Protocol):
    async def list_flows(self) -> list[FlowVersion]:
        """The latest version of every flow, by flow id."""

    async def versions(self, flow_id: str) -> list[FlowVersion]:
        """Every version of one flow, newest first."""

    async def get(self, flow_id: str, version: int | None = None) -> FlowVersion | None:
        """One version (None: the latest), or None if there is no such flow/version."""

    async def publish(self, flow_id: str, source_yaml: str, author: str, note: str) -> int:
        """Store a new version (numbered after the latest) and return its number."""

    async def changes(self, limit: int = 100) -> list[FlowVersion]:
        """The change log: the latest publishes of all flows, newest first."""


class InMemoryFlowRepository:
    def __init__(self, clock: Callable[[], datetime] | None = None) -> None:
        self._versions: dict[str, list[FlowVersion]] = {}
        self._clock = clock or (lambda: datetime.now(UTC))
        self._lock = asyncio.Lock()

    async def list_flows(self) -> list[FlowVersion]:
        return [versions[-1] for _, versions in sorted(self._versions.items())]

    async def versions(self, flow_id: str) -> list[FlowVersion]:
        return list(reversed(self._versions.get(flow_id, [])))

    async def get(self, flow_id: str, version: int | None = None) -> FlowVersion | None:
        versions = self._versions.get(flow_id) or []
        if version is None:
            return versions[-1] if versions else None
        return next((v for v in versions if v.version == version), None)

    async def publish(self, flow_id: str, source_yaml: str, author: str, note: str) -> int:
        async with self._lock:
            versions = self._versions.setdefault(flow_id, [])
            number = versions[-1].version + 1 if versions else 1
            versions.append(FlowVersion(flow_id, number, source_yaml, author, note, self._clock()))
            return number

    async def changes(self, limit: int = 100) -> list[FlowVersion]:
        every = [v for versions in self._versions.values() for v in versions]
        every.sort(key=lambda v: (v.created_at, v.flow_id, v.version), reverse=True)
        return every[:limit]


async def seed_defaults(
    repository: FlowRepository,
    sources: Iterable[FlowSource] | None = None,
    author: str = "system",
) -> list[str]:
    """Publish the packaged default flows that the repository does not have yet (first run).
    Returns the ids published."""
    existing = {v.flow_id for v in await repository.list_flows()}
    published = []
    for source in sources if sources is not None else default_sources():
        flow_id = flow_id_of(source.text)
        if flow_id and flow_id not in existing:
            await repository.publish(flow_id, source.text, author, "default flow")
            published.append(flow_id)
    return published


async def published_sources(repository: FlowRepository) -> list[FlowSource]:
    """The latest version of every flow, ready for flows.loader.load_flowset."""
    return [v.as_source() for v in await repository.list_flows()]


def flow_id_of(text: str) -> str | None:
    try:
        data = parse_yaml(text).data
    except YamlProblem:
        return None
    value = data.get("id") if isinstance(data, dict) else None
    return value if isinstance(value, str) else None
