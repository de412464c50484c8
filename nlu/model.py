"""The trained artifact: category, risk and language models plus what they were trained on.

One compressed npz in nlu/model/ (committed). It stores a hash of the training files and the
lexicon so that a stale artifact is noticed: `load_model` then retrains in memory (a few seconds)
instead of serving a model that does not match the data, and a test fails until someone runs
`helpline nlu train`.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from nlu.data_io import DATA_DIR, data_hash
from nlu.features import DIM
from nlu.lexicon import LEXICON_DIR
from nlu.linear import LinearModel

log = logging.getLogger(__name__)

MODEL_DIR = Path(__file__).resolve().parent / "model"
MODEL_FILE = MODEL_DIR / "nlu_model.npz"
FORMAT_VERSION = 1


def source_hash(data_dir: Path = DATA_DIR) -> str:
    extra = sorted(LEXICON_DIR.glob("*.yml")) + [Path(__file__).with_name("taxonomy.yml")]
    return data_hash(data_dir, extra=extra) + f":v{FORMAT_VERSION}"


@dataclass
class Calibration:
    """How model probabilities become a level (chosen by cross-validation on training data)."""

    urgent_threshold: float = 0.35  # P(high)+P(imminent) at or above this → at least high
    imminent_threshold: float = 0.5  # P(imminent) at or above this → imminent
    unsure_ratio: float = 0.6  # a higher level within this ratio of the top one wins
    topic_threshold: float = 1.01  # P(an urgent topic) at or above this → at least high
    # how strongly the helpline's own contact counts (taxonomy.yml) shift the topic decision
    category_prior_weight: float = 0.0


@dataclass
class NluModel:
    category: LinearModel
    risk: LinearModel | None
    language: LinearModel | None
    vocab: frozenset[str]
    data_hash: str
    calibration: Calibration = field(default_factory=Calibration)
    meta: dict = field(default_factory=dict)
    stacked: np.ndarray | None = None  # set by read(): the models' weights side by side

    def save(self, path: Path = MODEL_FILE) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, np.ndarray] = {}
        arrays.update(self.category.to_arrays("cat"))
        if self.risk is not None:
            arrays.update(self.risk.to_arrays("risk"))
        if self.language is not None:
            arrays.update(self.language.to_arrays("lang"))
        header = {
            "format": FORMAT_VERSION,
            "data_hash": self.data_hash,
            "classes": {
                "cat": list(self.category.classes),
                "risk": list(self.risk.classes) if self.risk else None,
                "lang": list(self.language.classes) if self.language else None,
            },
            "calibration": self.calibration.__dict__,
            "vocab": sorted(self.vocab),
            "meta": self.meta,
        }
        arrays["header"] = np.frombuffer(json.dumps(header).encode("utf-8"), dtype=np.uint8)
        with open(path, "wb") as fh:
            np.savez_compressed(fh, **arrays)

    @classmethod
    def read(cls, path: Path = MODEL_FILE) -> NluModel:
        with np.load(path) as arrays:
            header = json.loads(arrays["header"].tobytes().decode("utf-8"))
            names = [p for p in ("cat", "risk", "lang") if header["classes"].get(p)]
            classes = {p: tuple(header["classes"][p]) for p in names}
            # one matrix for all models, each reading its own columns: a message's feature rows
            # are then gathered once (see BuiltinAnalyzer), and loading allocates once
            width = sum(len(classes[p]) for p in names)
            stacked = np.zeros((DIM, width), dtype=np.float32)
            models: dict[str, LinearModel] = {}
            col = 0
            for p in names:
                k = len(classes[p])
                stacked[arrays[f"{p}_rows"], col : col + k] = arrays[f"{p}_w"]
                models[p] = LinearModel(
                    classes=classes[p], weights=stacked[:, col : col + k], bias=arrays[f"{p}_b"]
                )
                col += k
        model = cls(
            category=models["cat"],
            risk=models.get("risk"),
            language=models.get("lang"),
            vocab=frozenset(header.get("vocab") or ()),
            data_hash=header["data_hash"],
            calibration=Calibration(**header.get("calibration", {})),
            meta=header.get("meta") or {},
        )
        model.stacked = stacked
        return model


def stored_hash(path: Path = MODEL_FILE) -> str | None:
    try:
        with np.load(path) as arrays:
            return json.loads(arrays["header"].tobytes().decode("utf-8"))["data_hash"]
    except (OSError, KeyError, ValueError):
        return None


def load_model(path: Path = MODEL_FILE, data_dir: Path = DATA_DIR) -> NluModel:
    """The shipped artifact, or a model trained now if it is missing or does not match the data."""
    expected = source_hash(data_dir)
    if path.exists():
        try:
            model = NluModel.read(path)
            if model.data_hash == expected:
                return model
            log.warning(
                "nlu model artifact is stale; training in memory (run `helpline nlu train`)"
            )
        except (OSError, KeyError, ValueError) as exc:
            log.warning(
                "nlu model artifact unreadable (%s); training in memory", type(exc).__name__
            )
    else:
        log.warning("nlu model artifact missing; training in memory (run `helpline nlu train`)")
    from nlu.train import train_model

    return train_model(data_dir)
