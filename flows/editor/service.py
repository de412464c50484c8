"""What the editor does, without HTTP: check a draft against the flows in service, simulate a
chat with it, publish it as a new version, roll back, and show readable diffs."""

from __future__ import annotations

import difflib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import Any

import yaml

from flows.build import FlowSource
from flows.errors import FlowError
from flows.model import LANGUAGES, Flow, FlowSet
from flows.rails import load_rail_texts
from flows.runner import FlowRunner
from flows.types import FlowEvent, FlowState, Situation
from flows.validation import analyse
from flows.yamlio import YamlProblem, parse_yaml

from .repository import FlowRepository, FlowVersion

log = logging.getLogger(__name__)

Analyze = Callable[[str, dict[str, Any]], Awaitable[Any]]
OnPublished = Callable[[str, int], Awaitable[None]]
COMMANDS = ("start", "help", "language", "human", "delete")


class Refused(Exception):
    """A draft with errors: nothing was published."""

    def __init__(self, errors: list[FlowError]) -> None:
        super().__init__(f"{len(errors)} problem(s)")
        self.errors = errors


class Conflict(Exception):
    pass


@dataclass
class Checked:
    flow: Flow | None
    errors: list[FlowError]
    doc: Any  # the parsed YAML, for the form view (None when the YAML is broken)
    context: dict[str, Flow]


