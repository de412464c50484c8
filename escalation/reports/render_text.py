"""The text report: reads like the helpline's published summary, in az, ru or en."""

from __future__ import annotations

from escalation.reports.figures import Report
from escalation.reports.texts import Texts, texts

WIDTH = 58


def _line(label: str, value: str, indent: int = 2) -> str:
    label = " " * indent + label
    dots = max(2, WIDTH - len(label) - len(value))
    return f"{label} {'.' * (dots - 2)} {value}"


def _items(t: Texts, report: Report, dimension: str) -> str:
    cells = getattr(report, dimension)
    return ", ".join(f"{t.label(dimension, key)} — {t.number(n)}" for key, n in cells.items())


def render_text(report: Report, lang: str = "az") -> str:
    t = texts(lang)
    start, end = t.day(report.period_from), t.day(report.period_to)
    out = [t["title"], t["period"].format(start=start, end=end), ""]
    out.append(t["intro"].format(start=start, end=end, total=t.number(report.total)))
    if report.taxonomy == "chi":
        out.append(t["taxonomy_chi"])
    out += ["", t["sections.by_category"]]
    for category, node in report.by_category.items():
        out.append(_line(t.category(category, report.taxonomy), t.number(node["total"])))
        for sub, n in node["subcategories"].items():
            label = t.subcategory(category, sub, report.taxonomy)
            out.append(_line(label, t.number(n), indent=6))
    out += ["", t["sentences.by_gender"].format(items=_items(t, report, "by_gender"))]
    out.append(t["sentences.by_age_band"].format(items=_items(t, report, "by_age_band")))
    out.append(
        t["sentences.counselling"].format(
            counselling=t.number(report.counselling),
            non_counselling=t.number(report.non_counselling),
        )
    )
    for dimension in ("by_channel", "by_month"):
        out += ["", t[f"sections.{dimension}"]]
        for key, n in getattr(report, dimension).items():
            out.append(_line(t.label(dimension, key), t.number(n)))
    if report.min_cell and report.min_cell > 1:
        out += ["", t["sentences.suppressed"].format(min=report.min_cell)]
    return "\n".join(out) + "\n"
