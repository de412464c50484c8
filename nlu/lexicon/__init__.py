"""The lexicons (YAML, editable by the helpline) and the compiler of their small pattern language.

See the header of risk.yml for the syntax. Patterns are folded with the same normaliser as the
messages, then compiled to regular expressions over the key form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C loader when libyaml is there

LEXICON_DIR = Path(__file__).resolve().parent

# An Azerbaijani verb stem is negated when the next syllable is -ma/-mə (folded: m + vowel),
# except the infinitive -maq/-mək ("istəmək" is "to want", "istəmirəm" is "I don't want").
_AZ_NEGATION = r"m[aeiou](?![kq])"


def load_yaml(name: str) -> dict:
    with open(LEXICON_DIR / name, encoding="utf-8") as fh:
        return yaml.load(fh, Loader=_LOADER) or {}


@lru_cache(maxsize=1)
def load_spelling() -> dict[str, str]:
    from nlu.normalize import normalize

    fixes = load_yaml("spelling.yml").get("fixes", {})
    out: dict[str, str] = {}
    for wrong, right in fixes.items():
        k_wrong = normalize(str(wrong), spelling=False).key
        k_right = normalize(str(right), spelling=False).key
        if k_wrong and k_wrong != k_right and " " not in k_wrong:
            out[k_wrong] = k_right
    return out


def _word_regex(word: str) -> str:
    """One word of a pattern (with its *, + or - marker) as a regex over key text."""
    from nlu.normalize import normalize

    marker = word[-1] if word[-1] in "*+-" and len(word) > 1 else ""
    stem = word[:-1] if marker else word
    folded = normalize(stem).key
    if not folded:
        return ""
    parts = [re.escape(p) for p in folded.split(" ")]
    body = r"\s+".join(parts)
    if marker == "*":
        return rf"\b{body}\w*"
    if marker == "+":
        return rf"\b{body}(?!{_AZ_NEGATION})\w*"
    if marker == "-":
        return rf"\b{body}(?={_AZ_NEGATION})\w*"
    return rf"\b{body}\b"


def _split_top(pattern: str) -> list[str]:
    """Split on spaces that are not inside (...)."""
    items, depth, cur = [], 0, []
    for ch in pattern:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == " " and depth == 0:
            if cur:
                items.append("".join(cur))
                cur = []
        else:
            cur.append(ch)
    if cur:
        items.append("".join(cur))
    return items


def _phrase_regex(phrase: str) -> str:
    out = ""
    pending_gap = ""
    for item in _split_top(phrase.strip()):
        if item.startswith("~"):
            n = int(item[1:] or 3)
            pending_gap = rf"(?:\s+\S+){{0,{n}}}"
            continue
        if item.startswith("(") and item.endswith(")"):
            alts = [_phrase_regex(alt) for alt in item[1:-1].split("|")]
            rx = "(?:" + "|".join(a for a in alts if a) + ")"
        else:
            rx = _word_regex(item)
        if not rx:
            continue
        out = rx if not out else out + pending_gap + r"\s+" + rx
        pending_gap = ""
    return out


def first_word_prefixes(patterns: list[str]) -> frozenset[str] | None:
    """Up to 3 leading key characters of every word a pattern can start with, so a message
    without any such word skips the pattern's regex. None: cannot tell, always run it."""
    from nlu.normalize import normalize

    out: set[str] = set()
    for pattern in patterns:
        items = _split_top(str(pattern).strip())
        if not items or items[0].startswith("~"):
            return None
        first = items[0]
        alts = first[1:-1].split("|") if first.startswith("(") and first.endswith(")") else [first]
        for alt in alts:
            word = alt.split(" ")[0]
            word = word[:-1] if word[-1:] in ("*", "+", "-") and len(word) > 1 else word
            folded = normalize(word).key.split(" ")[0] if word else ""
            if not folded:
                return None
            out.add(folded[:3])
    return frozenset(out)


def compile_patterns(patterns: list[str]) -> re.Pattern[str] | None:
    regexes = [_phrase_regex(str(p)) for p in patterns]
    regexes = [r for r in regexes if r]
    if not regexes:
        return None
    # longest first so that the alternation prefers the fuller phrase
    regexes.sort(key=len, reverse=True)
    return re.compile("|".join(f"(?:{r})" for r in regexes))


@dataclass(frozen=True)
class Signal:
    name: str
    level: str
    label: str
    negatable: bool
    regex: re.Pattern[str]
    topic: str | None = None
    prefixes: frozenset[str] | None = None  # see first_word_prefixes


@dataclass(frozen=True)
class Lexicon:
    signals: tuple[Signal, ...]
    idioms: re.Pattern[str] | None
    fiction: re.Pattern[str] | None
    reports: re.Pattern[str] | None
    others: re.Pattern[str] | None
    ask_human: re.Pattern[str] | None
    jokes: re.Pattern[str] | None
    past: re.Pattern[str] | None
    past_again: re.Pattern[str] | None
    first_person: re.Pattern[str] | None
    negators: frozenset[str]
    fillers: frozenset[str]
    topics: tuple[tuple[str, re.Pattern[str], frozenset[str] | None], ...] = ()


@lru_cache(maxsize=1)
def load_lexicon() -> Lexicon:
    from nlu.normalize import normalize

    data = load_yaml("risk.yml")
    signals = []
    for name, spec in (data.get("signals") or {}).items():
        regex = compile_patterns(spec.get("patterns") or [])
        if regex is None:
            continue
        signals.append(
            Signal(
                name=name,
                level=spec.get("level", "none"),
                label=spec.get("label", name),
                negatable=bool(spec.get("negatable", False)),
                regex=regex,
                topic=spec.get("topic"),
                prefixes=first_word_prefixes(spec.get("patterns") or []),
            )
        )
    topics = _load_topics()
    fold_set = lambda words: frozenset(normalize(str(w)).key for w in words or ())  # noqa: E731
    return Lexicon(
        signals=tuple(signals),
        idioms=compile_patterns(data.get("idioms") or []),
        fiction=compile_patterns(data.get("fiction") or []),
        reports=compile_patterns(data.get("reports") or []),
        others=compile_patterns(data.get("others") or []),
        ask_human=compile_patterns(data.get("ask_human") or []),
        jokes=compile_patterns(data.get("jokes") or []),
        past=compile_patterns(data.get("past") or []),
        past_again=compile_patterns(data.get("past_again") or []),
        first_person=compile_patterns(data.get("first_person") or []),
        negators=fold_set(data.get("negators")),
        fillers=fold_set(data.get("fillers")),
        topics=topics,
    )


def _load_topics() -> tuple[tuple[str, re.Pattern[str], frozenset[str] | None], ...]:
    out = []
    for name, patterns in (load_yaml("topics.yml").get("topics") or {}).items():
        regex = compile_patterns(patterns or [])
        if regex is not None:
            out.append((str(name), regex, first_word_prefixes(patterns or [])))
    return tuple(out)
