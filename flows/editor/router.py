"""The flow editor over HTTP: pages under /flows, JSON under /api/flows.

Everything needs `require_editor` (the app's dependency: returns the user or raises 401/403);
every POST also needs `require_csrf` (checks the X-CSRF-Token header). Pages are rendered on
the server; flows/editor/static/editor.js adds validation as you type, the form and the
simulator.
"""

# No `from __future__ import annotations`: FastAPI must see the local Annotated aliases.
import re
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field

from flows.diagram import to_mermaid
from flows.yamlio import YamlProblem, parse_yaml

from .repository import FlowRepository
from .service import Analyze, Conflict, FlowEditorService, OnPublished, Refused, render_yaml

HERE = Path(__file__).parent
STATIC_FILES = {"editor.js": "text/javascript", "editor.css": "text/css"}
EDITOR_ROLES = frozenset({"editor", "admin"})
MAX_SOURCE_CHARS = 2_000_000  # refused unread; from 200 KB the validator explains why
FLOW_ID = r"^[a-z][a-z0-9_]{0,39}$"

NEW_FLOW_TEMPLATE = """\
id: {flow_id}
title: {flow_id}
steps:
  - id: hello
    type: message
    text:
      az: Salam!
      ru: Привет!
      en: Hello!
  - id: done
    type: end
"""


class DraftIn(BaseModel):
    source: str = Field(max_length=MAX_SOURCE_CHARS)


class PublishIn(DraftIn):
    note: str = Field(default="", max_length=500)
    base_version: int | None = None


class RollbackIn(BaseModel):
    version: int
    note: str = Field(default="", max_length=500)


class SimulateIn(DraftIn):
    event: dict[str, Any]
    state: dict[str, Any] | None = None
    language: str = "az"
    situation: dict[str, Any] | None = None


class RenderIn(BaseModel):
    doc: dict[str, Any]


