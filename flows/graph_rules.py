"""Rules about where steps lead: targets, reachability, dead ends and loops."""

from __future__ import annotations

from collections import Counter
from typing import Any

from flows.errors import FlowError
from flows.model import (
    PROFILE_VALUES,
    TERMINAL_TYPES,
    WAITING_TYPES,
    ChoiceStep,
    Flow,
    LinkStep,
    SetStep,
    Step,
    successors,
)
from flows.yamlio import ParsedYaml


def _error(rule: str, message: str, fix: str, flow: Flow, step: Step | None) -> FlowError:
    return FlowError(
        rule, message, fix, flow.source, flow.id, step.id if step else None, step and step.line
    )


def duplicate_steps(doc: dict[str, Any], parsed: ParsedYaml, source: str) -> list[FlowError]:
    ids = Counter(step["id"] for step in doc["steps"])
    errors = []
    for index, step in enumerate(doc["steps"]):
        if ids[step["id"]] > 1 and index > [s["id"] for s in doc["steps"]].index(step["id"]):
            errors.append(
                FlowError(
                    "duplicate_step",
                    f"Two steps are called '{step['id']}'.",
                    "Give this step another `id:` (ids must be different inside a flow).",
                    source,
                    doc["id"],
                    step["id"],
                    parsed.line_of(("steps", index)),
                )
            )
    return errors


def flow_rules(flow: Flow, known_flows: set[str], *, complete: bool) -> list[FlowError]:
    errors: list[FlowError] = []
    for step in flow.steps.values():
        errors.extend(_step_targets(flow, step))
        if isinstance(step, LinkStep) and complete and step.flow not in known_flows:
            errors.append(
                _error(
                    "unknown_flow",
                    f"This step goes to the flow '{step.flow}', which does not exist.",
                    "Check the spelling of `flow:`, or create that flow first.",
                    flow,
                    step,
                )
            )
        if isinstance(step, ChoiceStep):
            errors.extend(_duplicate_buttons(flow, step))
        if isinstance(step, SetStep):
            errors.extend(_set_value(flow, step))
    if not any(e.rule in ("dead_end", "unknown_target") for e in errors):
        # Otherwise these would only repeat the broken link in other words.
        errors.extend(_unreachable(flow))
        errors.extend(_no_way_out(flow))
    return errors


def _step_targets(flow: Flow, step: Step) -> list[FlowError]:
    errors = []
    for target in successors(step):
        if target is None:
            errors.append(
                _error(
                    "dead_end",
                    "After this step the conversation stops: it is the last step and does "
                    "not say where to go.",
                    "Add `next:` (or `else:`) naming a step, or add an `end`, `handoff` or "
                    "`link` step after it.",
                    flow,
                    step,
                )
            )
        elif target not in flow.steps:
            errors.append(
                _error(
                    "unknown_target",
                    f"This step goes to '{target}', but there is no step with that id.",
                    f"Use one of the step ids of this flow: {', '.join(flow.steps)}.",
                    flow,
                    step,
                )
            )
    return errors


def _duplicate_buttons(flow: Flow, step: ChoiceStep) -> list[FlowError]:
    counts = Counter(b.id for b in step.buttons)
    return [
        _error(
            "duplicate_button",
            f"Two buttons are called '{button_id}'.",
            "Give each button of a step its own `id:`.",
            flow,
            step,
        )
        for button_id, count in counts.items()
        if count > 1
    ]


def _set_value(flow: Flow, step: SetStep) -> list[FlowError]:
    allowed = PROFILE_VALUES[step.field]
    if allowed is None:
        ok = isinstance(step.value, int) and 0 <= step.value <= 25
        hint = "a whole number from 0 to 25"
    else:
        ok = step.value in allowed
        hint = "one of: " + ", ".join(allowed)
    if ok:
        return []
    return [
        _error(
            "bad_value",
            f"`{step.field}` cannot be {step.value!r}.",
            f"Use {hint}.",
            flow,
            step,
        )
    ]


