"""Report texts per language (texts/<lang>.yml) and how numbers, dates and labels read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

import yaml

from escalation.reports.figures import Cell

TEXTS = Path(__file__).parent / "texts"
LANGUAGES = ("az", "ru", "en")
# The published report writes 5 520 (a space between thousands); English writes 5,520.
_THOUSANDS = {"az": "\u00a0", "ru": "\u00a0", "en": ","}


@cache
def _load(lang: str) -> dict:
    if lang not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}")
    return yaml.safe_load((TEXTS / f"{lang}.yml").read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Texts:
    lang: str

    @property
    def data(self) -> dict:
        return _load(self.lang)

    def __getitem__(self, key: str) -> str:
        node = self.data
        for part in key.split("."):
            node = node[part]
        return node

    def number(self, n: Cell) -> str:
        if isinstance(n, str):
            return n
        return f"{n:,}".replace(",", _THOUSANDS[self.lang])

    def day(self, value: date) -> str:
        return value.isoformat() if self.lang == "en" else value.strftime("%d.%m.%Y")

    def category(self, category: str, taxonomy: str = "default") -> str:
        table = self.data["chi"]["categories"] if taxonomy == "chi" else self.data["categories"]
        return table.get(category, category)

    def subcategory(self, category: str, sub: str, taxonomy: str = "default") -> str:
        if taxonomy == "chi":
            return self.data["chi"]["subcategories"].get(sub, sub)
        return self.data["subcategories"].get(category, {}).get(sub, sub)

    def label(self, dimension: str, key: str) -> str:
        """A gender, age band or channel id, or a month "YYYY-MM", as people read it."""
        if dimension == "by_month":
            year, month = key.split("-")
            return f"{self.data['months'][int(month) - 1]} {year}"
        table = {"by_gender": "genders", "by_age_band": "age_bands", "by_channel": "channels"}
        return self.data[table[dimension]].get(key, key)


def texts(lang: str = "az") -> Texts:
    _load(lang)
    return Texts(lang)
