"""The taxonomy as data (taxonomy.yml) and the mapping from training intents to it."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C loader when libyaml is there

TAXONOMY_FILE = Path(__file__).resolve().parent / "taxonomy.yml"
ASK_HUMAN_INTENT = "ask_human"


@dataclass(frozen=True)
class Taxonomy:
    categories: dict[str, tuple[str, ...]]
    labels: dict[str, dict[str, str]]
    conversation_intents: dict[str, str]
    urgent_topics: frozenset[str] = frozenset()
    contact_counts: dict[str, int] | None = None

    def split(self, intent: str) -> tuple[str, str | None]:
        """`violence__cyberbullying` → ("violence", "cyberbullying"); unknown → ("other", None)."""
        intent = self.conversation_intents.get(intent, intent)
        category, _, sub = intent.partition("__")
        if category not in self.categories:
            return "other", None
        subs = self.categories[category]
        if not subs:
            return category, None
        return category, sub if sub in subs else ("other" if "other" in subs else None)

    def is_topic(self, intent: str) -> bool:
        return intent.partition("__")[0] in self.categories

    def knows_intent(self, intent: str) -> bool:
        """A training intent names a category, a category__subcategory or a conversation intent."""
        if intent in self.conversation_intents:
            return True
        category, _, sub = intent.partition("__")
        subs = self.categories.get(category)
        return subs is not None and (sub in subs if sub else not subs)


@lru_cache(maxsize=1)
def load_taxonomy(path: Path = TAXONOMY_FILE) -> Taxonomy:
    doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER) or {}
    cats = doc.get("categories") or {}
    return Taxonomy(
        categories={k: tuple(v.get("subcategories") or ()) for k, v in cats.items()},
        labels={k: dict(v.get("label") or {}) for k, v in cats.items()},
        conversation_intents=dict(doc.get("conversation_intents") or {}),
        urgent_topics=frozenset(doc.get("urgent_topics") or ()),
        contact_counts={k: int(v) for k, v in (doc.get("contact_counts") or {}).items()},
    )
