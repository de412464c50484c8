"""The contract between the flow runner and the core that calls it.

The core turns every child event into a `FlowEvent`, asks the runner for a `StepResult`, sends
the replies, persists the new `FlowState` and carries out the actions (hand off to a person,
erase data). Everything here is JSON-serialisable so state survives restarts and publishes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Protocol

EventKind = Literal["start", "text", "button", "command", "media"]
ActionKind = Literal["handoff", "cancel_handoff", "delete_data", "set_profile", "feedback"]


class RiskLike(Protocol):
    level: str
    score: float
    reasons: tuple[str, ...]


class AnalysisLike(Protocol):
    """What the runner reads of an NLU analysis (nlu.Analysis satisfies it)."""

    language: str
    category: str
    subcategory: str | None
    risk: RiskLike
    asks_for_human: bool
    needs_human: bool


@dataclass(frozen=True)
class Button:
    label: str
    data: str  # callback data: at most 64 bytes (Telegram's limit)


@dataclass(frozen=True)
class Reply:
    text: str
    buttons: tuple[Button, ...] = ()


@dataclass(frozen=True)
class Action:
    kind: ActionKind
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Situation:
    """Facts about the conversation the runner may route on but does not own."""

    status: str = "bot"  # bot | waiting | counsellor | closed
    counsellors_on_shift: bool = True
    queue_position: int | None = None
    expected_wait_minutes: int | None = None
    local_hour: int = 12


@dataclass(frozen=True)
class FlowEvent:
    kind: EventKind
    text: str | None = None  # free text (kind text), or media kind name (kind media)
    button: str | None = None  # callback data (kind button)
    command: str | None = None  # "start" | "help" | "language" | "human" | "delete"
    analysis: AnalysisLike | None = None  # present for free text
    situation: Situation = field(default_factory=Situation)
    flow: str | None = None  # kind "start": the flow to start (default: the welcome flow)


@dataclass
class FlowState:
    flow: str | None = None
    step: str | None = None
    flow_version: int | None = None
    profile: dict[str, Any] = field(default_factory=dict)  # language, age, age_band, gender
    vars: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> FlowState:
        data = data or {}
        return cls(
            flow=data.get("flow"),
            step=data.get("step"),
            flow_version=data.get("flow_version"),
            profile=dict(data.get("profile") or {}),
            vars=dict(data.get("vars") or {}),
        )


@dataclass
class StepResult:
    replies: list[Reply] = field(default_factory=list)
    state: FlowState = field(default_factory=FlowState)
    actions: list[Action] = field(default_factory=list)
