"""Escalation: the counsellor queue, staff accounts and access, claim/transfer/close, the staff
JSON API, the console (escalation.console) and the reports (escalation.reports).

Imports only `store` of the project. Nothing is built at import time: the composition root
builds StaffAuth, SupervisorAlerts and includes `web_routers()`.
"""

from __future__ import annotations

from collections.abc import Callable


def web_routers() -> list[Callable]:
    """Router builders (each `build(container) -> APIRouter`) for `container.extra_routers`."""
    from escalation.routers import ROUTER_BUILDERS

    return list(ROUTER_BUILDERS)


__all__ = ["web_routers"]
