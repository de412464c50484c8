"""One turn of the runner: the state being changed, the replies and actions collected, and
walking a flow from a step until it waits for the child or ends."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from flows.build import button_data
from flows.conditions import Facts, matches
from flows.model import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    AskStep,
    ChoiceStep,
    ConditionStep,
    EndStep,
    Flow,
    FlowSet,
    HandoffStep,
    LinkStep,
    MessageStep,
    SetStep,
    Step,
    Texts,
    age_band_of,
    risk_rank,
)
from flows.rails import RailTexts
from flows.types import Action, Button, FlowEvent, FlowState, Reply

log = logging.getLogger(__name__)
_PLACEHOLDER = re.compile(r"\{(position|wait_minutes)\}")


@dataclass(frozen=True)
class RunnerConfig:
    welcome_flow: str = "welcome"
    triage_flow: str = "triage"
    help_flow: str = "help"
    while_you_wait_flow: str = "while_you_wait"
    out_of_hours_flow: str = "out_of_hours"
    wait_reply_every: int = 5  # while waiting, answer the 1st, 6th, 11th... message
    max_auto_steps: int = 100  # a guard; the validator already refuses endless loops


class Turn:
    def __init__(
        self,
        flowset: FlowSet,
        state: FlowState,
        event: FlowEvent,
        rails: RailTexts,
        config: RunnerConfig,
    ) -> None:
        self.fs = flowset
        self.state = state
        self.event = event
        self.rails = rails
        self.config = config
        self.replies: list[Reply] = []
        self.actions: list[Action] = []
        self._in_out_of_hours = False

    # --- what the runner knows ------------------------------------------------------------

    @property
    def vars(self) -> dict[str, Any]:
        return self.state.vars

    @property
    def situation(self):
        return self.event.situation

    @property
    def language(self) -> str:
        chosen = self.state.profile.get("language")
        if chosen in LANGUAGES:
            return chosen
        return self.vars.get("language_hint") or DEFAULT_LANGUAGE

    def note_analysis(self) -> None:
        """Remember what the last analysed message was about (no message text is kept)."""
        a = self.event.analysis
        if a is None:
            return
        level = a.risk.level
        self.vars["last"] = {
            "category": a.category,
            "subcategory": a.subcategory,
            "risk": level,
        }
        if risk_rank(level) > risk_rank(self.vars.get("max_risk")):
            self.vars["max_risk"] = level
        if a.language in LANGUAGES:
            self.vars["language_hint"] = a.language

    def facts(self) -> Facts:
        last = self.vars.get("last") or {}
        return Facts(
            language=self.language,
            profile=self.state.profile,
            category=last.get("category"),
            subcategory=last.get("subcategory"),
            risk=last.get("risk"),
            max_risk=self.vars.get("max_risk"),
            situation=self.situation,
        )

    # --- output ---------------------------------------------------------------------------

    def say(self, texts: Texts, buttons: tuple[Button, ...] = ()) -> None:
        self.replies.append(Reply(text=self._fill(texts.get(self.language)), buttons=buttons))

    def _fill(self, text: str) -> str:
        s = self.situation
        values = {"position": s.queue_position, "wait_minutes": s.expected_wait_minutes}
        return _PLACEHOLDER.sub(
            lambda m: "?" if values[m.group(1)] is None else str(values[m.group(1)]), text
        )

    def act(self, kind: str, **data: Any) -> None:
        self.actions.append(Action(kind=kind, data=data))  # type: ignore[arg-type]

    def handoff(self, reason: str, priority: str, source: str) -> None:
        last = self.vars.get("last") or {}
        self.act(
            "handoff",
            reason=reason,
            priority=priority,
            source=source,
            risk_level=self.vars.get("max_risk") or "none",
            category=last.get("category"),
            language=self.language,
            flow=self.state.flow,
            step=self.state.step,
        )

    def say_handed_off(self, text: Texts | None) -> None:
        """Tell the child a person is coming, or, out of hours, what happens now."""
        if self.situation.counsellors_on_shift:
            self.say(text or self.rails.handoff)
            return
        flow = self.fs.get(self.config.out_of_hours_flow)
        if flow is None or self._in_out_of_hours:
            self.say(self.rails.out_of_hours)
            return
        self._in_out_of_hours = True
        self.run(flow, flow.start)

    # --- where the child is ---------------------------------------------------------------

    def clear_flow(self) -> None:
        self.state.flow = self.state.step = self.state.flow_version = None

    def current(self) -> tuple[Flow | None, Step | None, bool]:
        """(flow, step, restarted). A publish never breaks a child mid-flow: the version they
        started is used while it is loaded; else the same step of the new version if it is
        still the same kind of step; else the flow starts again from the top."""
        st = self.state
        if not st.flow:
            return None, None, False
        flow = self.fs.get(st.flow, st.flow_version)
        if flow is not None and flow.step(st.step) is not None:
            return flow, flow.step(st.step), False
        latest = self.fs.get(st.flow)
        if latest is None:
            self.clear_flow()
            return None, None, False
        old_type = flow.step(st.step).type if flow and flow.step(st.step) else None
        same = latest.step(st.step)
        if same is not None and (old_type is None or same.type == old_type):
            st.flow_version = latest.version
            return latest, same, False
        return latest, None, True

    def reprompt(self) -> None:
        flow, step, restarted = self.current()
        if restarted and flow is not None:
            self.run(flow, flow.start)
        elif isinstance(step, ChoiceStep | AskStep):
            self.say_step(flow, step)

    def say_step(self, flow: Flow, step: ChoiceStep | AskStep) -> None:
        buttons: tuple[Button, ...] = ()
        if isinstance(step, ChoiceStep):
            buttons = tuple(
                Button(label=b.label.get(self.language), data=button_data(flow.id, step.id, b.id))
                for b in step.buttons
            )
        self.say(step.text, buttons)

    # --- walking a flow -------------------------------------------------------------------

    def run(self, flow: Flow, step_id: str | None, answer: bool = False) -> None:
        """Walk from `step_id` until a step waits for the child or the flow ends.

        `answer`: the event's text answers the first `ask` met on the way (so a child who
        already said what is wrong is not asked again); a `choice` met first drops it.
        """
        for _ in range(self.config.max_auto_steps):
            step = flow.step(step_id)
            if step is None:
                log.error("flow %s v%s has no step %s", flow.id, flow.version, step_id)
                self.clear_flow()
                return
            self.state.flow, self.state.step = flow.id, step.id
            self.state.flow_version = flow.version
            if isinstance(step, MessageStep):
                self.say(step.text)
                step_id = step.next
            elif isinstance(step, SetStep):
                self.set_profile(step.field, step.value)
                step_id = step.next
            elif isinstance(step, ConditionStep):
                step_id = self.branch(step.branches, step.otherwise)
            elif isinstance(step, LinkStep):
                target = self.fs.get(step.flow)
                if target is None:
                    log.error("flow %s links to missing flow %s", flow.id, step.flow)
                    self.clear_flow()
                    return
                flow, step_id = target, target.start
            elif isinstance(step, HandoffStep):
                self.handoff(step.reason, step.priority, source="flow")
                self.clear_flow()
                self.say_handed_off(step.text)
                return
            elif isinstance(step, EndStep):
                if step.text is not None:
                    self.say(step.text)
                self.clear_flow()
                return
            elif isinstance(step, AskStep) and answer:
                answer = False
                step_id = self.branch(step.routes, step.otherwise)
            else:  # a choice, or an ask with nothing to answer it yet: wait for the child
                self.say_step(flow, step)  # type: ignore[arg-type]
                return
        log.error(
            "flow %s: more than %d steps without waiting", flow.id, self.config.max_auto_steps
        )
        self.clear_flow()

    def branch(self, branches, otherwise: str | None) -> str | None:
        facts = self.facts()
        for b in branches:
            if matches(b.when, facts):
                return b.next
        return otherwise

    def set_profile(self, field: str, value: Any) -> None:
        changes = {field: value}
        if field == "age" and isinstance(value, int):
            changes["age_band"] = age_band_of(value)
        self.state.profile.update(changes)
        self.act("set_profile", **changes)
