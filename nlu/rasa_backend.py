"""Rasa as an optional category backend: `POST {rasa_url}/model/parse`.

Rasa is trained on the same nlu/data/ files, so its intent names are ours. It only replaces the
topic: language and the risk rules still run in process, and Rasa can raise the risk level but
never lower it. A Rasa that is down, slow or answers nonsense makes the analysis "needs a human",
never "safe".
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace

import httpx

from nlu.analysis import Analysis, Risk, higher_risk
from nlu.analyzer import BuiltinAnalyzer
from nlu.taxonomy import ASK_HUMAN_INTENT, load_taxonomy

log = logging.getLogger(__name__)
RISK_PREFIX = "risk_"
FALLBACK_INTENT = "nlu_fallback"  # Rasa's FallbackClassifier (deploy/rasa/config.yml)


class RasaAnalyzer:
    def __init__(
        self,
        builtin: BuiltinAnalyzer,
        rasa_url: str,
        timeout_seconds: float = 2.0,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.builtin = builtin
        self.url = rasa_url.rstrip("/") + "/model/parse"
        self.timeout = timeout_seconds
        self._client = client
        self.taxonomy = load_taxonomy()

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self.timeout)
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def analyze(self, text: str, context: Sequence[str] = ()) -> Analysis:
        local = self.builtin.analyze(text, context)
        try:
            response = await self._http().post(self.url, json={"text": text}, timeout=self.timeout)
            response.raise_for_status()
            intent = _parse_intent(response.json())
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
            # no message text in logs, only what went wrong
            log.warning("rasa backend failed: %s", type(exc).__name__)
            return _needs_human(local, f"rasa backend failed: {type(exc).__name__}")
        return self._merge(local, intent)

    def _merge(self, local: Analysis, intent: str) -> Analysis:
        if intent == FALLBACK_INTENT:
            return local  # Rasa is unsure: the built-in topic stands
        if intent.startswith(RISK_PREFIX):
            # a Rasa trained on risk.yml too may answer with a risk intent: it can only raise
            level = intent[len(RISK_PREFIX) :]
            if level in ("none", "low", "medium", "high", "imminent"):
                raised = higher_risk(local.risk.level, level)
                if raised != local.risk.level:
                    risk = Risk(
                        level=raised,  # type: ignore[arg-type]
                        score=max(local.risk.score, 0.6 if raised in ("high", "imminent") else 0),
                        reasons=local.risk.reasons + (f"rasa: {intent}",),
                    )
                    return replace(local, risk=risk)
            return local
        asks = local.asks_for_human or intent == ASK_HUMAN_INTENT
        if intent == ASK_HUMAN_INTENT:
            return replace(local, asks_for_human=asks)
        category, subcategory = self.taxonomy.split(intent)
        return replace(local, category=category, subcategory=subcategory, asks_for_human=asks)


def _parse_intent(body: object) -> str:
    if not isinstance(body, dict):
        raise ValueError("rasa answer is not an object")
    intent = body["intent"]
    name = intent.get("name") if isinstance(intent, dict) else None
    if not isinstance(name, str) or not name:
        raise ValueError("rasa answer has no intent name")
    return name


def _needs_human(local: Analysis, reason: str) -> Analysis:
    level = higher_risk(local.risk.level, "high")
    risk = Risk(
        level=level,  # type: ignore[arg-type]
        score=max(local.risk.score, 0.6),
        reasons=local.risk.reasons + (reason,),
    )
    return replace(local, risk=risk, needs_human=True)
