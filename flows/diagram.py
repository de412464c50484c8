"""A Mermaid diagram of a flow, for the README, the editor and `helpline flows diagram`."""

from __future__ import annotations

import re

from flows.model import (
    AskStep,
    Branch,
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
)

MAX_LABEL = 40


def _node(step_id: str) -> str:
    return "s_" + re.sub(r"\W", "_", step_id)


def _label(text: str) -> str:
    text = " ".join(text.split())
    if len(text) > MAX_LABEL:
        text = text[: MAX_LABEL - 1] + "…"
    return text.replace('"', "#quot;")


def _condition(cond: Condition) -> str:
    parts = []
    for key, value in vars(cond).items():
        if value in ((), None):
            continue
        shown = " or ".join(value) if isinstance(value, tuple) else str(value).lower()
        parts.append(f"{key}={shown}")
    return ", ".join(parts) or "always"


def _shape(step: Step, language: str) -> str:
    text = getattr(step, "text", None)
    words = _label(text.get(language)) if text is not None else ""
    if isinstance(step, ChoiceStep | AskStep):
        return f'[/"{step.type}: {words}"/]'
    if isinstance(step, ConditionStep):
        return f'{{"{step.id}?"}}'
    if isinstance(step, SetStep):
        return f'["set {step.field} = {_label(str(step.value))}"]'
    if isinstance(step, LinkStep):
        return f'[["go to flow {step.flow}"]]'
    if isinstance(step, HandoffStep):
        return f'{{{{"to a person ({step.priority})"}}}}'
    if isinstance(step, EndStep):
        return f'(["end{": " + words if words else ""}"])'
    return f'["{words}"]'


def _edges(step: Step, language: str) -> list[tuple[str | None, str | None]]:
    """(target, edge label) pairs."""
    if isinstance(step, MessageStep | SetStep):
        return [(step.next, None)]
    if isinstance(step, ChoiceStep):
        edges = [(b.next, _label(b.label.get(language))) for b in step.buttons]
        return edges + ([(step.on_text, "typed text")] if step.on_text else [])
    if isinstance(step, AskStep | ConditionStep):
        branches: tuple[Branch, ...] = step.routes if isinstance(step, AskStep) else step.branches
        edges = [(b.next, _label(_condition(b.when))) for b in branches]
        return [*edges, (step.otherwise, "else")]
    return []


def to_mermaid(flow: Flow, language: str = "en") -> str:
    lines = ["flowchart TD", f"    %% flow {flow.id} v{flow.version}"]
    for step in flow.steps.values():
        lines.append(f"    {_node(step.id)}{_shape(step, language)}")
    for step in flow.steps.values():
        for target, label in _edges(step, language):
            if target is None:
                continue
            arrow = f'-->|"{label}"|' if label else "-->"
            lines.append(f"    {_node(step.id)} {arrow} {_node(target)}")
    return "\n".join(lines) + "\n"
