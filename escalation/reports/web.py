"""The reports page (/reports), its JSON/CSV API, and the supervisor's log-contact form.

Supervisors and admins only. Reports are counts, never text or identities, so the API can
return them as they are; a logged contact is a Case with source "logged", checked by the same
rules as an imported CSV row.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import BaseModel

from escalation import audit
from escalation.reports import render
from escalation.reports.importer import RowChecker, RowError
from escalation.reports.query import DEFAULT_TIMEZONE, Period, compute_report, zone
from escalation.reports.render_html import render_html
from escalation.reports.taxonomy import default_taxonomy
from escalation.reports.texts import LANGUAGES, texts
from store.models import Case

HERE = Path(__file__).parent
ROLES = ("supervisor", "admin")
RISK_LEVELS = ("none", "low", "medium", "high", "imminent")
# Phone and e-mail first: the form exists for contacts that never touched the bot.
FORM_CHANNELS_FIRST = ("phone", "email")
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'self'; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
_templates = Environment(
    loader=FileSystemLoader(str(HERE / "templates")), autoescape=select_autoescape(["html"])
)


class ContactIn(BaseModel):
    opened_at: str
    channel: str
    category: str
    subcategory: str | None = None
    gender: str
    age_band: str
    age: int | str | None = None
    outcome: str | None = None
    risk_level: str | None = None


def _local_today(container) -> date:
    return container.clock().astimezone(zone(DEFAULT_TIMEZONE)).date()


def _period(container, start: date | None, end: date | None) -> Period:
    """Default: this year up to today, in the helpline's time zone."""
    today = _local_today(container)
    try:
        return Period(start or date(today.year, 1, 1), end or today)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None


def _check_choice(value: str, allowed: tuple[str, ...], name: str) -> str:
    if value not in allowed:
        raise HTTPException(422, f"{name} must be one of {', '.join(allowed)}")
    return value


def build_reports_router(container) -> APIRouter:
    router = APIRouter()
    staff = container.auth.require_roles(*ROLES)

    async def report_for(period: Period, taxonomy: str, min_cell: int | None):
        async with container.sessions() as session:
            return await compute_report(
                session, period, taxonomy_kind=taxonomy, min_cell=min_cell or None
            )

    @router.get("/reports", response_class=HTMLResponse, include_in_schema=False)
    async def reports_page(
        start: date | None = Query(None, alias="from"),
        end: date | None = Query(None, alias="to"),
        taxonomy: str = "default",
        lang: str = "az",
        min_cell: int = Query(0, ge=0, le=100),
        _user=Depends(staff),
    ):
        _check_choice(taxonomy, ("default", "chi"), "taxonomy")
        _check_choice(lang, LANGUAGES, "lang")
        period = _period(container, start, end)
        report = await report_for(period, taxonomy, min_cell)
        query = f"from={period.start}&to={period.end}&taxonomy={taxonomy}&min_cell={min_cell}"
        controls = {
            "from": period.start.isoformat(),
            "to": period.end.isoformat(),
            "min_cell": min_cell,
            "csv_url": f"/api/reports?{query}&format=csv",
        }
        html = render_html(report, lang, controls=controls)
        return HTMLResponse(html, headers=SECURITY_HEADERS)

    @router.get("/api/reports", tags=["reports"])
    async def reports_api(
        start: date | None = Query(None, alias="from"),
        end: date | None = Query(None, alias="to"),
        taxonomy: str = "default",
        format: str = "json",
        min_cell: int = Query(0, ge=0, le=100),
        _user=Depends(staff),
    ):
        """Counts for [from, to] (local days): the `helpline report --format json` document."""
        _check_choice(taxonomy, ("default", "chi"), "taxonomy")
        _check_choice(format, ("json", "csv"), "format")
        period = _period(container, start, end)
        report = await report_for(period, taxonomy, min_cell)
        if format == "json":
            return JSONResponse(report.to_dict(), headers={"Cache-Control": "no-store"})
        filename = f"helpline-report-{period.start}-{period.end}-{taxonomy}.csv"
        return Response(
            render(report, "csv"),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="{filename}"',
                "Cache-Control": "no-store",
            },
        )

    @router.get("/reports/log-contact", response_class=HTMLResponse, include_in_schema=False)
    async def log_contact_page(request: Request, lang: str = "az", _user=Depends(staff)):
        _check_choice(lang, LANGUAGES, "lang")
        return HTMLResponse(
            await _log_contact_html(container, request, lang), headers=SECURITY_HEADERS
        )

    @router.get("/reports/static/log_contact.js", include_in_schema=False)
    async def log_contact_script():
        return FileResponse(
            HERE / "static" / "log_contact.js",
            media_type="text/javascript",
            headers={"Cache-Control": "no-cache"},
        )

    @router.post(
        "/api/contacts",
        status_code=201,
        tags=["reports"],
        dependencies=[Depends(container.auth.require_csrf)],
    )
    async def log_contact(contact: ContactIn, user=Depends(staff)):
        """Log a contact that never touched the bot (a phone call, an e-mail) as a case."""
        return {"id": await _save_contact(container, contact, user)}

    return router


