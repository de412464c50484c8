"""Machine-readable renderings: JSON (the API's shape) and CSV (one count per line)."""

from __future__ import annotations

import csv
import io
import json

from escalation.reports.figures import Report

# Tidy: one count per row, each row saying which period and taxonomy it belongs to.
CSV_HEADER = ("period_from", "period_to", "taxonomy", "section", "key", "subkey", "count")


def render_json(report: Report) -> str:
    return json.dumps(report.to_dict(), ensure_ascii=False, indent=2) + "\n"


def csv_rows(report: Report) -> list[tuple]:
    rows: list[tuple] = [("total", "", "", report.total)]
    for category, node in report.by_category.items():
        rows.append(("category", category, "", node["total"]))
        rows.extend(("category", category, sub, n) for sub, n in node["subcategories"].items())
    for section in ("by_gender", "by_age_band", "by_channel", "by_month"):
        name = section.removeprefix("by_")
        rows.extend((name, key, "", n) for key, n in getattr(report, section).items())
    rows.append(("counselling", "counselling", "", report.counselling))
    rows.append(("counselling", "non_counselling", "", report.non_counselling))
    return rows


def render_csv(report: Report) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    prefix = (report.period_from.isoformat(), report.period_to.isoformat(), report.taxonomy)
    writer.writerow(CSV_HEADER)
    writer.writerows((*prefix, *row) for row in csv_rows(report))
    return buffer.getvalue()
