"""The staff flow editor: pages at /flows, JSON at /api/flows (see router.py)."""

from .repository import FlowRepository, FlowVersion, InMemoryFlowRepository, seed_defaults
from .router import build_editor_router

__all__ = [
    "FlowRepository",
    "FlowVersion",
    "InMemoryFlowRepository",
    "build_editor_router",
    "seed_defaults",
]
