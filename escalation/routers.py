"""The web routers of `escalation`: each entry builds an APIRouter from the container.

The app includes every builder listed here (`escalation.web_routers()`); one line per area.
"""

from __future__ import annotations

from collections.abc import Callable

from escalation.api import build_api_router
from escalation.console import build_console_router
from escalation.reports.web import build_reports_router

ROUTER_BUILDERS: list[Callable] = [
    build_api_router,
    build_console_router,
    build_reports_router,
]
