"""Hashed word and character n-gram features over the normalised key form.

crc32 is used (not Python's `hash`, which changes per process) so that a trained artifact means
the same thing in every process. Per-word features are cached: children's vocabulary repeats.
"""

from __future__ import annotations

import zlib
from functools import lru_cache

import numpy as np

DIM_BITS = 18
DIM = 1 << DIM_BITS
_MASK = DIM - 1
CHAR_NGRAMS = (2, 3, 4, 5)
EXTRA_WEIGHT = 4


def _h(s: str) -> int:
    return zlib.crc32(s.encode("utf-8")) & _MASK


@lru_cache(maxsize=200_000)
def _word_features(token: str) -> tuple[int, ...]:
    feats = [_h("w:" + token)]
    padded = f" {token} "
    n_chars = len(padded)
    for n in CHAR_NGRAMS:
        if n > n_chars:
            break
        for i in range(n_chars - n + 1):
            feats.append(_h(padded[i : i + n]))
    return tuple(feats)


def feature_indices(tokens: tuple[str, ...] | list[str]) -> np.ndarray:
    """All feature indices of a token sequence (with repeats)."""
    feats: list[int] = []
    for tok in tokens:
        feats.extend(_word_features(tok))
    for a, b in zip(tokens, tokens[1:], strict=False):
        feats.append(_h(f"b:{a} {b}"))
    if not feats:
        feats.append(_h("<empty>"))
    return np.asarray(feats, dtype=np.int64)


def vectorize(
    tokens: tuple[str, ...] | list[str], extra: tuple[str, ...] | list[str] = ()
) -> tuple[np.ndarray, np.ndarray]:
    """Sparse row: unique indices and L2-normalised log counts. `extra` are named features
    (topic vocabulary hits), each counted as strongly as a few words."""
    feats = feature_indices(tokens)
    if extra:
        named = np.asarray([_h("x:" + name) for name in extra], dtype=np.int64)
        feats = np.concatenate([feats, np.repeat(named, EXTRA_WEIGHT)])
    idx, counts = np.unique(feats, return_counts=True)
    vals = 1.0 + np.log(counts.astype(np.float32))
    vals /= np.sqrt(float(np.dot(vals, vals)))
    return idx, vals.astype(np.float32)
