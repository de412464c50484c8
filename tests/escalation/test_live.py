"""Live updates: the SSE stream of /api/events (on a real loopback server) and the supervisor
alert for an urgent chat left unclaimed (clock moved, no sleeping)."""

from __future__ import annotations

import asyncio
import contextlib
import json

import httpx
import pytest
import uvicorn

from escalation.alerts import SupervisorAlerts
from escalation.api import EVENT_FIELDS
from escalation.queue import EVENTS_TOPIC
from tests.escalation.conftest import HIGH_RISK, PASSWORD, add_user, child_writes


@contextlib.asynccontextmanager
async def serve(app):
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn offers a flag, not an event
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


class EventReader:
    """Reads (event, data) pairs off one SSE response, comments skipped."""

    def __init__(self, response) -> None:
        self._lines = response.aiter_lines()

    async def next(self, wanted: int) -> list[tuple[str, dict]]:
        found, name = [], None
        async for line in self._lines:
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                found.append((name, json.loads(line[6:])))
                if len(found) == wanted:
                    break
        return found


@pytest.fixture
async def signed_in(app, container):
    await add_user(container.sessions, "aysel")
    async with serve(app) as base_url, httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        response = await client.post(
            "/api/auth/login", json={"username": "aysel", "password": PASSWORD}
        )
        assert response.status_code == 200
        yield client


async def test_a_high_risk_message_appears_in_the_stream_without_text(signed_in, container):
    async with signed_in.stream("GET", "/api/events") as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        reader = EventReader(response)
        assert (await reader.next(1))[0][0] == "hello"
        conversation_id = await child_writes(container, "child-1", HIGH_RISK["ru"])
        received = await asyncio.wait_for(reader.next(2), 10)
    queue_event = next(data for name, data in received if name == "queue")
    assert queue_event["conversation_id"] == conversation_id
    assert queue_event["status"] == "waiting"
    assert queue_event["risk_level"] in ("high", "imminent")
    for _, data in received:
        assert set(data) <= set(EVENT_FIELDS)
        assert HIGH_RISK["ru"] not in json.dumps(data, ensure_ascii=False)


async def test_the_stream_needs_a_chat_role(app, container):
    await add_user(container.sessions, "eldar", "editor")
    async with serve(app) as base_url, httpx.AsyncClient(base_url=base_url) as client:
        assert (await client.get("/api/events")).status_code == 401
        await client.post("/api/auth/login", json={"username": "eldar", "password": PASSWORD})
        assert (await client.get("/api/events")).status_code == 403


async def test_supervisor_alert_after_the_threshold_once_per_period(container, clock):
    alerts = SupervisorAlerts(
        sessions=container.sessions, backend=container.backend, clock=clock, threshold_seconds=60
    )
    subscription = await container.backend.subscribe(EVENTS_TOPIC)
    try:
        urgent = await child_writes(container, "child-1", HIGH_RISK["az"])
        await child_writes(container, "child-2", "salam, insanla danismaq isteyirem")
        clock.advance(59)
        assert await alerts.check_once() == []
        clock.advance(2)
        assert await alerts.check_once() == [urgent]
        assert await alerts.check_once() == []  # once per period, however often it checks
        clock.advance(60)
        assert await alerts.check_once() == [urgent]  # still waiting: ring again
        published = []
        while (item := await subscription.get(timeout=0.1)) is not None:
            published.append(item[1])
        alert_events = [event for event in published if event["event"] == "alert"]
        assert [event["waiting_seconds"] for event in alert_events] == [61, 121]
        assert alert_events[0]["risk_level"] in ("high", "imminent")
    finally:
        await subscription.close()


async def test_no_alert_once_claimed(container, clock, staff):
    alerts = SupervisorAlerts(
        sessions=container.sessions, backend=container.backend, clock=clock, threshold_seconds=60
    )
    aysel = await staff("aysel")
    urgent = await child_writes(container, "child-1", HIGH_RISK["en"])
    await aysel.post(f"/api/conversations/{urgent}/claim")
    clock.advance(600)
    assert await alerts.check_once() == []


async def test_alerts_start_and_stop(container, clock):
    alerts = SupervisorAlerts(
        sessions=container.sessions, backend=container.backend, clock=clock, interval_seconds=0.01
    )
    task = alerts.start()
    assert alerts.start() is task
    await asyncio.sleep(0.05)
    await alerts.stop()
    assert task.done()


async def test_the_stream_ends_with_its_session(signed_in, clock, monkeypatch):
    import escalation.api

    monkeypatch.setattr(escalation.api, "HEARTBEAT_SECONDS", 0.05)
    monkeypatch.setattr(escalation.api, "SESSION_RECHECK_SECONDS", 0.0)
    async with signed_in.stream("GET", "/api/events") as response:
        reader = EventReader(response)
        assert (await reader.next(1))[0][0] == "hello"
        clock.advance(31 * 60)  # an open stream is not activity: the idle timeout still applies
        names = [name for name, _ in await asyncio.wait_for(reader.next(1), 10)]
    assert names == ["signed_out"]


def test_web_routers_lists_the_api():
    import escalation
    from escalation.api import build_api_router

    assert build_api_router in escalation.web_routers()
