"""The texts the safety rails say, loaded from rails.yml (data, never code)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from flows.model import LANGUAGES, Texts

RAILS_PATH = Path(__file__).parent / "rails.yml"
RAIL_KEYS: tuple[str, ...] = (
    "safety", "handoff", "waiting", "with_counsellor", "out_of_hours", "delete_confirm",
    "delete_yes", "delete_no", "deleted", "delete_kept", "language_choose", "language_set",
    "help", "greeting", "tap_button", "media", "human_button",
)  # fmt: skip
LANGUAGE_LABELS = {"az": "Azərbaycanca", "ru": "Русский", "en": "English"}


@dataclass(frozen=True)
class RailTexts:
    texts: dict[str, Texts]

    def __getattr__(self, key: str) -> Texts:
        try:
            return self.texts[key]
        except KeyError:
            raise AttributeError(key) from None


def load_rail_texts(path: str | Path = RAILS_PATH) -> RailTexts:
    """Raise ValueError unless every rail text exists, non-empty, in every language."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    problems = []
    texts = {}
    for key in RAIL_KEYS:
        entry = data.get(key) or {}
        missing = [lang for lang in LANGUAGES if not str(entry.get(lang) or "").strip()]
        if missing:
            problems.append(f"{key}: missing {', '.join(missing)}")
            continue
        texts[key] = Texts(**{lang: str(entry[lang]) for lang in LANGUAGES})
    if problems:
        raise ValueError(f"{path}: safety rail texts incomplete: {'; '.join(problems)}")
    return RailTexts(texts)
