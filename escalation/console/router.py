"""The console's pages: one server-rendered shell at /console and its static files.

The shell holds no data of any child; the browser reads everything from the JSON API with the
staff session cookie, so the access rules live in one place (escalation.api). The page is sent
with a strict Content-Security-Policy and `no-store`, because it shows confidential chats.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.templating import Jinja2Templates

HERE = Path(__file__).parent
STATIC = HERE / "static"
TAXONOMY = HERE.parent / "taxonomy.yml"
CASE_FORM = HERE / "case_form.yml"
STATIC_NAME = re.compile(r"^[a-z][a-z0-9_-]*\.(js|css|svg)$")
MEDIA_TYPES = {"js": "text/javascript", "css": "text/css", "svg": "image/svg+xml"}
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def load_taxonomy(path: Path = TAXONOMY) -> dict | None:
    """{category: {"label": str, "label_az": str, "subcategories": [ids]}} or None when absent.

    None lets the page ask the API instead (GET /api/taxonomy), so the two never disagree.
    """
    if not path.exists():
        return None
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    categories = data.get("categories", data)
    taxonomy = {}
    for category, entry in categories.items():
        entry = entry or {}
        label = entry.get("label") or {}
        if isinstance(label, str):
            label = {"en": label}
        taxonomy[category] = {
            "label": label.get("en") or category,
            "label_az": label.get("az") or "",
            "subcategories": [
                sub if isinstance(sub, str) else next(iter(sub))
                for sub in entry.get("subcategories") or []
            ],
        }
    return taxonomy


def session_cookie_name() -> str | None:
    """The staff session cookie's name, when the auth module says it (for the first view only)."""
    try:
        from escalation import auth
    except ImportError:
        return None
    for name in ("SESSION_COOKIE", "COOKIE_NAME", "COOKIE"):
        value = getattr(auth, name, None)
        if isinstance(value, str):
            return value
    return None


def case_form(taxonomy_path: Path = TAXONOMY) -> dict:
    """The form's choices: identifiers from the taxonomy (what the API accepts), labels from here."""
    form = yaml.safe_load(CASE_FORM.read_text(encoding="utf-8"))
    if not taxonomy_path.exists():
        return form
    data = yaml.safe_load(taxonomy_path.read_text(encoding="utf-8")) or {}
    for key in ("outcomes", "genders"):
        if data.get(key):
            labelled = {entry["id"]: entry for entry in form.get(key, [])}
            form[key] = [labelled.get(ident, {"id": ident, "label": ident}) for ident in data[key]]
    if data.get("age_bands"):
        form["age_bands"] = [str(band) for band in data["age_bands"]]
    return form


def page_config(container) -> dict:
    settings = container.settings
    return {
        "idle_minutes": getattr(settings, "session_idle_minutes", 30),
        "alert_seconds": getattr(settings, "high_risk_alert_seconds", 60),
        "taxonomy": load_taxonomy(),
        "case_form": case_form(),
    }


def build_console_router(container) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    config_json = json.dumps(page_config(container), ensure_ascii=False)
    cookie = session_cookie_name()

    @router.get("/console", response_class=HTMLResponse)
    async def console_page(request: Request):
        # A first guess only: the script confirms with GET /api/me and falls back to the login.
        logged_in = cookie is None or bool(request.cookies.get(cookie))
        response = templates.TemplateResponse(
            request,
            "console.html",
            {"config_json": config_json, "first_view": "app" if logged_in else "login"},
        )
        response.headers.update(SECURITY_HEADERS)
        return response

    @router.get("/console/static/{name}")
    async def console_static(name: str):
        path = STATIC / name
        if not STATIC_NAME.match(name) or not path.is_file():
            raise HTTPException(404)
        media_type = MEDIA_TYPES[name.rsplit(".", 1)[1]]
        return FileResponse(path, media_type=media_type, headers={"Cache-Control": "no-cache"})

    return router
