"""Mounts the flow editor (flows.editor) with the staff auth, the NLU and the flow registry."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from escalation.auth import COOKIE_NAME
from flows.editor.router import build_editor_router


def build_flow_editor_router(container) -> APIRouter:
    auth = container.auth

    async def remember_csrf(request: Request) -> None:
        # The editor's pages carry the session's CSRF token for their JavaScript.
        token = request.cookies.get(COOKIE_NAME)
        found = await auth.session_for(token, touch=False) if token else None
        request.state.csrf_token = found.csrf_token if found else None

    editor = build_editor_router(
        repository=container.flow_repository,
        require_editor=auth.require_roles("editor", "admin"),
        analyze=_simulator_analyze(container),
        on_published=container.flows.published,
        require_csrf=auth.require_csrf,
        csrf_token=lambda request: getattr(request.state, "csrf_token", None),
    )
    router = APIRouter()
    router.include_router(editor, dependencies=[Depends(remember_csrf)])
    return router


def _simulator_analyze(container):
    """The simulator passes a dict about the draft, not the child's earlier messages."""

    async def analyze(text: str, _simulator_context=None):
        return await container.core.analyzer.analyze(text, ())

    return analyze
