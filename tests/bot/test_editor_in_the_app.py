"""The flow editor as mounted in the app: real sign-in, CSRF, the SQL repository, the registry.
An editor changes the Azerbaijani promise, a broken version is refused with an error staff can
read, the good one is published, and the next child sees it (no restart)."""

from __future__ import annotations

import httpx

from bot.web.app import create_app
from escalation.accounts import create_user
from tests.support import ChatDriver, texts

NEW_PROMISE = "Burada təhlükəsizsən, redaktordan salam."


async def signed_in(container, username: str, role: str) -> httpx.AsyncClient:
    async with container.sessions() as session, session.begin():
        await create_user(session, username, "a-long-password", role)
    app = create_app(container, manage_lifecycle=False)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")
    response = await client.post(
        "/api/auth/login", json={"username": username, "password": "a-long-password"}
    )
    assert response.status_code == 200
    client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
    return client


async def test_an_editor_publishes_in_the_app_and_the_next_child_sees_it(container):
    await container.flows.seed(container.flow_repository)
    client = await signed_in(container, "leyla", "editor")
    try:
        assert (await client.get("/flows")).status_code == 200
        current = (await client.get("/api/flows/welcome")).json()
        source = current["source"].replace("Bura təhlükəsiz yerdir.", NEW_PROMISE)

        broken = source.replace("type: message", "type: mesage", 1)
        refused = await client.post("/api/flows/welcome/publish", json={"source": broken})
        assert refused.status_code == 422
        assert "mesage" in refused.text  # names what is wrong
        assert NEW_PROMISE not in texts(await ChatDriver(container).start_in("az"))

        published = await client.post(
            "/api/flows/welcome/publish",
            json={"source": source, "note": "warmer promise", "base_version": current["version"]},
        )
        assert published.status_code == 201, published.text
        assert NEW_PROMISE in texts(await ChatDriver(container).start_in("az"))
    finally:
        await client.aclose()


async def test_the_editor_is_closed_to_counsellors_and_to_requests_without_csrf(container):
    await container.flows.seed(container.flow_repository)
    counsellor = await signed_in(container, "aysel", "counsellor")
    editor = await signed_in(container, "nigar", "editor")
    try:
        assert (await counsellor.get("/api/flows")).status_code == 403
        source = (await editor.get("/api/flows/goodbye")).json()["source"]
        del editor.headers["X-CSRF-Token"]
        response = await editor.post("/api/flows/goodbye/publish", json={"source": source})
        assert response.status_code == 403
    finally:
        await counsellor.aclose()
        await editor.aclose()


async def test_a_staff_page_without_a_session_leads_to_sign_in(container):
    app = create_app(container, manage_lifecycle=False)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        page = await client.get("/flows", headers={"Accept": "text/html"})
        assert page.status_code == 303 and page.headers["location"] == "/console"
        api = await client.get("/api/flows", headers={"Accept": "text/html"})
        assert api.status_code == 401
