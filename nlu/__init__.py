"""NLU: what a child's message is about (taxonomy category) and how much danger the child is in.

    from nlu import analyze
    analysis = analyze("ozumu oldurmek isteyirem", context=["salam"])

`analyze` is synchronous and uses the built-in model (loaded once, lazily). `build_analyzer`
returns an object with `async analyze(text, context)` for the core: the built-in model, or a
Rasa server for the topic with the in-process risk rules on top. This package imports nothing
else of the project.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from nlu.analysis import RISK_LEVELS, Analysis, Risk, failed_analysis

__all__ = [
    "RISK_LEVELS",
    "Analysis",
    "Analyzer",
    "Risk",
    "analyze",
    "build_analyzer",
    "failed_analysis",
]


@runtime_checkable
class Analyzer(Protocol):
    async def analyze(self, text: str, context: Sequence[str] = ()) -> Analysis: ...


def analyze(text: str, context: Sequence[str] = ()) -> Analysis:
    """Analyse one child message; `context` = the conversation's earlier child messages, oldest first."""
    from nlu.analyzer import default_analyzer

    return default_analyzer().analyze(text, context)


class _AsyncBuiltin:
    def __init__(self) -> None:
        from nlu.analyzer import default_analyzer

        self._impl = default_analyzer()

    async def analyze(self, text: str, context: Sequence[str] = ()) -> Analysis:
        return self._impl.analyze(text, context)

    async def aclose(self) -> None:
        """Nothing to release; here so every analyser can be closed the same way."""


def build_analyzer(
    backend: str = "builtin", rasa_url: str | None = None, timeout_seconds: float = 2.0
) -> Analyzer:
    """`backend` is "builtin" or "rasa" (then `rasa_url` is required)."""
    if backend == "builtin":
        return _AsyncBuiltin()
    if backend == "rasa":
        if not rasa_url:
            raise ValueError("the rasa NLU backend needs a rasa_url (HELPLINE_RASA_URL)")
        from nlu.analyzer import default_analyzer
        from nlu.rasa_backend import RasaAnalyzer

        return RasaAnalyzer(default_analyzer(), rasa_url, timeout_seconds)
    raise ValueError(f"unknown NLU backend {backend!r} (builtin or rasa)")
