"""A small chat driver that scripts whole conversations (send, click, command) the way a
child would, and a fake NLU analysis (flows never import nlu)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from flows.runner import FlowRunner
from flows.types import FlowEvent, FlowState, Reply, Situation, StepResult


@dataclass(frozen=True)
class FakeRisk:
    level: str = "none"
    score: float = 0.0
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class FakeAnalysis:
    """Satisfies flows.types.AnalysisLike without importing nlu."""

    language: str = "en"
    category: str = "other"
    subcategory: str | None = None
    risk: FakeRisk = field(default_factory=FakeRisk)
    asks_for_human: bool = False
    needs_human: bool = False


def analysis(category="other", *, language="en", risk="none", subcategory=None, **kw):
    reasons = (f"{risk} test signal",) if risk != "none" else ()
    return FakeAnalysis(
        language=language,
        category=category,
        subcategory=subcategory,
        risk=FakeRisk(level=risk, reasons=reasons),
        **kw,
    )


class Chat:
    """One child talking to the runner; keeps state between turns like the core does."""

    def __init__(self, runner: FlowRunner, situation: Situation | None = None) -> None:
        self.runner = runner
        self.state = FlowState()
        self.situation = situation or Situation()
        self.last: StepResult | None = None
        self.actions = []

    def _step(self, event: FlowEvent) -> list[Reply]:
        # State goes through JSON-like dicts, as it does in the database.
        state = FlowState.from_dict(self.state.to_dict())
        self.last = self.runner.step(state, replace(event, situation=self.situation))
        self.state = self.last.state
        self.actions.extend(self.last.actions)
        return self.last.replies

    def command(self, name: str) -> list[Reply]:
        return self._step(FlowEvent(kind="command", command=name))

    def start(self, flow: str | None = None) -> list[Reply]:
        return self._step(FlowEvent(kind="start", flow=flow))

    def send(self, text: str, **analysis_kw) -> list[Reply]:
        return self._step(FlowEvent(kind="text", text=text, analysis=analysis(**analysis_kw)))

    def click(self, label_or_data: str) -> list[Reply]:
        """Tap the button whose label contains `label_or_data` in the last replies."""
        for reply in reversed(self.last.replies if self.last else []):
            for button in reply.buttons:
                if label_or_data in (button.label, button.data) or label_or_data in button.label:
                    return self._step(FlowEvent(kind="button", button=button.data))
        raise AssertionError(f"no button {label_or_data!r} in {self.buttons()}")

    def buttons(self) -> list[str]:
        if not self.last:
            return []
        return [b.label for r in self.last.replies for b in r.buttons]

    def texts(self) -> str:
        return "\n".join(r.text for r in (self.last.replies if self.last else []))

    def kinds(self) -> list[str]:
        return [a.kind for a in (self.last.actions if self.last else [])]