def _reachable(flow: Flow) -> set[str]:
    seen: set[str] = set()
    todo = [flow.start]
    while todo:
        step_id = todo.pop()
        if step_id in seen or step_id not in flow.steps:
            continue
        seen.add(step_id)
        todo.extend(t for t in successors(flow.steps[step_id]) if t)
    return seen


def _unreachable(flow: Flow) -> list[FlowError]:
    reachable = _reachable(flow)
    return [
        _error(
            "unreachable_step",
            "No path leads to this step, so no child will ever see it.",
            "Point a `next:` or a button of another step to it, or delete it.",
            flow,
            step,
        )
        for step_id, step in flow.steps.items()
        if step_id not in reachable
    ]


def _no_way_out(flow: Flow) -> list[FlowError]:
    """A reachable step from which no end, handoff or link can ever be reached."""
    can_finish = {sid for sid, s in flow.steps.items() if s.type in TERMINAL_TYPES}
    changed = True
    while changed:
        changed = False
        for step_id, step in flow.steps.items():
            if step_id not in can_finish and any(t in can_finish for t in successors(step)):
                can_finish.add(step_id)
                changed = True
    stuck = [s for s in flow.steps if s in _reachable(flow) and s not in can_finish]
    if not stuck:
        return []
    first = flow.steps[stuck[0]]
    others = f" (and {len(stuck) - 1} more steps)" if len(stuck) > 1 else ""
    return [
        _error(
            "no_way_out",
            f"From this step{others} the child can never reach an end, a handoff or a link: "
            "the conversation goes round in circles.",
            "Give one of these steps a way out: a button or `next:` to an `end`, `handoff` "
            "or `link` step.",
            flow,
            first,
        )
    ]


def loops_without_wait(
    flows: dict[str, Flow], report_in: set[str] | None = None
) -> list[FlowError]:
    """Loops of steps (across links too) that never stop to wait for the child.

    `report_in`: only loops touching these flows are reported (None: all).
    """
    Node = tuple[str, str]

    def edges(node: Node) -> list[Node]:
        flow = flows[node[0]]
        step = flow.steps[node[1]]
        if step.type in WAITING_TYPES:
            return []  # waiting for the child breaks any loop
        if isinstance(step, LinkStep):
            target = flows.get(step.flow)
            return [(target.id, target.start)] if target else []
        return [(flow.id, t) for t in successors(step) if t and t in flow.steps]

    errors: list[FlowError] = []
    state: dict[Node, int] = {}  # 1 = on the current path, 2 = done
    reported: set[frozenset[Node]] = set()
    for flow in flows.values():
        for step_id in flow.steps:
            start: Node = (flow.id, step_id)
            if state.get(start):
                continue
            # Iterative depth-first search: deep flows must not hit Python's recursion limit.
            path: list[Node] = [start]
            stack = [iter(edges(start))]
            state[start] = 1
            while stack:
                nxt = next(stack[-1], None)
                if nxt is None:
                    state[path.pop()] = 2
                    stack.pop()
                    continue
                if state.get(nxt) == 1:
                    cycle = path[path.index(nxt) :]
                    touches = report_in is None or any(f in report_in for f, _ in cycle)
                    if touches and frozenset(cycle) not in reported:
                        reported.add(frozenset(cycle))
                        errors.append(_loop_error(flows, cycle))
                elif not state.get(nxt):
                    state[nxt] = 1
                    path.append(nxt)
                    stack.append(iter(edges(nxt)))
    return errors


def _loop_error(flows: dict[str, Flow], cycle: list[tuple[str, str]]) -> FlowError:
    flow_id, step_id = cycle[-1]
    flow = flows[flow_id]
    route = " → ".join(f"{f}/{s}" if f != flow_id else s for f, s in [*cycle, cycle[0]])
    return _error(
        "loop_without_wait",
        f"These steps go round forever without waiting for the child: {route}.",
        "Put a `choice` or `ask` step in the loop, or end it with an `end` or `handoff` step.",
        flow,
        flow.steps[step_id],
    )
