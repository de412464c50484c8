"""The PNG report: four charts in one image (matplotlib, Agg canvas, no display needed)."""

from __future__ import annotations

import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from escalation.reports.figures import Cell, Report
from escalation.reports.svg import COLOURS
from escalation.reports.texts import Texts, texts


def _value(n: Cell) -> int:
    return n if isinstance(n, int) else 0  # a hidden count is drawn as nothing, never as itself


def _barh(ax, rows: list[tuple[str, Cell, int]], title: str, t: Texts) -> None:
    labels = [("    " if level else "") + label for label, _, level in rows]
    values = [_value(n) for _, n, _ in rows]
    colours = [COLOURS[min(level, 2)] for _, _, level in rows]
    positions = range(len(rows))
    ax.barh(positions, values, color=colours)
    ax.set_yticks(list(positions), labels, fontsize=8)
    for label in ax.get_yticklabels():
        if not label.get_text().startswith(" "):
            label.set_fontweight("bold")
    ax.invert_yaxis()
    largest = max(values, default=0) or 1
    for y, (_, n, _) in enumerate(rows):
        ax.text(_value(n) + largest * 0.01, y, t.number(n), va="center", fontsize=7)
    ax.set_xlim(0, largest * 1.15)
    ax.set_title(title, fontsize=10, loc="left", fontweight="bold")
    ax.spines[["top", "right"]].set_visible(False)


def render_png(report: Report, lang: str = "az", *, dpi: int = 110) -> bytes:
    t = texts(lang)
    figure = Figure(figsize=(12, 11), dpi=dpi, layout="constrained")
    FigureCanvasAgg(figure)
    grid = figure.add_gridspec(3, 2, height_ratios=(3.2, 1, 1.3))
    start, end = t.day(report.period_from), t.day(report.period_to)
    figure.suptitle(
        f"{t['title']}\n{t['intro'].format(start=start, end=end, total=t.number(report.total))}",
        fontsize=11,
    )
    rows = []
    for category, node in report.by_category.items():
        rows.append((t.category(category, report.taxonomy), node["total"], 0))
        rows += [
            (t.subcategory(category, sub, report.taxonomy), n, 1)
            for sub, n in node["subcategories"].items()
        ]
    _barh(figure.add_subplot(grid[0, :]), rows, t["sections.by_category"], t)
    for column, section in enumerate(("by_gender", "by_age_band")):
        cells = getattr(report, section)
        flat = [(t.label(section, key), n, 0) for key, n in cells.items()]
        _barh(figure.add_subplot(grid[1, column]), flat, t[f"sections.{section}"], t)
    ax = figure.add_subplot(grid[2, :])
    months = list(report.by_month.items())
    ax.bar(range(len(months)), [_value(n) for _, n in months], color=COLOURS[0])
    ax.set_xticks(
        range(len(months)),
        [t.label("by_month", key) for key, _ in months],
        rotation=45,
        ha="right",
        fontsize=7,
    )
    ax.set_title(t["sections.by_month"], fontsize=10, loc="left", fontweight="bold")
    ax.spines[["top", "right"]].set_visible(False)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
