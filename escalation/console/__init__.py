"""The counsellor console: the web pages at /console. All data comes from the JSON API (/api)."""

from escalation.console.router import build_console_router

__all__ = ["build_console_router"]
