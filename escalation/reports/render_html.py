"""The HTML report: one self-contained page (inline CSS and SVG charts, no script, nothing
fetched), the same for `helpline report --format html` and the /reports page."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from escalation.reports.figures import Report
from escalation.reports.svg import report_charts
from escalation.reports.texts import texts

TEMPLATES = Path(__file__).parent / "templates"
_environment = Environment(
    loader=FileSystemLoader(str(TEMPLATES)),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def render_html(report: Report, lang: str = "az", *, controls: dict | None = None) -> str:
    t = texts(lang)
    charts = {name: Markup(svg) for name, svg in report_charts(report, t).items()}
    return _environment.get_template("report.html").render(
        t=t,
        lang=lang,
        report=report.to_dict(),  # Jinja reads dict keys as attributes
        charts=charts,
        start=t.day(report.period_from),
        end=t.day(report.period_to),
        controls=controls,
    )
