"""The HTTP side: web chat, Telegram webhook, health, and the staff pages mounted from their
packages (console, flow editor, reports). FastAPI's OpenAPI document is at /openapi.json.
"""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import func, select, text
from starlette.exceptions import HTTPException as StarletteHTTPException

from bot.channels.webchat import build_webchat_router
from store.models import InboxUpdate

STATIC = __file__.rsplit("/", 1)[0] + "/static"


def create_app(container, *, manage_lifecycle: bool = True) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        if manage_lifecycle:
            await container.start()
        try:
            yield
        finally:
            if manage_lifecycle:
                await container.stop()

    app = FastAPI(
        title="helpline",
        version="0.1.0",
        description="The messaging front door of a child helpline.",
        lifespan=lifespan,
    )
    app.state.container = container
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(build_webchat_router(container))
    if container.telegram is not None:
        app.include_router(container.telegram.webhook_router())
    for build_router in container.extra_routers:
        app.include_router(build_router(container))

    @app.exception_handler(StarletteHTTPException)
    async def sign_in_first(request: Request, exc: StarletteHTTPException):
        # A person opening a staff page (/flows, /reports) without a session gets the sign-in
        # page of the console rather than a JSON error; the API keeps its 401.
        wants_page = request.method == "GET" and "text/html" in request.headers.get("accept", "")
        if exc.status_code == 401 and wants_page and not request.url.path.startswith("/api/"):
            return RedirectResponse("/console", status_code=303)
        return await http_exception_handler(request, exc)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def home(request: Request):
        return container.templates.TemplateResponse(request, "home.html", {})

    @app.get("/health", tags=["operations"])
    async def health():
        return await _health(container)

    return app


async def _health(container) -> JSONResponse:
    checks: dict[str, object] = {}
    healthy = True
    try:
        async with container.sessions() as session:
            await session.execute(text("SELECT 1"))
            failed = await session.scalar(
                select(func.count()).select_from(InboxUpdate).where(InboxUpdate.status == "failed")
            )
        checks["database"] = "ok"
        checks["failed_updates"] = failed
    except Exception as exc:
        healthy = False
        checks["database"] = f"error: {type(exc).__name__}"
    try:
        await container.backend.hit("health", 1)
        checks["backend"] = "ok"
    except Exception as exc:
        healthy = False
        checks["backend"] = f"error: {type(exc).__name__}"
    checks["telegram"] = "on" if container.telegram is not None else "off"
    checks["status"] = "ok" if healthy else "degraded"
    return JSONResponse(checks, status_code=200 if healthy else 503)
