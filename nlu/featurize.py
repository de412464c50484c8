"""The feature row of one message, the same at training and at inference."""

from __future__ import annotations

import numpy as np

from nlu.features import vectorize
from nlu.lexicon import Lexicon, load_lexicon
from nlu.normalize import Normalized


def topic_hits(norm: Normalized, lex: Lexicon) -> tuple[str, ...]:
    return tuple(f"topic:{name}" for name, regex in lex.topics if regex.search(norm.key))


def featurize(norm: Normalized, lex: Lexicon | None = None) -> tuple[np.ndarray, np.ndarray]:
    lex = lex or load_lexicon()
    return vectorize(norm.tokens, topic_hits(norm, lex))
