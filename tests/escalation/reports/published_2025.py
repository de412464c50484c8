"""The 2025 figures as published (../shared/context/README.md), and a CSV of 5,520 contacts
that reproduces every published marginal at once.

Run `python -m tests.escalation.reports.published_2025` to rewrite contacts-2025.csv.
Where the report gives no split (domestic violence is "most of" violence; the "other" rows)
the split here is ours, chosen to sum to the published total.
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from pathlib import Path

CSV_PATH = Path(__file__).parent / "contacts-2025.csv"
TOTAL = 5520

PUBLISHED_CATEGORIES = {
    "psychological": 1605,
    "social": 823,
    "violence": 808,
    "exploitation": 165,
    "legal": 730,
    "education": 302,
    "health": 56,
    "other": 1031,
}
PUBLISHED_SUBCATEGORIES = {
    ("social", "shelter"): 168,
    ("social", "suicidal_thoughts"): 76,
    ("violence", "cyberbullying"): 120,
    ("violence", "bullying"): 53,
    ("exploitation", "early_marriage"): 60,
    ("exploitation", "leaving_unsafe_home"): 54,
    ("exploitation", "forced_begging"): 44,
    ("exploitation", "labour"): 7,
}
PUBLISHED_GENDERS = {"female": 2995, "male": 1541, "anonymous": 984}
PUBLISHED_AGE_BANDS = {"15-18": 3754, "11-14": 1324, "0-10": 442}

# Our split of what the report leaves unsplit; with the published cells it sums to 5,520.
UNPUBLISHED_SPLIT = {
    ("social", "other"): 579,
    ("violence", "domestic"): 600,
    ("violence", "sexual"): 20,
    ("violence", "other"): 15,
    ("other", "general_question"): 700,
    ("other", "service_info"): 331,
}
AGE_OF_BAND = {"0-10": 9, "11-14": 13, "15-18": 16}


def _topics() -> list[tuple[str, str]]:
    cells = {**PUBLISHED_SUBCATEGORIES, **UNPUBLISHED_SPLIT}
    for category in ("psychological", "legal", "education", "health"):
        cells[(category, "")] = PUBLISHED_CATEGORIES[category]
    return [topic for topic, n in sorted(cells.items()) for _ in range(n)]


def _spread(counts: dict[str, int], stride: int) -> list[str]:
    """Each value exactly its count times, interleaved across rows by a stride coprime with
    5,520, so that genders and age bands mix with every category."""
    ordered = [value for value, n in counts.items() for _ in range(n)]
    return [ordered[(i * stride) % TOTAL] for i in range(TOTAL)]


def rows() -> list[dict[str, str]]:
    topics = _topics()
    assert len(topics) == TOTAL
    genders = _spread(PUBLISHED_GENDERS, 7919)
    bands = _spread(PUBLISHED_AGE_BANDS, 4999)
    start = date(2025, 1, 1)
    result = []
    for i, ((category, sub), gender, band) in enumerate(zip(topics, genders, bands, strict=True)):
        result.append(
            {
                "opened_at": (start + timedelta(days=(i * 37) % 365)).isoformat(),
                "channel": "email" if i % 10 == 0 else "phone",
                "category": category,
                "subcategory": sub,
                "gender": gender,
                "age_band": band,
                "age": str(AGE_OF_BAND[band]) if i % 3 == 0 else "",
                "outcome": "counselled" if category != "other" else "information_given",
            }
        )
    return result


def csv_text() -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows()[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows())
    return buffer.getvalue()


if __name__ == "__main__":
    CSV_PATH.write_text(csv_text(), encoding="utf-8")
    print(f"wrote {CSV_PATH}")
