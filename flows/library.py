"""The flows in service now, swapped in place when staff publish, with recent old versions.

The core gives `library` (it is callable) to the FlowRunner. When a flow is published, every
process calls `install(...)` with the new version (the editor's `on_published` broadcast). Old
versions are kept for children who are in the middle of them; a few per flow is plenty, because
a child moves on within minutes and the runner falls back gracefully when one is gone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from flows.build import FlowSource
from flows.errors import FlowError
from flows.loader import InvalidFlows
from flows.model import Flow, FlowSet
from flows.validation import analyse

KEEP_OLD_VERSIONS = 5


class FlowLibrary:
    def __init__(self, flowset: FlowSet, *, keep_old_versions: int = KEEP_OLD_VERSIONS) -> None:
        self._set = flowset
        self._keep = keep_old_versions

    def __call__(self) -> FlowSet:
        return self._set

    @property
    def current(self) -> FlowSet:
        return self._set

    def install(self, flow_id: str, source_text: str, version: int) -> FlowSet:
        """Validate one published flow against the others and serve it from now on.

        Raises InvalidFlows and keeps the running version when the new text has errors.
        """
        others = [f for f in self._set.flows.values() if f.id != flow_id]
        sources = [FlowSource(f"flow {flow_id} v{version}", source_text, version)]
        flows, errors = analyse(sources, complete=False, context=others)
        new = flows.get(flow_id)
        if not errors and new is None:
            errors = [
                FlowError(
                    "schema",
                    f"The text does not define the flow '{flow_id}'.",
                    f"Set `id: {flow_id}` at the top.",
                    flow=flow_id,
                )
            ]
        if errors:
            raise InvalidFlows(errors)
        return self.replace_flows([*others, new])

    def replace_flows(self, flows: Iterable[Flow]) -> FlowSet:
        """Serve exactly these flows; the ones they replace go to the history."""
        old = self._set
        history = dict(old.history)
        current = {f.id: f for f in flows}
        for flow in old.flows.values():
            if current.get(flow.id) is not flow:
                history[(flow.id, flow.version)] = flow
        self._set = FlowSet(flows=current, history=_trim(history, self._keep))
        return self._set

    def replace(self, flowset: FlowSet) -> FlowSet:
        return self.replace_flows(flowset.flows.values())


def _trim(history: dict[tuple[str, int], Flow], keep: int) -> dict[tuple[str, int], Flow]:
    by_flow: dict[str, list[int]] = {}
    for flow_id, version in history:
        by_flow.setdefault(flow_id, []).append(version)
    kept = {}
    for flow_id, versions in by_flow.items():
        for version in sorted(versions)[-keep:]:
            kept[(flow_id, version)] = history[(flow_id, version)]
    return kept


def with_version(flow: Flow, version: int) -> Flow:
    return replace(flow, version=version)
