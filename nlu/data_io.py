"""Reading the training data (Rasa NLU YAML) and the held-out test set."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C loader when libyaml is there

NLU_DIR = Path(__file__).resolve().parent
DATA_DIR = NLU_DIR / "data"
TEST_DIR = DATA_DIR / "test"
# The held-out sets, never trained on, each written blind to the training data, the code and the
# sets before it, in this order. Once a set has been looked at while changing the model it is a
# development set and its figures flatter the model: the README says which was measured blind.
HELD_OUT_SETS = (
    "test",
    "test_second",
    "test_third",
    "test_fourth",
    "test_fifth",
    "test_sixth",
    "test_seventh",
    "test_eighth",
    "test_ninth",
    "test_tenth",
    "test_eleventh",
    "test_twelfth",
    "test_thirteenth",
    "test_fourteenth",
    "test_fifteenth",
    "test_sixteenth",
    "test_seventeenth",
    "test_eighteenth",
    "test_nineteenth",
    "test_twentieth",
    "test_twentyfirst",
)
RISK_PREFIX = "risk_"

_ENTITY = re.compile(r"\[([^\]]+)\]\((?:[^)]+)\)|\[([^\]]+)\]\{[^}]*\}")


@dataclass(frozen=True)
class Example:
    text: str
    intent: str
    source: str


@dataclass(frozen=True)
class TestExample:
    text: str
    category: str
    subcategory: str | None
    risk: str
    language: str
    source: str


def training_files(data_dir: Path = DATA_DIR) -> list[Path]:
    return sorted(p for p in data_dir.glob("*.yml") if p.is_file())


def data_hash(data_dir: Path = DATA_DIR, extra: list[Path] | None = None) -> str:
    """Hash of everything that defines the model: the training files and the lexicon."""
    h = hashlib.sha256()
    for path in training_files(data_dir) + sorted(extra or []):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def parse_rasa_yaml(text: str, source: str = "") -> list[Example]:
    doc = yaml.load(text, Loader=_LOADER) or {}
    out: list[Example] = []
    for item in doc.get("nlu") or []:
        intent = item.get("intent") if isinstance(item, dict) else None
        if not intent:
            continue
        for line in str(item.get("examples") or "").splitlines():
            line = line.strip()
            if not line.startswith("- "):
                continue
            example = _ENTITY.sub(lambda m: m.group(1) or m.group(2), line[2:].strip())
            if example:
                out.append(Example(text=example, intent=str(intent), source=source))
    return out


def load_training(data_dir: Path = DATA_DIR) -> list[Example]:
    examples: list[Example] = []
    for path in training_files(data_dir):
        examples.extend(parse_rasa_yaml(path.read_text(encoding="utf-8"), source=path.name))
    return examples


def load_test(test_dir: Path = TEST_DIR, files: list[str] | None = None) -> list[TestExample]:
    out: list[TestExample] = []
    paths = sorted(test_dir.glob("*.yml")) if files is None else [test_dir / f for f in files]
    for path in paths:
        if not path.exists():
            continue
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER) or {}
        default_lang = path.stem if path.stem in ("az", "ru", "en") else "mixed"
        for item in doc.get("examples") or []:
            out.append(
                TestExample(
                    text=str(item["text"]),
                    category=str(item.get("category") or "other"),
                    subcategory=item.get("subcategory"),
                    risk=str(item.get("risk") or "none"),
                    language=str(item.get("language") or default_lang),
                    source=path.name,
                )
            )
    return out
