"""Turning a schema-checked YAML document into a Flow (no checking here: see validation.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flows.model import (
    AskStep,
    Branch,
    ChoiceButton,
    ChoiceStep,
    Condition,
    ConditionStep,
    EndStep,
    Flow,
    HandoffStep,
    LinkStep,
    MessageStep,
    SetStep,
    Step,
    Texts,
)
from flows.yamlio import ParsedYaml

DEFAULTS_DIR = Path(__file__).parent / "defaults"
YAML_SUFFIXES = (".yml", ".yaml")


@dataclass(frozen=True)
class FlowSource:
    """The YAML text of one flow, where it came from, and its published version."""

    name: str  # a file name or "flow <id> (draft)"; shown in error messages
    text: str
    version: int = 0


def sources_from_path(path: str | Path) -> list[FlowSource]:
    """One source per .yml/.yaml file: `path` is a file or a folder of flow files."""
    path = Path(path)
    files = (
        sorted(p for p in path.iterdir() if p.suffix in YAML_SUFFIXES and p.is_file())
        if path.is_dir()
        else [path]
    )
    return [FlowSource(name=str(p), text=p.read_text(encoding="utf-8")) for p in files]


def default_sources() -> list[FlowSource]:
    return [
        FlowSource(name=f"defaults/{Path(s.name).name}", text=s.text)
        for s in sources_from_path(DEFAULTS_DIR)
    ]


def button_data(flow_id: str, step_id: str, button_id: str) -> str:
    """The callback data of a flow button (Telegram allows 64 bytes)."""
    return f"f:{flow_id}:{step_id}:{button_id}"


def parse_button_data(data: str) -> tuple[str, str, str] | None:
    parts = data.split(":")
    if len(parts) != 4 or parts[0] != "f":
        return None
    return parts[1], parts[2], parts[3]


def texts(value: dict[str, str] | None) -> Texts | None:
    if value is None:
        return None
    return Texts(**{lang: str(value.get(lang) or "") for lang in ("az", "ru", "en")})


def _tuple(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    return tuple(str(v) for v in value) if isinstance(value, list) else (str(value),)


def condition(data: dict[str, Any]) -> Condition:
    tuples = ("language", "age_band", "gender", "has", "category", "subcategory", "risk", "status")
    kwargs: dict[str, Any] = {key: _tuple(data.get(key)) for key in tuples}
    for key in ("risk_at_least", "on_shift", "hour_from", "hour_to"):
        kwargs[key] = data.get(key)
    kwargs["position_known"] = data.get("position_known")
    kwargs["wait_known"] = data.get("wait_known")
    return Condition(**kwargs)


def _branches(items: list[dict[str, Any]] | None) -> tuple[Branch, ...]:
    return tuple(
        Branch(when=condition(b.get("when") or {}), next=b.get("next")) for b in items or []
    )


def build_step(data: dict[str, Any], following: str | None, line: int | None) -> Step:
    """One step; `following` is the id of the step written after it (the implicit next)."""
    kind = data["type"]
    common = {"id": data["id"], "type": kind, "line": line}
    if kind == "message":
        return MessageStep(**common, text=texts(data["text"]), next=data.get("next", following))
    if kind == "choice":
        buttons = tuple(
            ChoiceButton(
                id=b["id"],
                label=texts(b["label"]),
                next=b["next"],
                action=b.get("action"),
                value=b.get("value"),
            )
            for b in data["buttons"]
        )
        return ChoiceStep(
            **common, text=texts(data["text"]), buttons=buttons, on_text=data.get("on_text")
        )
    if kind == "ask":
        return AskStep(
            **common,
            text=texts(data["text"]),
            routes=_branches(data.get("routes")),
            otherwise=data.get("else", following),
        )
    if kind == "set":
        return SetStep(
            **common, field=data["field"], value=data["value"], next=data.get("next", following)
        )
    if kind == "condition":
        return ConditionStep(
            **common, branches=_branches(data["branches"]), otherwise=data.get("else", following)
        )
    if kind == "link":
        return LinkStep(**common, flow=data["flow"])
    if kind == "handoff":
        return HandoffStep(
            **common,
            reason=data["reason"],
            priority=data.get("priority", "normal"),
            text=texts(data.get("text")),
        )
    if kind == "end":
        return EndStep(**common, text=texts(data.get("text")))
    raise ValueError(f"unknown step type {kind!r}")  # the schema check runs first


def build_flow(parsed: ParsedYaml, source: FlowSource) -> Flow:
    doc = parsed.data
    raw = doc["steps"]
    steps: dict[str, Step] = {}
    for index, data in enumerate(raw):
        following = raw[index + 1]["id"] if index + 1 < len(raw) else None
        step = build_step(data, following, parsed.line_of(("steps", index)))
        steps.setdefault(step.id, step)  # duplicates are reported by the validator
    return Flow(
        id=doc["id"],
        steps=steps,
        title=doc.get("title", ""),
        description=doc.get("description", ""),
        version=source.version,
        source=source.name,
    )
