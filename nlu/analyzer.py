"""The built-in analyser: normalisation → language → category → layered risk."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from nlu.analysis import Analysis, Risk, risk_rank
from nlu.featurize import featurize
from nlu.langid import detect
from nlu.lexicon import load_lexicon
from nlu.model import NluModel, load_model
from nlu.normalize import normalize
from nlu.rules import Scan, assess, effective_hits, scan
from nlu.taxonomy import ASK_HUMAN_INTENT, load_taxonomy
from nlu.train import model_level, urgent_topic_p

# Score bands per level, so that the score always agrees with the level.
_BANDS = {
    "none": (0.0, 0.15),
    "low": (0.15, 0.35),
    "medium": (0.35, 0.6),
    "high": (0.6, 0.9),
    "imminent": (0.9, 1.0),
}
CONTEXT_LIMIT = 8  # earlier messages looked at; older ones were assessed when they came


@dataclass(frozen=True)
class _MessageView:
    """What one message contributes, cached by text (context messages come back every turn)."""

    scan: Scan
    model_level: str
    p_urgent: float
    language: str
    category: str
    subcategory: str | None
    asks_for_human: bool


class BuiltinAnalyzer:
    def __init__(self, model: NluModel, cache_size: int = 4096) -> None:
        self.model = model
        self.taxonomy = load_taxonomy()
        self.lexicon = load_lexicon()
        self._stack_weights()
        self._signal_topic = {s.name: s.topic for s in self.lexicon.signals if s.topic}
        self._category_prior = category_prior_factors(
            self.model.category.classes,
            self.taxonomy.contact_counts or {},
            self.model.calibration.category_prior_weight,
        )
        self._view = (
            lru_cache(maxsize=cache_size)(self._compute_view) if cache_size else self._compute_view
        )

    def _stack_weights(self) -> None:
        """One gather for all three models: the rows of a message are read once."""
        models = [m for m in (self.model.category, self.model.risk, self.model.language) if m]
        bounds = np.cumsum([0] + [len(m.classes) for m in models])
        self._slices = {id(m): slice(bounds[i], bounds[i + 1]) for i, m in enumerate(models)}
        self._bias = np.concatenate([m.bias for m in models]).astype(np.float32)
        if self.model.stacked is not None and self.model.stacked.shape[1] == bounds[-1]:
            self._stacked = self.model.stacked  # read() already laid them side by side
            return
        self._stacked = np.hstack([m.weights for m in models])
        for m in models:  # the models now read their columns of the stacked matrix
            m.weights = self._stacked[:, self._slices[id(m)]]

    def _probas(self, vec) -> dict[int, np.ndarray]:
        idx, vals = vec
        z = vals @ self._stacked[idx] + self._bias
        out = {}
        for key, sl in self._slices.items():
            part = z[sl]
            e = np.exp(part - part.max())
            out[key] = e / e.sum()
        return out

    # -- one message --------------------------------------------------------------------------
    def _compute_view(self, text: str) -> _MessageView:
        norm = normalize(text)
        vec = featurize(norm, self.lexicon)
        found = scan(norm, self.lexicon)
        probas = self._probas(vec)
        lang_model = self.model.language
        language = detect(norm, lang_model, self.model.vocab, vec, probas.get(id(lang_model)))
        category, subcategory, asks, topic_p = self._category(
            probas[id(self.model.category)], found
        )
        m_level, p_urgent = "none", 0.0
        if self.model.risk is not None:
            p = probas[id(self.model.risk)]
            m_level = model_level(p, self.model.risk.classes, self.model.calibration)
            if topic_p >= self.model.calibration.topic_threshold:
                m_level = max(m_level, "high", key=risk_rank)
            probs = dict(zip(self.model.risk.classes, p.tolist(), strict=True))
            p_urgent = probs.get("high", 0.0) + probs.get("imminent", 0.0)
            impersonal = found.fiction and not any(h.personal for h in found.hits)
            over = found.past and not any(
                risk_rank(h.level) >= risk_rank("high") for h in effective_hits(found)
            )
            if impersonal or over or found.joke or self._idiom_only(norm.key, found):
                # a film, a lesson or an idiom: the words look like risk, the rules know better
                m_level = min(m_level, "medium", key=risk_rank)
        return _MessageView(found, m_level, p_urgent, language, category, subcategory, asks)

    def _idiom_only(self, key: str, found: Scan) -> bool:
        idioms = self.lexicon.idioms
        # time words ("rn", "tonight") alone are no risk signal: only real signals count here
        signals = [h for h in found.hits if h.level != "none"]
        return not signals and idioms is not None and idioms.search(key) is not None

    def _category(self, p: np.ndarray, found: Scan) -> tuple[str, str | None, bool, float]:
        model = self.model.category
        # the urgent-topic probability feeds the risk level: taken before the prior, which
        # would lower it for rare topics such as suicidal thoughts
        topic_p = urgent_topic_p(p, model.classes, self.taxonomy.urgent_topics)
        if self._category_prior is not None:
            p = p * self._category_prior
            p = p / p.sum()
        order = np.argsort(-p)
        top = model.classes[order[0]]
        asks = found.asks_human or top == ASK_HUMAN_INTENT
        intent = top
        if top == ASK_HUMAN_INTENT and len(order) > 1:
            # "I want to talk to someone, my dad beats me": the topic is the second intent
            second = model.classes[order[1]]
            if self.taxonomy.is_topic(second) and p[order[1]] >= 0.2:
                intent = second
        intent = self._topic_from_signals(intent, p, found)
        category, sub = self.taxonomy.split(intent)
        return category, sub, asks, topic_p

    def _topic_from_signals(self, intent: str, p: np.ndarray, found: Scan) -> str:
        """A clear risk signal names the topic (self-harm is counted under suicidal thoughts,
        sextortion under sexual violence): the lexicon is more precise than the classifier."""
        # only signals that are urgent by themselves: "suicide" in a prevention project (a
        # medium signal) leaves the topic to the classifier, which reads the whole message
        topics = [
            self._signal_topic[h.signal]
            for h in effective_hits(found)
            if self._signal_topic.get(h.signal) and risk_rank(h.level) >= risk_rank("high")
        ]
        if not topics:
            return intent
        for topic in topics:  # the classifier's own choice wins if a signal agrees with it
            if intent == topic or intent.partition("__")[0] == topic:
                return intent
        topic = topics[0]
        if "__" in topic:
            return topic
        within = [
            (p[i], c)
            for i, c in enumerate(self.model.category.classes)
            if c.startswith(topic + "__")
        ]
        return max(within)[1] if within else topic

    # -- a message in its conversation ----------------------------------------------------------
    def analyze(self, text: str, context: Sequence[str] = ()) -> Analysis:
        view = self._view(text or "")
        earlier = [self._view(t) for t in list(context)[-CONTEXT_LIMIT:] if t]
        rule = assess(view.scan, [v.scan for v in earlier])
        level = rule.level
        reasons = list(rule.reasons)
        if risk_rank(view.model_level) > risk_rank(level):
            level = view.model_level
            reasons.append(f"model: {view.model_level} (p urgent {view.p_urgent:.2f})")
        # earlier messages the model found urgent keep the conversation urgent
        for v in earlier:
            if risk_rank(v.model_level) >= risk_rank("high") and risk_rank(level) < risk_rank(
                "high"
            ):
                level = "high"
                reasons.append(f"earlier message — model: {v.model_level}")
        category, subcategory = view.category, view.subcategory
        lo, hi = _BANDS[level]
        score = round(min(max(view.p_urgent, rule.score, lo), hi), 3)
        return Analysis(
            language=view.language,  # type: ignore[arg-type]
            category=category,
            subcategory=subcategory,
            risk=Risk(level=level, score=score, reasons=tuple(reasons)),  # type: ignore[arg-type]
            asks_for_human=view.asks_for_human,
        )


def category_prior_factors(
    classes: Sequence[str], counts: dict[str, int], weight: float
) -> np.ndarray | None:
    """Multipliers (prior / uniform) ** weight for the topic probabilities: the classifier was
    trained on balanced intents, the helpline's contacts are not. None when there is no prior."""
    if weight <= 0 or not counts:
        return None
    known = [counts.get(c, 0) for c in classes]
    floor = max(1.0, 0.5 * min(v for v in known if v > 0)) if any(known) else 1.0
    share = np.asarray([max(float(v), floor) for v in known], dtype=np.float64)
    share /= share.sum()
    return (share * len(classes)) ** weight


_lock = threading.Lock()
_default: BuiltinAnalyzer | None = None


def default_analyzer() -> BuiltinAnalyzer:
    """The process-wide built-in analyser, loaded on first use."""
    global _default
    if _default is None:
        with _lock:
            if _default is None:
                _default = BuiltinAnalyzer(load_model())
    return _default
