"""The identifiers reports count by, read from data.

Categories, subcategories, genders, age bands, channels and outcomes come from
escalation/taxonomy.yml (the taxonomy the helpline edits, shared with the case-closing form);
the mapping onto Child Helpline International's framework from taxonomy_chi.yml here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

from escalation import taxonomy as shared

HERE = Path(__file__).parent
TAXONOMY_FILE = shared.TAXONOMY_FILE
CHI_FILE = HERE / "taxonomy_chi.yml"

# TAXONOMY.md's defaults, for a taxonomy file that leaves a list out.
GENDERS = ("female", "male", "anonymous")
AGE_BANDS = ("0-10", "11-14", "15-18", "unknown")
CHANNELS = (
    "telegram",
    "webchat",
    "phone",
    "email",
    "whatsapp",
    "facebook",
    "instagram",
    "app",
    "other",
)
# Subcategory that absorbs cases closed without one (the case form may leave it empty).
REMAINDER = "other"
NON_COUNSELLING_CHI = "non_counselling"
UNMAPPED = "unmapped"


@dataclass(frozen=True)
class Taxonomy:
    categories: dict[str, tuple[str, ...]]
    genders: tuple[str, ...] = GENDERS
    age_bands: tuple[str, ...] = AGE_BANDS
    channels: tuple[str, ...] = CHANNELS
    outcomes: tuple[str, ...] = ()
    # (category, subcategory or None) -> (CHI category, CHI subcategory)
    chi: dict[tuple[str, str | None], tuple[str, str]] = field(default_factory=dict)
    chi_categories: dict[str, tuple[str, ...]] = field(default_factory=dict)
    non_counselling_outcomes: frozenset[str] = frozenset()

    def chi_target(self, category: str, subcategory: str | None) -> tuple[str, str]:
        key = (category, subcategory)
        if key in self.chi:
            return self.chi[key]
        if (category, None) in self.chi:
            return self.chi[(category, None)]
        return (UNMAPPED, category)

    def is_counselling(
        self, category: str, subcategory: str | None, outcome: str | None = None
    ) -> bool:
        """Non-counselling contacts (general questions, information; a silent or test call)
        are CHI's own category."""
        if outcome in self.non_counselling_outcomes:
            return False
        return self.chi_target(category, subcategory)[0] != NON_COUNSELLING_CHI

    def age_range(self, band: str) -> tuple[int, int] | None:
        low, sep, high = band.partition("-")
        if not sep or not (low.isdigit() and high.isdigit()):
            return None
        return int(low), int(high)


def _load_chi(data: dict) -> tuple[dict, dict]:
    chi_categories = {
        str(category): tuple(subs or ()) for category, subs in data["chi_categories"].items()
    }
    mapping: dict[tuple[str, str | None], tuple[str, str]] = {}
    for category, target in data["mapping"].items():
        if isinstance(target, dict):
            for sub, sub_target in target.items():
                mapping[(category, sub)] = tuple(sub_target)
        else:
            mapping[(category, None)] = tuple(target)
    return mapping, chi_categories


def load_taxonomy(taxonomy_file: Path = TAXONOMY_FILE, chi_file: Path = CHI_FILE) -> Taxonomy:
    base = shared.parse_taxonomy(yaml.safe_load(taxonomy_file.read_text(encoding="utf-8")) or {})
    chi_data = yaml.safe_load(chi_file.read_text(encoding="utf-8"))
    chi, chi_categories = _load_chi(chi_data)
    return Taxonomy(
        categories=base.categories,
        genders=base.genders or GENDERS,
        age_bands=base.age_bands or AGE_BANDS,
        channels=base.channels or CHANNELS,
        outcomes=base.outcomes,
        chi=chi,
        chi_categories=chi_categories,
        non_counselling_outcomes=frozenset(chi_data.get("non_counselling_outcomes") or ()),
    )


@cache
def default_taxonomy() -> Taxonomy:
    return load_taxonomy()


def unmapped(taxonomy: Taxonomy) -> list[str]:
    """Default categories/subcategories the CHI mapping misses or sends to an unknown target."""
    problems = []
    for category, subs in taxonomy.categories.items():
        for sub in subs or (None,):
            target = taxonomy.chi.get((category, sub)) or taxonomy.chi.get((category, None))
            name = f"{category}/{sub}" if sub else category
            if target is None:
                problems.append(f"{name}: not mapped")
            elif target[1] not in taxonomy.chi_categories.get(target[0], ()):
                problems.append(f"{name}: unknown CHI target {target[0]}/{target[1]}")
    return problems
