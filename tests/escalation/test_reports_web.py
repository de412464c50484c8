"""The /reports page, /api/reports and the supervisor's log-contact form, behind the real staff
auth (sessions on SQLite)."""

from __future__ import annotations

from types import SimpleNamespace

import httpx
import pytest
from fastapi import FastAPI

from escalation.auth import COOKIE_NAME
from escalation.reports import import_contacts
from escalation.reports.web import build_reports_router
from tests.escalation.conftest import PASSWORD, add_user
from tests.escalation.reports import published_2025 as published

CONTACT = {
    "opened_at": "2025-04-02T10:15",
    "channel": "phone",
    "category": "exploitation",
    "subcategory": "early_marriage",
    "gender": "female",
    "age_band": "15-18",
    "age": "16",
    "outcome": "referred",
    "risk_level": "high",
}


@pytest.fixture
async def client(auth, sessions, clock):
    container = SimpleNamespace(auth=auth, sessions=sessions, clock=clock)
    app = FastAPI()
    app.include_router(build_reports_router(container))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


async def sign_in(auth, sessions, client, role: str) -> str:
    await add_user(sessions, role, role)
    cookie, csrf = await auth.login(role, PASSWORD)
    client.cookies.set(COOKIE_NAME, cookie)
    return csrf


async def test_reports_need_a_supervisor_or_admin(auth, sessions, client):
    assert (await client.get("/reports")).status_code == 401
    assert (await client.get("/api/reports")).status_code == 401
    await sign_in(auth, sessions, client, "counsellor")
    assert (await client.get("/reports")).status_code == 403
    assert (await client.get("/api/reports")).status_code == 403
    assert (await client.get("/reports/log-contact")).status_code == 403


async def test_a_supervisor_sees_the_year_as_page_json_and_csv(auth, sessions, client):
    async with sessions() as session, session.begin():
        await import_contacts(session, published.CSV_PATH.read_bytes(), filename="2025.csv")
    await sign_in(auth, sessions, client, "supervisor")
    period = {"from": "2025-01-01", "to": "2025-12-31"}

    page = await client.get("/reports", params={**period, "lang": "en"})
    assert page.status_code == 200
    assert "5,520" in page.text and page.text.count("<svg") == 5
    assert "format=csv" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]

    document = (await client.get("/api/reports", params=period)).json()
    assert document["total"] == 5520
    assert document["by_gender"] == published.PUBLISHED_GENDERS

    download = await client.get("/api/reports", params={**period, "format": "csv"})
    assert download.headers["content-type"].startswith("text/csv")
    assert "attachment" in download.headers["content-disposition"]
    assert "category,violence,cyberbullying,120" in download.text

    chi = (await client.get("/api/reports", params={**period, "taxonomy": "chi"})).json()
    assert chi["by_category"]["missing_children"]["total"] == 54
    hidden = (await client.get("/api/reports", params={**period, "min_cell": 10})).json()
    assert hidden["by_category"]["exploitation"]["subcategories"]["labour"] == "<10"


async def test_bad_report_parameters_are_refused(auth, sessions, client):
    await sign_in(auth, sessions, client, "admin")
    assert (await client.get("/api/reports", params={"taxonomy": "dsm"})).status_code == 422
    assert (await client.get("/api/reports", params={"format": "xlsx"})).status_code == 422
    backwards = {"from": "2025-12-31", "to": "2025-01-01"}
    assert (await client.get("/api/reports", params=backwards)).status_code == 422


async def test_a_logged_phone_contact_is_a_case_in_the_report(auth, sessions, client):
    csrf = await sign_in(auth, sessions, client, "supervisor")
    form = await client.get("/reports/log-contact")
    assert form.status_code == 200
    assert csrf in form.text  # the script echoes it in X-CSRF-Token
    assert (await client.get("/reports/static/log_contact.js")).status_code == 200

    assert (await client.post("/api/contacts", json=CONTACT)).status_code == 403  # no CSRF
    saved = await client.post("/api/contacts", json=CONTACT, headers={"X-CSRF-Token": csrf})
    assert saved.status_code == 201, saved.text

    document = (
        await client.get("/api/reports", params={"from": "2025-04-01", "to": "2025-04-30"})
    ).json()
    assert document["total"] == 1
    assert document["by_channel"]["phone"] == 1
    assert document["by_category"]["exploitation"]["subcategories"]["early_marriage"] == 1

    from sqlalchemy import select

    from store.models import AuditEntry, Case

    async with sessions() as session:
        case = await session.scalar(select(Case))
        entry = await session.scalar(
            select(AuditEntry).where(AuditEntry.action == "contact_logged")
        )
    assert (case.source, case.risk_level, case.age) == ("logged", "high", 16)
    assert entry.detail == {"case_id": case.id}


@pytest.mark.parametrize(
    ("change", "column"),
    [
        ({"category": "weather"}, "category"),
        ({"subcategory": "shelter"}, "subcategory"),
        ({"age": "9"}, "age"),
        ({"opened_at": "yesterday"}, "opened_at"),
        ({"risk_level": "apocalyptic"}, "risk_level"),
    ],
)
async def test_a_bad_logged_contact_names_the_field(auth, sessions, client, change, column):
    csrf = await sign_in(auth, sessions, client, "supervisor")
    response = await client.post(
        "/api/contacts", json={**CONTACT, **change}, headers={"X-CSRF-Token": csrf}
    )
    assert response.status_code == 422
    assert response.json()["detail"]["column"] == column