async def _save_contact(container, contact: ContactIn, user) -> int:
    taxonomy = default_taxonomy()
    row = contact.model_dump()
    row["age"] = "" if row["age"] is None else str(row["age"])
    try:
        checked = RowChecker(taxonomy).check(row, 0)
    except RowError as error:
        raise HTTPException(422, {"column": error.column, "message": error.message}) from None
    if contact.risk_level and contact.risk_level not in RISK_LEVELS:
        raise HTTPException(422, {"column": "risk_level", "message": "unknown risk level"})
    channel, opened_at, category, sub, gender, age, age_band, outcome, counselling = checked
    now = container.clock()
    async with container.sessions() as session, session.begin():
        case = Case(
            channel=channel,
            opened_at=opened_at,
            closed_at=now,
            category=category,
            subcategory=sub,
            gender=gender,
            age=age,
            age_band=age_band,
            outcome=outcome,
            counselling=counselling,
            risk_level=contact.risk_level or None,
            closed_by=user.id,
            source="logged",
        )
        session.add(case)
        await session.flush()
        await audit.record(
            session, user_id=user.id, action="contact_logged", detail={"case_id": case.id}, at=now
        )
        return case.id


async def _csrf_token(container, request: Request) -> str:
    """The session's CSRF token, for the form's script to echo in X-CSRF-Token."""
    from escalation.auth import COOKIE_NAME

    found = await container.auth.session_for(request.cookies.get(COOKIE_NAME, ""))
    return found.csrf_token if found is not None else ""


async def _log_contact_html(container, request: Request, lang: str) -> str:
    taxonomy = default_taxonomy()
    t = texts(lang)
    subcategories = {
        category: [[sub, t.subcategory(category, sub)] for sub in subs]
        for category, subs in taxonomy.categories.items()
    }
    channels = FORM_CHANNELS_FIRST + tuple(
        c for c in taxonomy.channels if c not in FORM_CHANNELS_FIRST
    )
    now: datetime = container.clock().astimezone(zone(DEFAULT_TIMEZONE))
    return _templates.get_template("log_contact.html").render(
        t=t,
        lang=lang,
        csrf_token=await _csrf_token(container, request),
        subcategories_json=json.dumps(subcategories, ensure_ascii=False),
        now=now.strftime("%Y-%m-%dT%H:%M"),
        channels=[c for c in channels if c in taxonomy.channels],
        categories=list(taxonomy.categories),
        genders=taxonomy.genders,
        age_bands=taxonomy.age_bands,
        outcomes=taxonomy.outcomes,
        risk_levels=RISK_LEVELS,
    )