class FlowEditorService:
    def __init__(
        self, repository: FlowRepository, analyze: Analyze, on_published: OnPublished
    ) -> None:
        self.repository = repository
        self.analyze = analyze
        self.on_published = on_published
        self._context_cache: tuple[tuple, dict[str, Flow]] | None = None
        self._rails = load_rail_texts()

    async def _context(self, flow_id: str) -> dict[str, Flow]:
        """Every flow in service except `flow_id`, built once per set of versions."""
        latest = await self.repository.list_flows()
        key = tuple((v.flow_id, v.version) for v in latest)
        if self._context_cache is None or self._context_cache[0] != key:
            flows, _ = analyse([v.as_source() for v in latest], complete=False)
            self._context_cache = (key, flows)
        return {k: f for k, f in self._context_cache[1].items() if k != flow_id}

    async def check(self, flow_id: str, source: str, version: int = 0) -> Checked:
        context = await self._context(flow_id)
        draft = FlowSource(f"flow {flow_id} (draft)", source, version)
        flows, errors = analyse([draft], complete=True, context=context.values())
        doc = _doc(source)
        found = doc.get("id") if isinstance(doc, dict) else None
        if isinstance(found, str) and found != flow_id:
            errors.insert(
                0,
                FlowError(
                    "wrong_id",
                    f"The `id:` at the top says '{found}', but this is the flow '{flow_id}'.",
                    f"Write `id: {flow_id}` (to make a new flow, use “New flow” instead).",
                    draft.name,
                    flow_id,
                    line=1,
                ),
            )
        return Checked(flows.get(flow_id), errors, doc, context)

    async def simulate(
        self,
        flow_id: str,
        source: str,
        *,
        state: dict[str, Any] | None,
        event: dict[str, Any],
        language: str,
        situation: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        checked = await self.check(flow_id, source)
        if checked.flow is None or checked.errors:
            return {"errors": [e.to_dict() for e in checked.errors], "replies": []}
        flowset = FlowSet(flows={**checked.context, flow_id: checked.flow})
        language = language if language in LANGUAGES else "az"
        current = FlowState.from_dict(state) if state else FlowState()
        current.profile.setdefault("language", language)
        flow_event, analysis = await self._event(flow_id, event, language, situation or {})
        result = FlowRunner(flowset, rail_texts=self._rails).step(current, flow_event)
        return {
            "errors": [],
            "replies": [
                {"text": r.text, "buttons": [asdict(b) for b in r.buttons]} for r in result.replies
            ],
            "actions": [{"kind": a.kind, "data": a.data} for a in result.actions],
            "state": result.state.to_dict(),
            "analysis": _analysis_dict(analysis),
        }

    async def _event(
        self, flow_id: str, event: dict[str, Any], language: str, situation: dict[str, Any]
    ) -> tuple[FlowEvent, Any]:
        known = {"status", "counsellors_on_shift", "queue_position", "expected_wait_minutes"}
        sit = Situation(**{k: v for k, v in situation.items() if k in known})
        kind = event.get("kind")
        if kind == "start":
            return FlowEvent(kind="start", flow=flow_id, situation=sit), None
        if kind == "button":
            return FlowEvent(kind="button", button=str(event.get("button")), situation=sit), None
        text = str(event.get("text") or "")
        command = text[1:].split(" ")[0].lower() if text.startswith("/") else None
        if command in COMMANDS:
            return FlowEvent(kind="command", command=command, situation=sit), None
        analysis = await self.analyze(text, {"language": language, "simulator": True})
        return FlowEvent(kind="text", text=text, analysis=analysis, situation=sit), analysis

    async def publish(
        self,
        flow_id: str,
        source: str,
        *,
        author: str,
        note: str,
        base_version: int | None = None,
    ) -> dict[str, Any]:
        latest = await self.repository.get(flow_id)
        if base_version is not None and latest is not None and latest.version != base_version:
            raise Conflict(
                f"{latest.author} published version {latest.version} of this flow while you "
                "were editing. Copy your changes, reload the page and apply them again."
            )
        if latest is not None and latest.source == source:
            raise Conflict("Nothing has changed since the last version.")
        checked = await self.check(flow_id, source)
        if checked.errors:
            raise Refused(checked.errors)
        version = await self.repository.publish(flow_id, source, author, note)
        broadcast = True
        try:
            await self.on_published(flow_id, version)
        except Exception:  # the version is stored; processes pick it up on their next reload
            log.exception("flow %s v%s published but the broadcast failed", flow_id, version)
            broadcast = False
        old = latest.source if latest else ""
        old_label = f"{flow_id} v{latest.version}" if latest else f"{flow_id} (new)"
        return {
            "flow_id": flow_id,
            "version": version,
            "broadcast": broadcast,
            "diff": unified_diff(old, source, old_label, f"{flow_id} v{version}"),
        }

    async def rollback(
        self, flow_id: str, version: int, *, author: str, note: str = ""
    ) -> dict[str, Any] | None:
        old = await self.repository.get(flow_id, version)
        if old is None:
            return None
        return await self.publish(
            flow_id, old.source, author=author, note=note or f"Roll back to version {version}"
        )

    async def version_diff(self, item: FlowVersion) -> str:
        previous = await self.repository.get(item.flow_id, item.version - 1)
        old = previous.source if previous else ""
        old_label = f"{item.flow_id} v{previous.version}" if previous else f"{item.flow_id} (new)"
        return unified_diff(old, item.source, old_label, f"{item.flow_id} v{item.version}")


def unified_diff(old: str, new: str, old_label: str, new_label: str) -> str:
    lines = difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), old_label, new_label, n=2
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def render_yaml(doc: Any) -> str:
    """The form's document as YAML text (comments in the old text are not kept)."""
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=100)


def _doc(source: str) -> Any:
    try:
        return parse_yaml(source).data
    except YamlProblem:
        return None


def _analysis_dict(analysis: Any) -> dict[str, Any] | None:
    if analysis is None:
        return None
    if hasattr(analysis, "to_dict"):
        return analysis.to_dict()
    risk = analysis.risk
    return {
        "language": analysis.language,
        "category": analysis.category,
        "subcategory": analysis.subcategory,
        "risk": {"level": risk.level, "score": risk.score, "reasons": list(risk.reasons)},
        "asks_for_human": analysis.asks_for_human,
        "needs_human": analysis.needs_human,
    }
