"""The flow editor router, through FastAPI's TestClient with the in-memory repository, a
fake NLU and stand-in auth and CSRF dependencies."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI, Header, HTTPException, Request
from fastapi.testclient import TestClient
from flow_chat import analysis

from flows.build import default_sources
from flows.editor import InMemoryFlowRepository, build_editor_router, seed_defaults
from flows.editor.repository import published_sources
from flows.library import FlowLibrary
from flows.loader import load_flowset
from flows.runner import FlowRunner
from flows.types import FlowEvent, FlowState

CSRF = "token-123"


@dataclass
class User:
    username: str
    role: str


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


@pytest.fixture
def setup():
    repository = InMemoryFlowRepository(clock=Clock())
    asyncio.run(seed_defaults(repository))
    library = FlowLibrary(load_flowset(asyncio.run(published_sources(repository))))
    published: list[tuple[str, int]] = []
    analysed: list[tuple[str, dict]] = []

    async def analyze(text, context):
        analysed.append((text, context))
        if "pills" in text:
            return analysis(risk="imminent", language=context["language"])
        if "school" in text or "məktəb" in text:
            return analysis("education", language=context["language"])
        return analysis(language=context["language"])

    async def on_published(flow_id: str, version: int) -> None:
        # What every process does on the broadcast: install the new version.
        found = await repository.get(flow_id, version)
        library.install(flow_id, found.source, version)
        published.append((flow_id, version))

    def require_editor(request: Request) -> User:
        role = request.headers.get("X-Test-Role")
        if role is None:
            raise HTTPException(401, "log in")
        return User(request.headers.get("X-Test-User", "aygun"), role)

    def require_csrf(x_csrf_token: str | None = Header(default=None)) -> None:
        if x_csrf_token != CSRF:
            raise HTTPException(403, "CSRF token missing or wrong")

    app = FastAPI()
    app.include_router(
        build_editor_router(
            repository=repository,
            require_editor=require_editor,
            analyze=analyze,
            on_published=on_published,
            require_csrf=require_csrf,
            csrf_token=lambda request: CSRF,
        )
    )
    client = TestClient(app, headers={"X-Test-Role": "editor", "X-CSRF-Token": CSRF})
    return client, repository, library, published, analysed


def welcome_source() -> str:
    return next(s.text for s in default_sources() if s.name.endswith("welcome.yml"))


def test_the_list_page_shows_flows_and_the_change_log(setup):
    client, *_ = setup
    page = client.get("/flows")
    assert page.status_code == 200
    assert 'data-flow="welcome"' in page.text and "Change log" in page.text
    assert 'content="token-123"' in page.text


def test_pages_and_api_need_an_editor(setup):
    client, *_ = setup
    for url in ("/flows", "/flows/welcome", "/api/flows", "/api/flows/welcome"):
        assert client.get(url, headers={"X-Test-Role": ""}).status_code in (401, 403)
        assert client.get(url, headers={"X-Test-Role": "counsellor"}).status_code == 403
    anonymous = TestClient(client.app)
    assert anonymous.get("/flows").status_code == 401


def test_state_changing_requests_need_the_csrf_token(setup):
    client, *_ = setup
    for path in ("validate", "publish", "simulate", "render", "rollback"):
        response = client.post(
            f"/api/flows/welcome/{path}", json={}, headers={"X-CSRF-Token": "wrong"}
        )
        assert response.status_code == 403, path


def test_edit_page_carries_the_source(setup):
    client, *_ = setup
    page = client.get("/flows/welcome")
    assert page.status_code == 200 and "id: welcome" in page.text and 'id="sim"' in page.text
    assert client.get("/flows/brand_new").status_code == 200  # a new flow starts from a template
    assert client.get("/flows/Bad-Id").status_code == 422


def test_static_files_are_served_and_nothing_else(setup):
    client, *_ = setup
    assert "editPage" in client.get("/flows/static/editor.js").text
    assert client.get("/flows/static/editor.css").status_code == 200
    assert client.get("/flows/static/..%2Frouter.py").status_code == 404


def test_validation_as_you_type(setup):
    client, *_ = setup
    good = client.post("/api/flows/welcome/validate", json={"source": welcome_source()}).json()
    assert good["ok"] and good["errors"] == [] and good["doc"]["id"] == "welcome"
    broken = welcome_source().replace("Hi! 👋", "x" * 5000)
    result = client.post("/api/flows/welcome/validate", json={"source": broken}).json()
    assert not result["ok"] and result["errors"][0]["rule"] == "text_too_long"
    assert result["errors"][0]["step"] == "language" and "How to fix" in result["errors"][0]["text"]


def test_validation_of_broken_yaml_gives_no_form(setup):
    client, *_ = setup
    result = client.post("/api/flows/welcome/validate", json={"source": "id: [\n"}).json()
    assert result["doc"] is None and result["errors"][0]["rule"] == "broken_yaml"


def test_a_draft_with_another_id_is_refused(setup):
    client, *_ = setup
    source = welcome_source().replace("id: welcome", "id: hello", 1)
    errors = client.post("/api/flows/welcome/validate", json={"source": source}).json()["errors"]
    assert errors[0]["rule"] == "wrong_id"


def test_render_turns_the_form_back_into_yaml(setup):
    client, *_ = setup
    doc = client.post("/api/flows/goodbye/validate", json={"source": "id: goodbye\n"}).json()
    assert doc["doc"] == {"id": "goodbye"}
    doc = {"id": "x", "steps": [{"id": "no", "type": "end", "text": {"az": "Sağ ol"}}]}
    source = client.post("/api/flows/x/render", json={"doc": doc}).json()["source"]
    assert "Sağ ol" in source and "'no'" in source  # kept a word, not a boolean


def test_the_simulator_chats_with_the_draft_with_nlu(setup):
    client, _, _, _, analysed = setup
    draft = welcome_source().replace("This is a safe place.", "DRAFT: you are safe here.")
    body = {"source": draft, "language": "en", "event": {"kind": "start"}}
    first = client.post("/api/flows/welcome/simulate", json=body).json()
    assert first["errors"] == [] and first["replies"][0]["buttons"][2]["label"] == "English"
    english = first["replies"][0]["buttons"][2]["data"]
    body.update(state=first["state"], event={"kind": "button", "button": english})
    second = client.post("/api/flows/welcome/simulate", json=body).json()
    assert second["replies"][0]["text"].startswith("DRAFT: you are safe here.")
    body.update(state=second["state"], event={"kind": "text", "text": "I have the pills"})
    third = client.post("/api/flows/welcome/simulate", json=body).json()
    assert third["analysis"]["risk"]["level"] == "imminent"
    assert third["actions"][0]["kind"] == "handoff" and "112" in third["replies"][0]["text"]
    assert analysed == [("I have the pills", {"language": "en", "simulator": True})]


def test_the_simulator_speaks_each_language(setup):
    client, *_ = setup
    for language, word in (("az", "Səni nə"), ("ru", "Что тебя"), ("en", "What is worrying")):
        body = {"source": welcome_source(), "language": language, "event": {"kind": "start"}}
        state = client.post("/api/flows/welcome/simulate", json=body).json()["state"]
        state["flow"], state["step"] = None, None
        body = {
            "source": welcome_source(),
            "language": language,
            "state": state,
            "event": {"kind": "text", "text": "/help"},
        }
        replies = client.post("/api/flows/welcome/simulate", json=body).json()["replies"]
        assert replies  # commands work in the simulator
        body["event"] = {"kind": "button", "button": "f:help:menu:tell"}
        replies = client.post("/api/flows/welcome/simulate", json=body).json()["replies"]
        assert replies[0]["text"].startswith(word), language


def test_the_simulator_refuses_a_broken_draft(setup):
    client, *_ = setup
    body = {"source": "id: welcome\nsteps: []\n", "language": "en", "event": {"kind": "start"}}
    result = client.post("/api/flows/welcome/simulate", json=body).json()
    assert result["replies"] == [] and result["errors"]


def test_publish_stores_a_version_with_author_note_and_diff_and_goes_live(setup):
    client, repository, library, published, _ = setup
    runner = FlowRunner(library)
    new = welcome_source().replace("How old are you?", "How old are you, friend?")
    response = client.post(
        "/api/flows/welcome/publish",
        json={"source": new, "note": "friendlier age question", "base_version": 1},
        headers={"X-Test-User": "leyla"},
    )
    assert response.status_code == 201, response.text
    result = response.json()
    assert result["version"] == 2 and result["broadcast"] is True
    assert "-    en: How old are you?" in result["diff"].replace("  ", " ").replace(" -", "-") or (
        "+      en: How old are you, friend?" in result["diff"]
    )
    assert published == [("welcome", 2)]
    stored = asyncio.run(repository.get("welcome"))
    assert (stored.version, stored.author, stored.note) == (2, "leyla", "friendlier age question")
    # A child who starts now sees the new text: no restart.
    state = FlowState()
    result = runner.step(state, FlowEvent(kind="command", command="start"))
    result = runner.step(result.state, FlowEvent(kind="button", button="f:welcome:language:en"))
    assert any("How old are you, friend?" in r.text for r in result.replies)
    changes = client.get("/api/flows/changes").json()["changes"]
    assert changes[0]["flow_id"] == "welcome" and changes[0]["author"] == "leyla"


def test_an_invalid_publish_is_refused_and_nothing_changes(setup):
    client, repository, library, published, _ = setup
    before = library.current
    cases = [
        "id: welcome\nsteps:\n  - id: a\n    type: link\n    flow: welcome\n",  # loops forever
        "id: welcome\nsteps:\n  - id: a\n    type: teleport\n",  # unknown step type
        "id: welcome\nsteps: [\n",  # broken YAML
        welcome_source().replace("en: Girl", "en: " + "G" * 200),  # a 200-character button
        welcome_source().replace("Hi! 👋", "x" * 1_000_000, 1),  # a 1 MB text
    ]
    for source in cases:
        response = client.post("/api/flows/welcome/publish", json={"source": source})
        assert response.status_code == 422, (source[:60], response.text[:300])
        assert "errors" in response.json(), response.text[:400]
        assert response.json()["errors"][0]["fix"]
    assert published == [] and library.current is before
    assert asyncio.run(repository.get("welcome")).version == 1


def test_publish_conflicts(setup):
    client, *_ = setup
    same = client.post("/api/flows/welcome/publish", json={"source": welcome_source()})
    assert same.status_code == 409 and "Nothing has changed" in same.json()["detail"]
    new = welcome_source().replace("Skip", "Not now")
    stale = client.post("/api/flows/welcome/publish", json={"source": new, "base_version": 0})
    assert stale.status_code == 409 and "while you were editing" in stale.json()["detail"]


def test_removing_a_flow_others_link_to_is_refused(setup):
    client, *_ = setup
    source = next(s.text for s in default_sources() if s.name.endswith("anything_else.yml"))
    broken = source.replace("flow: goodbye", "flow: good_bye")
    response = client.post("/api/flows/anything_else/publish", json={"source": broken})
    assert response.status_code == 422
    assert response.json()["errors"][0]["rule"] == "unknown_flow"


def test_a_new_flow_can_be_published(setup):
    client, *_ = setup
    source = (
        "id: holiday\ntitle: Holiday hours\nsteps:\n  - id: say\n    type: message\n"
        "    text: {az: Bayram, ru: Праздник, en: Holiday}\n  - id: to_triage\n"
        "    type: link\n    flow: triage\n"
    )
    response = client.post("/api/flows/holiday/publish", json={"source": source, "note": "new"})
    assert response.status_code == 201 and response.json()["version"] == 1
    assert "(new)" in response.json()["diff"]
    assert any(f["flow_id"] == "holiday" for f in client.get("/api/flows").json()["flows"])


def test_history_and_roll_back(setup):
    client, repository, library, published, _ = setup
    v2 = welcome_source().replace("Skip", "Not now")
    assert client.post("/api/flows/welcome/publish", json={"source": v2}).status_code == 201
    versions = client.get("/api/flows/welcome/versions").json()["versions"]
    assert [v["version"] for v in versions] == [2, 1]
    detail = client.get("/api/flows/welcome/versions/2").json()
    assert "+        label: {az: Keç, ru: Пропустить, en: Not now}" in detail["diff"]
    page = client.get("/flows/welcome/history")
    assert page.status_code == 200 and "Roll back to v1" in page.text
    assert 'class="add"' in page.text
    back = client.post("/api/flows/welcome/rollback", json={"version": 1})
    assert back.status_code == 201 and back.json()["version"] == 3
    latest = asyncio.run(repository.get("welcome"))
    assert latest.source == welcome_source() and latest.note == "Roll back to version 1"
    assert published[-1] == ("welcome", 3) and library.current.get("welcome").version == 3
    assert client.post("/api/flows/welcome/rollback", json={"version": 9}).status_code == 404


def test_api_get_and_diagram(setup):
    client, *_ = setup
    got = client.get("/api/flows/triage").json()
    assert got["version"] == 1 and got["author"] == "system" and "id: triage" in got["source"]
    assert client.get("/api/flows/nope").status_code == 404
    assert client.get("/api/flows/triage/diagram").json()["mermaid"].startswith("flowchart TD")


def test_the_broadcast_failing_does_not_lose_the_version(setup):
    client, repository, *_ = setup

    async def broken(flow_id, version):
        raise RuntimeError("redis down")

    app2 = FastAPI()
    app2.include_router(
        build_editor_router(
            repository=repository,
            require_editor=lambda: User("x", "admin"),
            analyze=lambda t, c: None,
            on_published=broken,
            require_csrf=lambda: None,
        )
    )
    response = TestClient(app2).post(
        "/api/flows/welcome/publish", json={"source": welcome_source().replace("Skip", "Later")}
    )
    assert response.status_code == 201 and response.json()["broadcast"] is False
    assert asyncio.run(repository.get("welcome")).version == 2
