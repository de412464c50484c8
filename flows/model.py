"""The flow model: one frozen dataclass per step type, a flow, and a set of flows.

A flow is a list of steps. A step that does not wait for the child (message, set, condition)
goes on to its `next` step, or, when `next` is left out, to the step written after it.
Waiting steps (choice, ask) stop and wait for the child. A flow ends with `end`, `handoff`
(to a person) or `link` (into another flow).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

LANGUAGES: tuple[str, ...] = ("az", "ru", "en")
DEFAULT_LANGUAGE = "az"

PROFILE_VALUES: dict[str, tuple[str, ...] | None] = {
    "language": LANGUAGES,
    "age_band": ("0-10", "11-14", "15-18", "unknown"),
    "gender": ("female", "male", "anonymous"),  # "prefer not to say" is stored as anonymous
    "age": None,  # a whole number, 0..25
}
PRIORITIES: tuple[str, ...] = ("normal", "high", "urgent")
RISK_ORDER: tuple[str, ...] = ("none", "low", "medium", "high", "imminent")
BUTTON_ACTIONS: tuple[str, ...] = ("feedback", "cancel_handoff")
PLACEHOLDERS: tuple[str, ...] = ("position", "wait_minutes")
WAITING_TYPES = frozenset({"choice", "ask"})
TERMINAL_TYPES = frozenset({"end", "handoff", "link"})


def age_band_of(age: int) -> str:
    if age <= 10:
        return "0-10"
    if age <= 14:
        return "11-14"
    if age <= 18:
        return "15-18"
    return "unknown"


def risk_rank(level: str | None) -> int:
    return RISK_ORDER.index(level) if level in RISK_ORDER else 0


@dataclass(frozen=True)
class Texts:
    """One text in every language the helpline serves."""

    az: str
    ru: str
    en: str

    def get(self, language: str | None) -> str:
        return getattr(self, language) if language in LANGUAGES else self.az

    def items(self) -> tuple[tuple[str, str], ...]:
        return (("az", self.az), ("ru", self.ru), ("en", self.en))


@dataclass(frozen=True)
class Condition:
    """All given keys must match; a list means "any of these". Empty means "always"."""

    language: tuple[str, ...] = ()
    age_band: tuple[str, ...] = ()
    gender: tuple[str, ...] = ()
    has: tuple[str, ...] = ()  # profile fields the child has answered
    category: tuple[str, ...] = ()  # of the last message the bot analysed
    subcategory: tuple[str, ...] = ()
    risk: tuple[str, ...] = ()
    risk_at_least: str | None = None  # the highest risk seen in this conversation
    on_shift: bool | None = None  # counsellors on shift now
    hour_from: int | None = None  # local hour, from (inclusive)
    hour_to: int | None = None  # local hour, to (exclusive); may wrap past midnight
    status: tuple[str, ...] = ()  # bot | waiting | counsellor | closed
    position_known: bool | None = None
    wait_known: bool | None = None


@dataclass(frozen=True)
class Branch:
    when: Condition
    next: str | None


@dataclass(frozen=True, kw_only=True)
class Step:
    id: str
    type: str = ""
    line: int | None = None


@dataclass(frozen=True, kw_only=True)
class MessageStep(Step):
    text: Texts
    next: str | None


@dataclass(frozen=True)
class ChoiceButton:
    id: str
    label: Texts
    next: str | None
    action: str | None = None  # feedback | cancel_handoff
    value: str | None = None


@dataclass(frozen=True, kw_only=True)
class ChoiceStep(Step):
    text: Texts
    buttons: tuple[ChoiceButton, ...]
    on_text: str | None = None  # where typed text goes; unset: ask again with a hint


@dataclass(frozen=True, kw_only=True)
class AskStep(Step):
    text: Texts
    routes: tuple[Branch, ...] = ()
    otherwise: str | None = None  # `else:` in YAML


@dataclass(frozen=True, kw_only=True)
class SetStep(Step):
    field: str
    value: Any
    next: str | None


@dataclass(frozen=True, kw_only=True)
class ConditionStep(Step):
    branches: tuple[Branch, ...]
    otherwise: str | None


@dataclass(frozen=True, kw_only=True)
class LinkStep(Step):
    flow: str


@dataclass(frozen=True, kw_only=True)
class HandoffStep(Step):
    reason: str
    priority: str = "normal"
    text: Texts | None = None


@dataclass(frozen=True, kw_only=True)
class EndStep(Step):
    text: Texts | None = None


def successors(step: Step) -> list[str | None]:
    """Every step id this step can go to inside its flow (None: a missing target)."""
    if isinstance(step, MessageStep | SetStep):
        return [step.next]
    if isinstance(step, ChoiceStep):
        targets = [b.next for b in step.buttons]
        return targets + ([step.on_text] if step.on_text else [])
    if isinstance(step, AskStep):
        return [r.next for r in step.routes] + [step.otherwise]
    if isinstance(step, ConditionStep):
        return [b.next for b in step.branches] + [step.otherwise]
    return []


@dataclass(frozen=True)
class Flow:
    id: str
    steps: dict[str, Step]  # in the order written; the first is where the flow starts
    title: str = ""
    description: str = ""
    version: int = 0
    source: str = ""  # file name, for messages

    @property
    def start(self) -> str:
        return next(iter(self.steps))

    def step(self, step_id: str | None) -> Step | None:
        return self.steps.get(step_id) if step_id else None


@dataclass(frozen=True)
class FlowSet:
    """The flows children are served now, plus recent older versions of each.

    Older versions are kept so that a child in the middle of a flow finishes the version they
    started (see FlowLibrary).
    """

    flows: dict[str, Flow]
    history: dict[tuple[str, int], Flow] = field(default_factory=dict)

    def get(self, flow_id: str | None, version: int | None = None) -> Flow | None:
        if not flow_id:
            return None
        current = self.flows.get(flow_id)
        if version is None or (current is not None and current.version == version):
            return current
        return self.history.get((flow_id, version))

    def __contains__(self, flow_id: object) -> bool:
        return flow_id in self.flows

    def ids(self) -> list[str]:
        return sorted(self.flows)