def build_editor_router(
    *,
    repository: FlowRepository,
    require_editor: Callable[..., Any],
    analyze: Analyze,
    on_published: OnPublished,
    require_csrf: Callable[..., Any],
    csrf_token: Callable[[Request], str | None] | None = None,
) -> APIRouter:
    """`csrf_token(request)`, if given, puts the session's token in the pages so the
    JavaScript can send it (otherwise it reads sessionStorage or the `csrf_token` cookie)."""
    service = FlowEditorService(repository, analyze, on_published)
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    router = APIRouter()

    def editor(user: Annotated[Any, Depends(require_editor)]) -> Any:
        if getattr(user, "role", None) not in EDITOR_ROLES:  # belt and braces
            raise HTTPException(403, "the flow editor is for editors and admins")
        return user

    User = Annotated[Any, Depends(editor)]
    Csrf = Annotated[Any, Depends(require_csrf)]

    def page(request: Request, name: str, **context: Any) -> HTMLResponse:
        token = csrf_token(request) if csrf_token else None
        return templates.TemplateResponse(request, name, {"csrf_token": token or "", **context})

    async def flow_or_404(flow_id: str, version: int | None = None):
        _check_id(flow_id)
        found = await repository.get(flow_id, version)
        if found is None:
            raise HTTPException(404, f"no flow '{flow_id}'" + (f" v{version}" if version else ""))
        return found

    # --- pages ------------------------------------------------------------------------------

    @router.get("/flows", response_class=HTMLResponse, include_in_schema=False)
    async def list_page(request: Request, user: User):
        flows = [(v, _title(v.source)) for v in await repository.list_flows()]
        changes = await repository.changes(limit=30)
        return page(request, "list.html", user=user, flows=flows, changes=changes)

    @router.get("/flows/static/{name}", include_in_schema=False)
    async def static(name: str):
        if name not in STATIC_FILES:
            raise HTTPException(404)
        return FileResponse(HERE / "static" / name, media_type=STATIC_FILES[name])

    @router.get("/flows/{flow_id}", response_class=HTMLResponse, include_in_schema=False)
    async def edit_page(request: Request, flow_id: str, user: User):
        _check_id(flow_id)
        found = await repository.get(flow_id)
        source = found.source if found else NEW_FLOW_TEMPLATE.format(flow_id=flow_id)
        return page(
            request,
            "edit.html",
            user=user,
            flow_id=flow_id,
            version=found.version if found else None,
            initial={"source": source, "version": found.version if found else None},
        )

    @router.get("/flows/{flow_id}/history", response_class=HTMLResponse, include_in_schema=False)
    async def history_page(request: Request, flow_id: str, user: User):
        _check_id(flow_id)
        versions = await repository.versions(flow_id)
        if not versions:
            raise HTTPException(404, f"no flow '{flow_id}'")
        items = [(v, await service.version_diff(v)) for v in versions]
        return page(request, "history.html", user=user, flow_id=flow_id, items=items)

    # --- JSON -------------------------------------------------------------------------------

    @router.get("/api/flows")
    async def api_list(user: User):
        return {"flows": [_summary(v) for v in await repository.list_flows()]}

    @router.get("/api/flows/changes")
    async def api_changes(user: User, limit: int = 100):
        changes = await repository.changes(limit=max(1, min(limit, 500)))
        return {"changes": [_summary(v) for v in changes]}

    @router.get("/api/flows/{flow_id}")
    async def api_get(flow_id: str, user: User):
        found = await flow_or_404(flow_id)
        return {**_summary(found), "source": found.source}

    @router.get("/api/flows/{flow_id}/versions")
    async def api_versions(flow_id: str, user: User):
        versions = await repository.versions(flow_id)
        if not versions:
            raise HTTPException(404, f"no flow '{flow_id}'")
        return {"versions": [_summary(v) for v in versions]}

    @router.get("/api/flows/{flow_id}/versions/{version}")
    async def api_version(flow_id: str, version: int, user: User):
        found = await flow_or_404(flow_id, version)
        return {
            **_summary(found),
            "source": found.source,
            "diff": await service.version_diff(found),
        }

    @router.get("/api/flows/{flow_id}/diagram")
    async def api_diagram(flow_id: str, user: User, language: str = "en"):
        found = await flow_or_404(flow_id)
        checked = await service.check(flow_id, found.source, found.version)
        if checked.flow is None:
            raise HTTPException(422, "this flow has errors")
        return {"mermaid": to_mermaid(checked.flow, language)}

    @router.post("/api/flows/{flow_id}/validate")
    async def api_validate(flow_id: str, body: DraftIn, user: User, csrf: Csrf):
        _check_id(flow_id)
        checked = await service.check(flow_id, body.source)
        return {
            "ok": not checked.errors,
            "errors": [e.to_dict() for e in checked.errors],
            "doc": checked.doc if isinstance(checked.doc, dict) else None,
        }

    @router.post("/api/flows/{flow_id}/render")
    async def api_render(flow_id: str, body: RenderIn, user: User, csrf: Csrf):
        return {"source": render_yaml(body.doc)}

    @router.post("/api/flows/{flow_id}/simulate")
    async def api_simulate(flow_id: str, body: SimulateIn, user: User, csrf: Csrf):
        _check_id(flow_id)
        return await service.simulate(
            flow_id,
            body.source,
            state=body.state,
            event=body.event,
            language=body.language,
            situation=body.situation,
        )

    @router.post("/api/flows/{flow_id}/publish", status_code=201)
    async def api_publish(flow_id: str, body: PublishIn, user: User, csrf: Csrf):
        _check_id(flow_id)
        try:
            return await service.publish(
                flow_id,
                body.source,
                author=user.username,
                note=body.note,
                base_version=body.base_version,
            )
        except Refused as refused:
            return JSONResponse(
                {"detail": "not published", "errors": [e.to_dict() for e in refused.errors]},
                status_code=422,
            )
        except Conflict as conflict:
            raise HTTPException(409, str(conflict)) from None

    @router.post("/api/flows/{flow_id}/rollback", status_code=201)
    async def api_rollback(
        flow_id: str, user: User, csrf: Csrf, body: Annotated[RollbackIn, Body()]
    ):
        try:
            result = await service.rollback(
                flow_id, body.version, author=user.username, note=body.note
            )
        except Refused as refused:
            return JSONResponse(
                {"detail": "not published", "errors": [e.to_dict() for e in refused.errors]},
                status_code=422,
            )
        except Conflict as conflict:
            raise HTTPException(409, str(conflict)) from None
        if result is None:
            raise HTTPException(404, f"no version {body.version} of '{flow_id}'")
        return result

    return router


def _check_id(flow_id: str) -> None:
    if not re.match(FLOW_ID, flow_id):
        raise HTTPException(
            422, "a flow id is small English letters, digits and _, starting with a letter"
        )


def _summary(v) -> dict[str, Any]:
    return {
        "flow_id": v.flow_id,
        "version": v.version,
        "author": v.author,
        "note": v.note,
        "created_at": v.created_at.isoformat(),
    }


def _title(source: str) -> str:
    try:
        data = parse_yaml(source).data
    except YamlProblem:
        return ""
    return str(data.get("title") or "") if isinstance(data, dict) else ""
