"""The flow runner: what the bot says next, with the safety rails no flow can remove.

For every event the rails are checked first, in this order, whatever flow or step the child
is in (flows only decide what happens when no rail fires):

1. commands: start, help, language, human, delete (always work);
2. the runner's own buttons (talk to a person, delete yes/no, language);
3. risk: analysis.risk.level high/imminent, or analysis.needs_human (NLU failed) -> an urgent
   handoff and a safety reply with the emergency numbers, interrupting any flow;
4. the child asks for a person in words (analysis.asks_for_human) -> handoff.

Then: with a counsellor, the bot is silent; while waiting, free text is for the counsellor and
the bot answers with the while-you-wait flow only now and then; otherwise the flow goes on.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

from flows.build import parse_button_data
from flows.model import LANGUAGES, AskStep, ChoiceStep, FlowSet
from flows.rails import LANGUAGE_LABELS, RailTexts, load_rail_texts
from flows.turn import RunnerConfig, Turn
from flows.types import Button, FlowEvent, FlowState, StepResult

URGENT = frozenset({"high", "imminent"})
RAIL_HUMAN = "rail:human"
RAIL_DELETE_YES = "rail:delete:yes"
RAIL_DELETE_NO = "rail:delete:no"
RAIL_LANGUAGE = "rail:lang:"

FlowSetProvider = Callable[[], FlowSet]

__all__ = ["FlowRunner", "RunnerConfig", "RAIL_HUMAN", "RAIL_DELETE_YES", "RAIL_DELETE_NO"]


class FlowRunner:
    def __init__(
        self,
        flowset_provider: FlowSetProvider | FlowSet,
        *,
        rail_texts: RailTexts | None = None,
        config: RunnerConfig | None = None,
    ) -> None:
        """`flowset_provider`: a FlowSet, or a callable returning the one to use now (a
        FlowLibrary, so a publish takes effect on the next message)."""
        if isinstance(flowset_provider, FlowSet):
            fixed = flowset_provider
            self._provider: FlowSetProvider = lambda: fixed
        else:
            self._provider = flowset_provider
        self.rails = rail_texts or load_rail_texts()
        self.config = config or RunnerConfig()

    def step(self, state: FlowState, event: FlowEvent) -> StepResult:
        turn = Turn(self._provider(), copy.deepcopy(state), event, self.rails, self.config)
        turn.note_analysis()
        if event.situation.status != "waiting":
            # A new wait starts counting afresh.
            turn.vars.pop("wait_texts", None)
            turn.vars.pop("safety_told", None)
        self._dispatch(turn)
        return StepResult(replies=turn.replies, state=turn.state, actions=turn.actions)

    def _dispatch(self, t: Turn) -> None:
        ev = t.event
        status = ev.situation.status
        if ev.kind in ("command", "start"):
            return self._command(t, ev.command if ev.kind == "command" else "start")
        if ev.kind == "button" and (ev.button or "").startswith("rail:"):
            return self._rail_button(t, ev.button or "")
        a = ev.analysis
        if a is not None and (a.risk.level in URGENT or a.needs_human):
            return self._risk(t)
        if a is not None and a.asks_for_human:
            return self._human(t, source="words")
        if status == "counsellor":
            return None  # the counsellor reads it; the bot keeps out of the way
        if status == "waiting" and ev.kind != "button":
            return self._while_waiting(t)
        if ev.kind == "button":
            return self._flow_button(t, ev.button or "")
        if ev.kind == "media":
            t.say(self.rails.media)
            return t.reprompt()
        return self._flow_text(t)

    # --- rails ----------------------------------------------------------------------------

    def _command(self, t: Turn, command: str | None) -> None:
        t.vars.pop("pending", None)
        if command == "start":
            flow = t.fs.get(t.event.flow or self.config.welcome_flow)
            t.clear_flow()
            return t.run(flow, flow.start) if flow else t.say(self.rails.greeting)
        if command == "language":
            buttons = tuple(
                Button(label=LANGUAGE_LABELS[lang], data=RAIL_LANGUAGE + lang) for lang in LANGUAGES
            )
            return t.say(self.rails.language_choose, buttons)
        if command == "human":
            return self._human(t, source="command")
        if command == "delete":
            t.vars["pending"] = "delete"
            buttons = (
                Button(label=self.rails.delete_yes.get(t.language), data=RAIL_DELETE_YES),
                Button(label=self.rails.delete_no.get(t.language), data=RAIL_DELETE_NO),
            )
            return t.say(self.rails.delete_confirm, buttons)
        # help, and any command the bot does not know
        flow = t.fs.get(self.config.help_flow)
        if flow is not None:
            t.clear_flow()
            return t.run(flow, flow.start)
        human = Button(label=self.rails.human_button.get(t.language), data=RAIL_HUMAN)
        return t.say(self.rails.help, (human,))

    def _rail_button(self, t: Turn, data: str) -> None:
        if data == RAIL_HUMAN:
            return self._human(t, source="button")
        if data == RAIL_DELETE_YES:
            t.say(self.rails.deleted)  # said in the child's language before it is erased
            t.act("delete_data")
            t.state = FlowState()
            return None
        if data == RAIL_DELETE_NO:
            t.vars.pop("pending", None)
            t.say(self.rails.delete_kept)
            return t.reprompt()
        if data.startswith(RAIL_LANGUAGE) and data[len(RAIL_LANGUAGE) :] in LANGUAGES:
            t.set_profile("language", data[len(RAIL_LANGUAGE) :])
            t.say(self.rails.language_set)
            return t.reprompt()
        return t.reprompt()

    def _risk(self, t: Turn) -> None:
        a = t.event.analysis
        level = a.risk.level if a.risk.level in URGENT else "high"
        why = "; ".join(a.risk.reasons) or ("analysis failed" if a.needs_human else "")
        t.handoff(f"risk {level}: {why}".rstrip(": "), "urgent", source="risk")
        status = t.situation.status
        if status == "counsellor":
            return None  # a person is already there; the action flags the risk to them
        if status == "waiting":
            if t.vars.get("safety_told"):
                return self._while_waiting(t)
            t.vars["safety_told"] = True
            t.say(self.rails.safety)
            return self._while_waiting(t, force=True)
        t.clear_flow()
        t.say(self.rails.safety)
        t.vars["safety_told"] = True
        if not t.situation.counsellors_on_shift:
            t.say_handed_off(None)

    def _human(self, t: Turn, source: str) -> None:
        status = t.situation.status
        if status == "counsellor":
            if source != "words":
                t.say(self.rails.with_counsellor)
            return None
        if status == "waiting":
            return self._while_waiting(t, force=True)
        urgent = t.vars.get("max_risk") in URGENT
        t.handoff("the child asked for a person", "urgent" if urgent else "normal", source)
        t.clear_flow()
        t.say_handed_off(None)

    def _while_waiting(self, t: Turn, force: bool = False) -> None:
        """Text while waiting is for the counsellor; answer only the 1st, 6th, ... of it."""
        count = int(t.vars.get("wait_texts") or 0) + 1
        t.vars["wait_texts"] = count
        if not force and (count - 1) % self.config.wait_reply_every:
            return
        if force:
            t.vars["wait_texts"] = 1
        flow = t.fs.get(self.config.while_you_wait_flow)
        if flow is None:
            return t.say(self.rails.waiting)
        t.run(flow, flow.start)

    # --- the flow -------------------------------------------------------------------------

    def _flow_button(self, t: Turn, data: str) -> None:
        parsed = parse_button_data(data)
        flow = step = None
        if parsed:
            flow_id, step_id, button_id = parsed
            if t.state.flow == flow_id:
                flow, step, _ = t.current()
                step = flow.step(step_id) if flow else None
            else:
                flow = t.fs.get(flow_id)
                step = flow.step(step_id) if flow else None
        button = None
        if isinstance(step, ChoiceStep):
            button = next((b for b in step.buttons if b.id == parsed[2]), None)
        if button is None:  # an old button that no longer exists
            if t.state.flow:
                return t.reprompt()
            return self._start_triage(t, answer=False)
        self._flow_button_press(t, flow, button)

    def _flow_text(self, t: Turn) -> None:
        flow, step, restarted = t.current()
        if flow is None:
            return self._start_triage(t, answer=True)
        if restarted:
            return t.run(flow, flow.start, answer=True)
        if isinstance(step, AskStep):
            return t.run(flow, t.branch(step.routes, step.otherwise))
        if isinstance(step, ChoiceStep):
            typed = (t.event.text or "").strip().casefold()
            for button in step.buttons:
                if typed and typed in {label.casefold() for _, label in button.label.items()}:
                    return self._flow_button_press(t, flow, button)
            if step.on_text:
                return t.run(flow, step.on_text, answer=True)
            t.say(self.rails.tap_button)
            return t.say_step(flow, step)
        return self._start_triage(t, answer=True)

    def _flow_button_press(self, t: Turn, flow, button) -> None:
        if button.action == "feedback":
            t.act("feedback", value=button.value or button.id, flow=flow.id)
        elif button.action == "cancel_handoff":
            t.act("cancel_handoff")
        t.run(flow, button.next)

    def _start_triage(self, t: Turn, answer: bool) -> None:
        flow = t.fs.get(self.config.triage_flow)
        if flow is None:
            return t.say(self.rails.greeting)
        t.run(flow, flow.start, answer=answer)
