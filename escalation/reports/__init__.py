"""Reports: the helpline's statistics, counted from the cases themselves.

    async with sessions() as session:
        report = await compute_report(session, Period(date(2025, 1, 1), date(2025, 12, 31)),
                                      taxonomy_kind="default", min_cell=None)
    render(report, "text", lang="az")   # also json, csv, html (str) and png (bytes)

Counts only: a report never holds a case's text, a person or an id.
"""

from __future__ import annotations

from escalation.reports.figures import Counts, Report, build_report, suppress
from escalation.reports.importer import (
    ImportRefused,
    ImportResult,
    RowChecker,
    RowError,
    import_contacts,
)
from escalation.reports.query import DEFAULT_TIMEZONE, Period, compute_report, count_cases
from escalation.reports.taxonomy import Taxonomy, default_taxonomy, load_taxonomy

FORMATS = ("text", "json", "csv", "html", "png")


def render(report: Report, fmt: str, *, lang: str = "az") -> str | bytes:
    if fmt == "text":
        from escalation.reports.render_text import render_text

        return render_text(report, lang)
    if fmt == "json":
        from escalation.reports.render_data import render_json

        return render_json(report)
    if fmt == "csv":
        from escalation.reports.render_data import render_csv

        return render_csv(report)
    if fmt == "html":
        from escalation.reports.render_html import render_html

        return render_html(report, lang)
    if fmt == "png":
        # matplotlib is slow to import: only when a chart image is asked for.
        from escalation.reports.render_png import render_png

        return render_png(report, lang)
    raise ValueError(f"format must be one of {', '.join(FORMATS)}")


__all__ = [
    "DEFAULT_TIMEZONE",
    "FORMATS",
    "Counts",
    "ImportRefused",
    "ImportResult",
    "Period",
    "Report",
    "RowChecker",
    "RowError",
    "Taxonomy",
    "build_report",
    "compute_report",
    "count_cases",
    "default_taxonomy",
    "import_contacts",
    "load_taxonomy",
    "render",
    "suppress",
]
