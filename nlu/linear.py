"""A multinomial logistic regression on sparse hashed features, trained with numpy only.

Training runs minibatch AdaGrad over the features actually seen (a compact copy of the hashed
space), so it takes seconds and needs no scikit-learn. Inference is a gather and a sum.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

from nlu.features import DIM


@dataclass
class LinearModel:
    classes: tuple[str, ...]
    weights: np.ndarray  # (DIM, n_classes) float32, dense for a fast gather
    bias: np.ndarray  # (n_classes,)

    def logits(self, idx: np.ndarray, vals: np.ndarray) -> np.ndarray:
        return vals @ self.weights[idx] + self.bias

    def proba(self, idx: np.ndarray, vals: np.ndarray) -> np.ndarray:
        z = self.logits(idx, vals)
        z = z - z.max()
        e = np.exp(z)
        return e / e.sum()

    # -- storage: only the rows that are not zero -------------------------------------------
    def to_arrays(self, prefix: str) -> dict[str, np.ndarray]:
        rows = np.flatnonzero(np.any(self.weights != 0, axis=1)).astype(np.int32)
        return {
            f"{prefix}_rows": rows,
            f"{prefix}_w": self.weights[rows].astype(np.float16),
            f"{prefix}_b": self.bias.astype(np.float32),
        }

    @classmethod
    def from_arrays(cls, arrays, prefix: str, classes: tuple[str, ...]) -> LinearModel:
        rows = arrays[f"{prefix}_rows"]
        weights = np.zeros((DIM, len(classes)), dtype=np.float32)
        weights[rows] = arrays[f"{prefix}_w"].astype(np.float32)
        return cls(classes=classes, weights=weights, bias=arrays[f"{prefix}_b"])


def train_logreg(
    rows: list[tuple[np.ndarray, np.ndarray]],
    labels: list[str],
    *,
    classes: tuple[str, ...] | None = None,
    epochs: int = 30,
    lr: float = 0.5,
    l2: float = 1e-4,
    batch: int = 32,
    class_weight: dict[str, float] | None = None,
    weights: list[float] | None = None,
    seed: int = 0,
    order_keys: list[str] | None = None,
) -> LinearModel:
    """`order_keys` (the example texts) fix each example's place in every epoch's order by its
    own hash: adding or removing one example then leaves the order of the others as it was,
    where a seeded permutation of n would reshuffle them all."""
    classes = classes or tuple(sorted(set(labels)))
    cidx = {c: i for i, c in enumerate(classes)}
    y = np.array([cidx[label] for label in labels], dtype=np.int64)
    n, k = len(rows), len(classes)
    # compact feature space: only indices that occur in training
    all_idx = np.concatenate([r[0] for r in rows]) if rows else np.zeros(0, np.int64)
    vocab, inverse = np.unique(all_idx, return_inverse=True)
    offsets = np.cumsum([0] + [len(r[0]) for r in rows])
    comp = [inverse[offsets[i] : offsets[i + 1]] for i in range(n)]
    vals = [r[1] for r in rows]
    sample_w = np.ones(n, dtype=np.float32)
    if class_weight:
        sample_w = np.array([class_weight.get(classes[c], 1.0) for c in y], dtype=np.float32)
    if weights is not None:
        sample_w = sample_w * np.asarray(weights, dtype=np.float32)
    w = np.zeros((len(vocab), k), dtype=np.float32)
    b = np.zeros(k, dtype=np.float32)
    g2w = np.full((len(vocab), k), 1e-6, dtype=np.float32)
    g2b = np.full(k, 1e-6, dtype=np.float32)
    rng = np.random.default_rng(seed)
    key_hash = key_hashes(order_keys) if order_keys is not None else None
    for epoch in range(epochs):
        order = rng.permutation(n) if key_hash is None else _keyed_order(key_hash, epoch)
        for start in range(0, n, batch):
            ids = order[start : start + batch]
            lens = np.array([len(comp[i]) for i in ids])
            flat_idx = np.concatenate([comp[i] for i in ids])
            flat_val = np.concatenate([vals[i] for i in ids])
            row_of = np.repeat(np.arange(len(ids)), lens)
            contrib = w[flat_idx] * flat_val[:, None]
            z = np.add.reduceat(contrib, np.r_[0, np.cumsum(lens)[:-1]], axis=0) + b
            z -= z.max(axis=1, keepdims=True)
            p = np.exp(z)
            p /= p.sum(axis=1, keepdims=True)
            p[np.arange(len(ids)), y[ids]] -= 1.0
            p *= sample_w[ids, None] / len(ids)
            uniq, inv = np.unique(flat_idx, return_inverse=True)
            grad = np.zeros((len(uniq), k), dtype=np.float32)
            gvals = p[row_of] * flat_val[:, None]
            for c in range(k):
                grad[:, c] = np.bincount(inv, weights=gvals[:, c], minlength=len(uniq))
            grad += l2 * w[uniq]
            g2w[uniq] += grad * grad
            w[uniq] -= lr * grad / np.sqrt(g2w[uniq])
            gb = p.sum(axis=0)
            g2b += gb * gb
            b -= lr * gb / np.sqrt(g2b)
    dense = np.zeros((DIM, k), dtype=np.float32)
    dense[vocab] = w
    return LinearModel(classes=classes, weights=dense, bias=b)


def key_hashes(keys: list[str]) -> np.ndarray:
    """A stable 32-bit hash per text (crc32: the same in every process)."""
    return np.asarray([zlib.crc32(k.encode("utf-8")) for k in keys], dtype=np.uint64)


def _keyed_order(key_hash: np.ndarray, epoch: int) -> np.ndarray:
    """A different order every epoch, each example placed by its own hash and the epoch alone
    (a 32-bit integer mix; a linear one would give every epoch the same order)."""
    x = key_hash ^ np.uint64((epoch * 0x9E3779B9) & 0xFFFFFFFF)
    for _ in range(2):
        x = (((x >> np.uint64(16)) ^ x) * np.uint64(0x45D9F3B)) & np.uint64(0xFFFFFFFF)
    x = (x >> np.uint64(16)) ^ x
    return np.argsort(x, kind="stable")
