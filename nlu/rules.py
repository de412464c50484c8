"""The deterministic risk layer: lexicon signals, idioms, negation, combinations, context.

`scan` finds the signals of one message; `assess` turns the signals of the current message and
of the earlier ones into a level and readable reasons. Levels only ever go up here: a signal
from an earlier message still counts ("I can't take it anymore" then "I have the pills").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from nlu.analysis import RISK_LEVELS, risk_rank
from nlu.lexicon import Lexicon, load_lexicon
from nlu.normalize import Normalized

URGENT_CORE = frozenset({"ideation", "self_harm", "method", "means_ready"})
# What turns thoughts into a plan: "plan and means: 'tonight', 'pills'".
PLAN_OR_MEANS = frozenset({"means", "means_ready", "method", "place", "plan", "time", "act", "now"})
DANGER_TO_CHILD = frozenset(
    {
        "physical_abuse",
        "sexual_abuse",
        "threat",
        "threat_with_weapon",
        "early_marriage",
        "sextortion",
        "grooming",
    }
)
# These signals describe someone else's story when the message is about a film, a book, a lesson.
# (Not the warning signs: "he posted on his story that he won't be around much longer" is no
# film, and a character giving his things away is rare enough to risk the alarm.)
FICTION_CAPPED = frozenset(
    {
        "ideation",
        "self_harm",
        "method",
        "physical_abuse",
        "sexual_abuse",
        "threat",
        "act",
        "place",
        "early_marriage",
        "forced_labour",
    }
)

LEVEL_SCORE = {"none": 0.02, "low": 0.2, "medium": 0.45, "high": 0.8, "imminent": 0.95}


@dataclass(frozen=True)
class Hit:
    signal: str
    level: str
    label: str
    quote: str
    personal: bool = True  # the child speaks of themselves here (first person nearby)


@dataclass
class Scan:
    hits: list[Hit] = field(default_factory=list)
    about_other: str | None = None
    fiction: bool = False
    joke: bool = False
    past: bool = False
    asks_human: bool = False

    @property
    def signals(self) -> set[str]:
        return {h.signal for h in self.hits}


def _negated(key: str, start: int, lex: Lexicon) -> bool:
    """A negator right before the match, or with only filler words in between."""
    for word in reversed(key[:start].split()[-4:]):
        if word in lex.negators:
            return True
        if word not in lex.fillers:
            return False
    return False


def _personal(key: str, start: int, end: int, lex: Lexicon) -> bool:
    before = key[:start].split()[-4:]
    window = " ".join(before) + " " + key[start:end]
    return _first_person(window, lex)


# First-person verbs in Azerbaijani: -ram/-rəm, -cam/-cəm, -mışam, -dım (Russian ones are listed
# in the lexicon's first_person words).
_FIRST_PERSON_VERB = re.compile(r"\w{3,}(?:r[aeiu]m|c[ae]m|c[ae]y[ae]m|m[iu]s[ae]m|d[iu]m)\b")
# Azerbaijani past habitual ("kəsirdim": I used to cut), folded.
_AZ_PAST_HABITUAL = re.compile(r"\b\w{2,}(?:irdi|urdu)m\b")
PAST_CAPPED = frozenset({"ideation", "self_harm"})


def _first_person(key: str, lex: Lexicon) -> bool:
    if lex.first_person is not None and lex.first_person.search(key):
        return True
    return _FIRST_PERSON_VERB.search(key) is not None


def _mask(key: str, regex) -> str:
    if regex is None:
        return key
    chars = list(key)
    for m in regex.finditer(key):
        for i in range(m.start(), m.end()):
            if chars[i] != " ":
                chars[i] = "#"
    return "".join(chars)


def scan(norm: Normalized, lex: Lexicon | None = None) -> Scan:
    lex = lex or load_lexicon()
    result = Scan()
    key = norm.key
    if not key:
        return result
    masked = _mask(key, lex.idioms)
    starts = set()
    for tok in norm.tokens:
        starts.update((tok[:1], tok[:2], tok[:3]))
    for signal in lex.signals:
        if signal.prefixes is not None and starts.isdisjoint(signal.prefixes):
            continue  # no word of the message can start this signal's phrases
        for m in signal.regex.finditer(masked):
            if m.start() == m.end():
                continue
            if signal.negatable and _negated(masked, m.start(), lex):
                continue
            quote = norm.original_span(m.start(), m.end())
            personal = _personal(masked, m.start(), m.end(), lex)
            result.hits.append(Hit(signal.name, signal.level, signal.label, quote, personal))
    if lex.others is not None and (m := lex.others.search(masked)):
        result.about_other = norm.original_span(m.start(), m.end())
    # a teacher quoting a pupil's essay or journal reports a child, not a story
    reported = lex.reports is not None and lex.reports.search(masked) is not None
    result.fiction = bool(lex.fiction is not None and lex.fiction.search(masked)) and not reported
    result.joke = bool(lex.jokes is not None and lex.jokes.search(key))
    # "she wrote ..." in a report: recent words, not a past act
    result.past = (
        bool((lex.past is not None and lex.past.search(masked)) or _AZ_PAST_HABITUAL.search(masked))
        and not (lex.past_again is not None and lex.past_again.search(key))
        and not reported
    )
    result.asks_human = bool(lex.ask_human is not None and lex.ask_human.search(key))
    return result


@dataclass(frozen=True)
class RuleRisk:
    level: str
    score: float
    reasons: tuple[str, ...]


def _quotes(hits: list[Hit], names: set[str] | frozenset[str]) -> str:
    seen: list[str] = []
    for h in hits:
        if h.signal in names and h.quote and f"'{h.quote}'" not in seen:
            seen.append(f"'{h.quote}'")
    return ", ".join(seen[:4])


def effective_hits(s: Scan) -> list[Hit]:
    """Hits that count: in a message about a film or a lesson, story words are not urgent alone;
    next to a laugh, a threat is hyperbole."""
    hits = s.hits
    if s.fiction:
        hits = [h for h in hits if h.personal or h.signal not in FICTION_CAPPED]
    if s.joke:
        hits = [h for h in hits if h.signal != "threat"]
    if s.past:
        hits = [
            Hit(h.signal, "medium", h.label + " (in the past)", h.quote, h.personal)
            if h.signal in PAST_CAPPED
            else h
            for h in hits
        ]
    return hits


def _combined_level(hits: list[Hit]) -> tuple[str, list[str]]:
    names = {h.signal for h in hits}
    level = "none"
    reasons: list[str] = []
    for h in hits:
        level = max(level, h.level, key=risk_rank)
    labels_done: set[str] = set()
    for h in hits:
        if h.level in ("none",) or h.signal in labels_done:
            continue
        labels_done.add(h.signal)
        reasons.append(f"{h.label}: {_quotes(hits, {h.signal})}")

    def lift(to: str, why: str, which: set[str] | frozenset[str]) -> None:
        nonlocal level
        if risk_rank(to) >= risk_rank(level):
            level = to
        reasons.insert(0, f"{why}: {_quotes(hits, which)}")

    core = {h.signal for h in hits if h.signal in URGENT_CORE and h.level != "medium"}
    planned = {p for p in names & PLAN_OR_MEANS if any(p != c for c in core)}
    if core and planned:
        lift("imminent", "plan and means", planned)
    elif "distress" in names and names & {"means", "means_ready"}:
        lift("imminent", "distress with means", {"distress", "means", "means_ready"})
    elif "place" in names and names & {"distress", "means", "now", "time", "act"}:
        lift("imminent", "dangerous place", {"place", "distress", "means", "now", "time"})
    elif names & DANGER_TO_CHILD and "now" in names:
        lift("imminent", "danger right now", (names & DANGER_TO_CHILD) | {"now"})
    elif "threat" in names and names & {"physical_abuse", "sexual_abuse", "place", "fear"}:
        lift("high", "threat with abuse", names & {"threat", "physical_abuse", "sexual_abuse"})
    elif "means" in names and names & {"time", "plan", "now"}:
        lift("high", "means with a time or plan", {"means", "time", "plan", "now"})
    return level, reasons


def assess(current: Scan, context: list[Scan] = ()) -> RuleRisk:
    cur_hits = effective_hits(current)
    level, reasons = _combined_level(cur_hits)
    if current.about_other and risk_rank(level) >= risk_rank("high"):
        reasons.append(f"about someone else: '{current.about_other}'")
    if context:
        earlier = [h for s in context for h in effective_hits(s)]
        if earlier:
            all_level, all_reasons = _combined_level(earlier + cur_hits)
            if risk_rank(all_level) > risk_rank(level):
                level = all_level
                reasons.append("with earlier messages — " + "; ".join(all_reasons[:2]))
    if level not in RISK_LEVELS:
        level = "none"
    return RuleRisk(level=level, score=LEVEL_SCORE[level], reasons=tuple(reasons))
