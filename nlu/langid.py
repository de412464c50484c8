"""Language identification: az, ru, en or other.

Script decides first (Cyrillic → ru; ə and the other Azerbaijani letters → az). Latin text
without those letters (folded Azerbaijani, Russian in Latin letters, English) goes to a small
model over the folded key form. That model is trained on the training data itself, labelled by
script: Cyrillic Russian folds to the same key as Latin-typed Russian, and Azerbaijani written
with its letters folds to the same key as Azerbaijani typed without them — so no language labels
are needed and off-the-shelf detectors' confusion of folded Azerbaijani with Turkish is avoided.
"""

from __future__ import annotations

import numpy as np

from nlu.features import vectorize
from nlu.linear import LinearModel
from nlu.normalize import Normalized

LANGS = ("az", "ru", "en")
AZ_LETTERS = frozenset("əığşçöüƏĞŞÇÖÜİ")  # not "I": the capital of ı is the Latin I
AZ_STRONG = frozenset("əƏ")
EN_MARKERS = frozenset(
    [
        "i",
        "my",
        "me",
        "the",
        "to",
        "is",
        "and",
        "you",
        "what",
        "it",
        "of",
        "he",
        "she",
        "this",
        "that",
        "for",
        "with",
        "have",
        "was",
        "are",
        "am",
        "do",
        "not",
        "dont",
        "im",
        "can",
        "how",
        "why",
        "when",
        "just",
    ]
)


def script_counts(text: str) -> tuple[int, int, int, int, int]:
    """(latin, cyrillic, azerbaijani-special, ə, other-script) letter counts."""
    latin = cyr = az = schwa = other = 0
    for ch in text:
        if not ch.isalpha():
            continue
        if ch in AZ_LETTERS:
            az += 1
            latin += 1
            if ch in AZ_STRONG:
                schwa += 1
        elif ch.isascii():
            latin += 1
        elif "\u0400" <= ch <= "\u04ff":
            cyr += 1
        elif "\u00c0" <= ch <= "\u024f":
            latin += 1
        else:
            other += 1
    return latin, cyr, az, schwa, other


def by_script(text: str) -> str | None:
    """The language when the script alone says it, else None."""
    latin, cyr, az, schwa, other = script_counts(text)
    letters = latin + cyr + other
    if letters == 0:
        return "other"
    if other > letters / 2:
        return "other"
    if cyr > latin:
        return "ru"
    if schwa or az >= 2 or (az and cyr == 0):
        return "az"
    return None


def bootstrap_label(text: str, tokens: tuple[str, ...]) -> str | None:
    """A confident label for a training example, or None (used only at training time)."""
    lang = by_script(text)
    if lang in LANGS:
        return lang
    if lang is None and sum(t in EN_MARKERS for t in tokens) >= 2 and text.isascii():
        return "en"
    return None


def detect(
    norm: Normalized,
    model: LinearModel | None,
    vocab: frozenset[str] = frozenset(),
    vec: tuple[np.ndarray, np.ndarray] | None = None,
    p: np.ndarray | None = None,
) -> str:
    lang = by_script(norm.original)
    if lang is not None:
        return lang
    words = [t for t in norm.tokens if not t.startswith("emo") and not t.isdigit()]
    if not words:
        return "other"
    if model is None:
        return "en" if sum(t in EN_MARKERS for t in words) else "other"
    if p is None:
        idx, vals = vec if vec is not None else vectorize(norm.tokens)
        p = model.proba(idx, vals)
    best = int(np.argmax(p))
    if vocab and len(words) >= 3:
        known = sum(w in vocab for w in words) / len(words)
        if known < 0.25 and p[best] < 0.9:
            return "other"
    return model.classes[best]
