"""The taxonomy as data (escalation/taxonomy.yml), and the age band of an exact age."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

TAXONOMY_FILE = Path(__file__).parent / "taxonomy.yml"


@dataclass(frozen=True)
class Taxonomy:
    categories: dict[str, tuple[str, ...]]
    genders: tuple[str, ...]
    age_bands: tuple[str, ...]
    channels: tuple[str, ...]
    outcomes: tuple[str, ...]

    def subcategories(self, category: str) -> tuple[str, ...]:
        return self.categories.get(category, ())


def parse_taxonomy(data: dict) -> Taxonomy:
    categories = {
        str(name): tuple(str(sub) for sub in (entry or {}).get("subcategories") or ())
        for name, entry in (data.get("categories") or {}).items()
    }
    return Taxonomy(
        categories=categories,
        genders=tuple(data.get("genders") or ()),
        age_bands=tuple(str(band) for band in data.get("age_bands") or ()),
        channels=tuple(data.get("channels") or ()),
        outcomes=tuple(data.get("outcomes") or ()),
    )


@cache
def taxonomy_document(path: Path = TAXONOMY_FILE) -> dict:
    """The file as data, for the console's case form (GET /api/taxonomy)."""
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


@cache
def load_taxonomy(path: Path = TAXONOMY_FILE) -> Taxonomy:
    return parse_taxonomy(yaml.safe_load(path.read_text(encoding="utf-8")) or {})


def age_band(age: int | None) -> str:
    """TAXONOMY.md's bands: 0-10, 11-14, 15-18; anything else (or nothing) is unknown."""
    if age is None or age < 0 or age > 18:
        return "unknown"
    if age <= 10:
        return "0-10"
    if age <= 14:
        return "11-14"
    return "15-18"
