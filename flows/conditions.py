"""Checking a step's condition against what the runner knows of the child and the moment."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flows.model import Condition, risk_rank
from flows.types import Situation


@dataclass(frozen=True)
class Facts:
    language: str
    profile: dict[str, Any]
    category: str | None
    subcategory: str | None
    risk: str | None  # of the last analysed message
    max_risk: str | None  # the highest risk seen in this conversation
    situation: Situation


def _any(allowed: tuple[str, ...], value: Any) -> bool:
    return not allowed or (value is not None and str(value) in allowed)


def _hour_in(hour: int, start: int | None, end: int | None) -> bool:
    start = 0 if start is None else start
    end = 24 if end is None else end
    if start <= end:
        return start <= hour < end
    return hour >= start or hour < end  # e.g. 22..7, across midnight


def matches(cond: Condition, facts: Facts) -> bool:
    s = facts.situation
    checks = (
        _any(cond.language, facts.language),
        _any(cond.age_band, facts.profile.get("age_band")),
        _any(cond.gender, facts.profile.get("gender")),
        all(facts.profile.get(key) not in (None, "") for key in cond.has),
        _any(cond.category, facts.category),
        _any(cond.subcategory, facts.subcategory),
        _any(cond.risk, facts.risk or "none"),
        cond.risk_at_least is None or risk_rank(facts.max_risk) >= risk_rank(cond.risk_at_least),
        cond.on_shift is None or cond.on_shift == s.counsellors_on_shift,
        (cond.hour_from is None and cond.hour_to is None)
        or _hour_in(s.local_hour, cond.hour_from, cond.hour_to),
        _any(cond.status, s.status),
        cond.position_known is None or cond.position_known == (s.queue_position is not None),
        cond.wait_known is None or cond.wait_known == (s.expected_wait_minutes is not None),
    )
    return all(checks)
