"""The figures of one report, built from grouped counts (never from single cases).

`Counts` is what the database hands back (two small GROUP BY results); `build_report` turns it
into the published structure, under our default taxonomy or CHI's; `suppress` hides small cells
for public release.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date

from escalation.reports.taxonomy import REMAINDER, Taxonomy

# A count, or a suppressed count ("<5", or "≥5" for a cell hidden so that "<5" cannot be
# worked out by subtraction).
Cell = int | str


@dataclass(frozen=True)
class Counts:
    # (category, subcategory, gender, age_band, counselling) -> n
    topics: dict[tuple[str, str | None, str, str, bool], int]
    # (channel, "YYYY-MM") -> n
    channels_months: dict[tuple[str, str], int]


@dataclass
class Report:
    period_from: date
    period_to: date
    taxonomy: str
    timezone: str
    total: Cell
    by_category: dict[str, dict] = field(default_factory=dict)
    by_gender: dict[str, Cell] = field(default_factory=dict)
    by_age_band: dict[str, Cell] = field(default_factory=dict)
    by_channel: dict[str, Cell] = field(default_factory=dict)
    by_month: dict[str, Cell] = field(default_factory=dict)
    counselling: Cell = 0
    non_counselling: Cell = 0
    min_cell: int | None = None

    def to_dict(self) -> dict:
        return {
            "period": {"from": self.period_from.isoformat(), "to": self.period_to.isoformat()},
            "timezone": self.timezone,
            "taxonomy": self.taxonomy,
            "min_cell": self.min_cell,
            "total": self.total,
            "by_category": self.by_category,
            "by_gender": self.by_gender,
            "by_age_band": self.by_age_band,
            "by_channel": self.by_channel,
            "by_month": self.by_month,
            "counselling": self.counselling,
            "non_counselling": self.non_counselling,
        }


def months_between(start: date, end: date) -> list[str]:
    months, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _ordered(known: tuple[str, ...] | list[str], counter: Counter) -> dict[str, int]:
    """Every known id (zeros too) in its order, then any other stored value."""
    result = {key: counter.get(key, 0) for key in known}
    for key in sorted(k for k in counter if k not in result):
        result[key] = counter[key]
    return result


def _category_tree(counter: Counter, structure: dict[str, tuple[str, ...]]) -> dict[str, dict]:
    tree: dict[str, dict] = {}
    for category, subs in structure.items():
        tree[category] = {"total": 0, "subcategories": dict.fromkeys(subs, 0)}
    for (category, sub), n in counter.items():
        node = tree.setdefault(category, {"total": 0, "subcategories": {}})
        node["total"] += n
        if sub is not None or node["subcategories"]:
            key = sub if sub is not None else REMAINDER
            node["subcategories"][key] = node["subcategories"].get(key, 0) + n
    return tree


def build_report(
    counts: Counts,
    taxonomy: Taxonomy,
    *,
    period_from: date,
    period_to: date,
    kind: str = "default",
    timezone: str = "UTC",
) -> Report:
    topics: Counter = Counter()
    genders: Counter = Counter()
    bands: Counter = Counter()
    counselling = Counter()
    for (category, sub, gender, band, is_counselling), n in counts.topics.items():
        if sub is None and taxonomy.categories.get(category):
            sub = REMAINDER  # a case closed without a subcategory is counted as "other"
        key = taxonomy.chi_target(category, sub) if kind == "chi" else (category, sub)
        topics[key] += n
        genders[gender] += n
        bands[band] += n
        counselling[bool(is_counselling)] += n
    channels: Counter = Counter()
    months: Counter = Counter()
    for (channel, month), n in counts.channels_months.items():
        channels[channel] += n
        months[month] += n
    structure = taxonomy.chi_categories if kind == "chi" else taxonomy.categories
    return Report(
        period_from=period_from,
        period_to=period_to,
        taxonomy=kind,
        timezone=timezone,
        total=sum(counts.topics.values()),
        by_category=_category_tree(topics, structure),
        by_gender=_ordered(taxonomy.genders, genders),
        by_age_band=_ordered(taxonomy.age_bands, bands),
        by_channel=_ordered(taxonomy.channels, channels),
        by_month=_ordered(months_between(period_from, period_to), months),
        counselling=counselling[True],
        non_counselling=counselling[False],
    )


# -- suppression ------------------------------------------------------------------------------


def _suppress_group(cells: dict[str, Cell], min_cell: int, parent_shown: bool) -> dict[str, Cell]:
    """Primary: every count below min_cell becomes "<N". Complementary: with a published total,
    the hidden cells' sum is known by subtraction; when that sum is a small count (1 to N-1),
    the smallest shown cell is hidden too ("≥N"). A sum of 0 only says the hidden cells are
    empty, which tells nothing about anyone."""
    out: dict[str, Cell] = {
        key: f"<{min_cell}" if isinstance(n, int) and n < min_cell else n
        for key, n in cells.items()
    }
    hidden = [key for key, n in out.items() if isinstance(n, str)]
    hidden_sum = sum(n for key, n in cells.items() if key in hidden and isinstance(n, int))
    if parent_shown and 0 < hidden_sum < min_cell:
        shown = [(n, key) for key, n in out.items() if isinstance(n, int)]
        if shown:
            out[min(shown)[1]] = f"≥{min_cell}"
    return out


def suppress(report: Report, min_cell: int) -> Report:
    if min_cell <= 1:
        return replace(report, min_cell=min_cell)
    total_shown = isinstance(report.total, int) and report.total >= min_cell
    total: Cell = report.total if total_shown else f"<{min_cell}"
    totals = _suppress_group(
        {c: node["total"] for c, node in report.by_category.items()}, min_cell, total_shown
    )
    by_category = {}
    for category, node in report.by_category.items():
        subs = node["subcategories"]
        category_shown = isinstance(totals[category], int)
        by_category[category] = {
            "total": totals[category],
            "subcategories": _suppress_group(subs, min_cell, category_shown),
        }
    _hide_derivable_totals(by_category, min_cell)

    def flat(cells: dict[str, Cell]) -> dict[str, Cell]:
        return _suppress_group(cells, min_cell, total_shown)

    pair = flat({"counselling": report.counselling, "non_counselling": report.non_counselling})
    return replace(
        report,
        min_cell=min_cell,
        total=total,
        by_category=by_category,
        by_gender=flat(report.by_gender),
        by_age_band=flat(report.by_age_band),
        by_channel=flat(report.by_channel),
        by_month=flat(report.by_month),
        counselling=pair["counselling"],
        non_counselling=pair["non_counselling"],
    )


def _hide_derivable_totals(by_category: dict, min_cell: int) -> None:
    """A category total hidden as "≥N" is still the sum of its shown subcategories; hide the
    smallest of those too, which is then the second hidden cell of its own group."""
    for node in by_category.values():
        subs = node["subcategories"]
        if node["total"] != f"≥{min_cell}" or not subs:
            continue
        if all(isinstance(n, int) for n in subs.values()):
            smallest = min(subs, key=lambda key: subs[key])
            subs[smallest] = f"≥{min_cell}"
