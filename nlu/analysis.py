"""The result of analysing one child message: what it is about and how much danger the child is in.

These types are the contract between `nlu` and the rest of the project (the core, the flow
runner, the escalation queue). They are plain frozen dataclasses so they can be logged as counts,
stored as JSON and compared in tests.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

RiskLevel = Literal["none", "low", "medium", "high", "imminent"]
RISK_LEVELS: tuple[RiskLevel, ...] = ("none", "low", "medium", "high", "imminent")
URGENT_LEVELS: frozenset[str] = frozenset({"high", "imminent"})

Language = Literal["az", "ru", "en", "other"]


def risk_rank(level: str) -> int:
    """Position of a level in RISK_LEVELS, so levels can be compared and maxed."""
    return RISK_LEVELS.index(level)


def higher_risk(a: str, b: str) -> str:
    return a if risk_rank(a) >= risk_rank(b) else b


@dataclass(frozen=True)
class Risk:
    level: RiskLevel = "none"
    score: float = 0.0
    reasons: tuple[str, ...] = ()

    @property
    def is_urgent(self) -> bool:
        return self.level in URGENT_LEVELS


@dataclass(frozen=True)
class Analysis:
    language: Language = "other"
    category: str = "other"
    subcategory: str | None = None
    risk: Risk = field(default_factory=Risk)
    # The child asked, in plain words, to talk to a person ("insanla danışmaq istəyirəm").
    asks_for_human: bool = False
    # The analysis could not be done properly (backend down, timeout, error): a person must look.
    needs_human: bool = False

    def to_dict(self) -> dict:
        data = asdict(self)
        data["risk"]["reasons"] = list(self.risk.reasons)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Analysis:
        risk = data.get("risk") or {}
        return cls(
            language=data.get("language", "other"),
            category=data.get("category", "other"),
            subcategory=data.get("subcategory"),
            risk=Risk(
                level=risk.get("level", "none"),
                score=float(risk.get("score", 0.0)),
                reasons=tuple(risk.get("reasons", ())),
            ),
            asks_for_human=bool(data.get("asks_for_human", False)),
            needs_human=bool(data.get("needs_human", False)),
        )


def failed_analysis(reason: str) -> Analysis:
    """What the core uses when NLU fails: never 'safe', always a person."""
    return Analysis(
        risk=Risk(level="high", score=1.0, reasons=(f"automatic analysis failed: {reason}",)),
        needs_human=True,
    )
