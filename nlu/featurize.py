"""The feature row of one message, the same at training and at inference."""

from __future__ import annotations

import numpy as np

from nlu.features import vectorize
from nlu.lexicon import Lexicon, load_lexicon
from nlu.normalize import Normalized


def token_starts(norm: Normalized) -> set[str]:
    starts: set[str] = set()
    for tok in norm.tokens:
        starts.update((tok[:1], tok[:2], tok[:3]))
    return starts


def topic_hits(norm: Normalized, lex: Lexicon, starts: set[str] | None = None) -> tuple[str, ...]:
    starts = token_starts(norm) if starts is None else starts
    return tuple(
        f"topic:{name}"
        for name, regex, prefixes in lex.topics
        if (prefixes is None or not starts.isdisjoint(prefixes)) and regex.search(norm.key)
    )


def featurize(norm: Normalized, lex: Lexicon | None = None) -> tuple[np.ndarray, np.ndarray]:
    lex = lex or load_lexicon()
    return vectorize(norm.tokens, topic_hits(norm, lex))
