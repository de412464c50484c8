"""Loading a set of flows: parse, validate, refuse on any error."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from flows.build import FlowSource, default_sources, sources_from_path
from flows.errors import FlowError
from flows.model import FlowSet
from flows.validation import analyse

__all__ = ["FlowSource", "InvalidFlows", "load_flowset", "load_default_flowset"]


class InvalidFlows(Exception):
    """The flows have errors; nothing was loaded. `errors` says what and how to fix it."""

    def __init__(self, errors: list[FlowError]) -> None:
        self.errors = errors
        lines = "\n".join(str(e) for e in errors[:20])
        more = f"\n... and {len(errors) - 20} more" if len(errors) > 20 else ""
        super().__init__(f"{len(errors)} problem(s) in the flows:\n{lines}{more}")


def load_flowset(source: str | Path | Iterable[FlowSource], *, complete: bool = True) -> FlowSet:
    """A FlowSet from a file, a folder of flow files, or FlowSource objects.

    Raises InvalidFlows (listing every error) when anything is wrong: invalid flows are never
    half-loaded.
    """
    sources = sources_from_path(source) if isinstance(source, str | Path) else list(source)
    flows, errors = analyse(sources, complete=complete)
    if errors:
        raise InvalidFlows(errors)
    return FlowSet(flows=flows)


def load_default_flowset() -> FlowSet:
    return load_flowset(default_sources())
