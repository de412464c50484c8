"""The flow validator: one rule at a time, each error naming file, flow and step, with a fix.

`validate(sources)` is what `helpline flows validate`, the start-up check and the editor use.
The rules (FlowError.rule):

    file_too_big, broken_yaml, schema, unknown_step_type, duplicate_flow, duplicate_step,
    duplicate_button, unknown_target, unknown_flow, unreachable_step, dead_end, no_way_out,
    loop_without_wait, missing_translation, text_too_long, button_label_too_long,
    callback_data_too_long, unknown_placeholder, bad_value, missing_required_flow
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flows import graph_rules, text_rules
from flows.build import FlowSource, build_flow
from flows.errors import FlowError
from flows.model import Flow
from flows.schema_check import describe, schema_errors
from flows.yamlio import ParsedYaml, YamlProblem, parse_yaml

# The runner starts these by name; a set of flows without them is refused.
REQUIRED_FLOWS: tuple[str, ...] = ("welcome", "triage", "while_you_wait", "out_of_hours")


def validate(
    sources: Iterable[FlowSource], *, complete: bool = True, context: Iterable[Flow] = ()
) -> list[FlowError]:
    """Every problem in these flows; an empty list means they may be published.

    `complete`: the sources (with `context`) are the whole set children are served, so the
    required flows must be there and links must resolve inside it.
    `context`: flows already in service that the sources may link to (the editor checks one
    draft against the others this way); their own problems are not reported again.
    """
    return analyse(sources, complete=complete, context=context)[1]


def analyse(
    sources: Iterable[FlowSource], *, complete: bool = True, context: Iterable[Flow] = ()
) -> tuple[dict[str, Flow], list[FlowError]]:
    errors: list[FlowError] = []
    flows: dict[str, Flow] = {}
    # Ids of every flow seen, even too broken to build, so a link to it is not reported twice.
    known_ids: set[str] = set()
    for source in sources:
        parsed = _parse(source, errors)
        if parsed is None:
            continue
        doc = parsed.data
        flow_id = doc.get("id") if isinstance(doc, dict) else None
        if isinstance(flow_id, str):
            if flow_id in known_ids:
                errors.append(
                    FlowError(
                        "duplicate_flow",
                        f"Two files define the flow '{flow_id}'.",
                        "Give one of them another `id:`, or delete the older file.",
                        source.name,
                        flow_id,
                        line=parsed.line_of(("id",)),
                    )
                )
                continue
            known_ids.add(flow_id)
        if _schema_rules(parsed, source, errors):
            continue
        errors.extend(graph_rules.duplicate_steps(doc, parsed, source.name))
        flows[flow_id] = build_flow(parsed, source)
    served = {f.id: f for f in context if f.id not in known_ids}
    known_ids |= set(served)
    for flow in flows.values():
        errors.extend(graph_rules.flow_rules(flow, known_ids, complete=complete or bool(served)))
        errors.extend(text_rules.flow_rules(flow))
    errors.extend(graph_rules.loops_without_wait({**served, **flows}, report_in=set(flows)))
    if complete:
        for flow_id in REQUIRED_FLOWS:
            if flow_id not in known_ids:
                errors.append(
                    FlowError(
                        "missing_required_flow",
                        f"The flow '{flow_id}' is missing; the bot needs it.",
                        f"Add a flow with `id: {flow_id}` (the default is in flows/defaults).",
                        flow=flow_id,
                    )
                )
    return flows, errors


def _parse(source: FlowSource, errors: list[FlowError]) -> ParsedYaml | None:
    try:
        parsed = parse_yaml(source.text)
    except YamlProblem as problem:
        too_big = problem.message.startswith("The file is too big")
        errors.append(
            FlowError(
                "file_too_big" if too_big else "broken_yaml",
                problem.message,
                "Keep each text short and each flow in its own file."
                if too_big
                else _yaml_fix(problem.message),
                source.name,
                line=problem.line,
            )
        )
        return None
    return parsed


def _yaml_fix(message: str) -> str:
    if "mapping values are not allowed" in message:
        return (
            'A text with ": " in it must be put in quotes ("...") or written on the lines '
            "after `|-`."
        )
    return (
        "Check the indentation (spaces, not tabs) on this line and the one before. A text "
        'with : { } # or [ ] in it must be put in quotes ("...").'
    )


def _schema_rules(parsed: ParsedYaml, source: FlowSource, errors: list[FlowError]) -> bool:
    """Add schema errors; True when there were any (the flow cannot be built)."""
    doc = parsed.data
    if not isinstance(doc, dict):
        errors.append(
            FlowError(
                "schema",
                "This file is not a flow (it should start with `id:` and `steps:`).",
                "Start from a copy of a flow in flows/defaults.",
                source.name,
            )
        )
        return True
    flow_id = doc.get("id") if isinstance(doc.get("id"), str) else None
    found = False
    for error in schema_errors(doc):
        found = True
        path = list(error.absolute_path)
        step_id = _step_id(doc, path)
        line = parsed.line_of(tuple(path))
        if path[:1] == ["steps"] and path[-1:] == ["type"] and error.validator == "enum":
            errors.append(
                FlowError(
                    "unknown_step_type",
                    f"The step type {error.instance!r} does not exist.",
                    "Use one of: message, choice, ask, set, condition, link, handoff, end.",
                    source.name,
                    flow_id,
                    step_id,
                    line,
                )
            )
            continue
        message, fix = describe(error)
        error = FlowError("schema", message, fix, source.name, flow_id, step_id, line)
        if error not in errors:  # one schema problem can be reported several ways
            errors.append(error)
    return found


def _step_id(doc: dict[str, Any], path: list[Any]) -> str | None:
    if len(path) >= 2 and path[0] == "steps" and isinstance(path[1], int):
        steps = doc.get("steps")
        if isinstance(steps, list) and path[1] < len(steps) and isinstance(steps[path[1]], dict):
            step_id = steps[path[1]].get("id")
            return str(step_id) if step_id is not None else f"step number {path[1] + 1}"
    return None
