"""Staff publish a flow; every process serves it at once, and children see it next time."""

from __future__ import annotations

import asyncio

from bot.flow_registry import FlowRegistry, SqlFlowRepository
from store.backends import build_backend
from tests.support import ChatDriver, texts

NEW_PROMISE = "Burada təhlükəsizsən. Bu mətn redaktorda dəyişdirildi."


async def published_welcome(container) -> str:
    repository = container.flow_repository
    await container.flows.seed(repository)
    current = await repository.get("welcome")
    marker = current.source.index("Bura təhlükəsiz yerdir.")
    end = current.source.index("\n", marker)
    return current.source[:marker] + NEW_PROMISE + current.source[end:]


async def test_repository_numbers_versions_and_keeps_history(container):
    repository = SqlFlowRepository(container.sessions, container.clock)
    await container.flows.seed(repository)
    first = await repository.get("welcome")
    assert first.version == 1 and first.author == "system"
    source = await published_welcome(container)
    assert await repository.publish("welcome", source, "leyla", "new promise") == 2
    assert [v.version for v in await repository.versions("welcome")] == [2, 1]
    assert (await repository.get("welcome")).source == source
    assert (await repository.get("welcome", 1)).source == first.source
    assert (await repository.changes(limit=1))[0].author == "leyla"


async def test_concurrent_publishes_get_distinct_versions(container):
    repository = container.flow_repository
    await container.flows.seed(repository)
    source = (await repository.get("goodbye")).source
    versions = await asyncio.gather(
        *(repository.publish("goodbye", source, f"editor{n}", "same") for n in range(4))
    )
    assert sorted(versions) == [2, 3, 4, 5]


async def test_a_publish_reaches_another_process_without_restart(container):
    """Two registries on one database and one backend, as two app processes would be."""
    settings = container.settings
    other_backend = build_backend(settings.redis_url, prefix=settings.redis_prefix)
    if settings.redis_url is None:
        other_backend = container.backend  # in-process: the one process shares its backend
    other = FlowRegistry(sessions=container.sessions, backend=other_backend)
    await other.load()
    watcher = asyncio.create_task(other.watch())
    await asyncio.sleep(0.1)  # let it subscribe
    try:
        source = await published_welcome(container)
        version = await container.flow_repository.publish("welcome", source, "leyla", "promise")
        await container.flows.published("welcome", version)
        for _ in range(100):
            if other.provider().flows["welcome"].version == version:
                break
            await asyncio.sleep(0.02)
        assert other.provider().flows["welcome"].version == version
    finally:
        watcher.cancel()
        if other_backend is not container.backend:
            await other_backend.close()


async def test_a_child_sees_the_published_text_next_time(container):
    before = await ChatDriver(container).start_in("az")
    assert NEW_PROMISE not in texts(before)
    source = await published_welcome(container)
    version = await container.flow_repository.publish("welcome", source, "leyla", "promise")
    await container.flows.published("welcome", version)
    after = await ChatDriver(container).start_in("az")
    assert NEW_PROMISE in texts(after)


async def test_a_broken_publish_leaves_the_running_version(container):
    await container.flows.seed(container.flow_repository)
    version = await container.flow_repository.publish("welcome", "id: welcome\nsteps: [", "x", "")
    await container.flows.published("welcome", version)
    replies = await ChatDriver(container).start_in("en")
    assert "safe place" in texts(replies)
