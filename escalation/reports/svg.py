"""Charts as inline SVG: the HTML report stays one self-contained file, with no script."""

from __future__ import annotations

from html import escape

from escalation.reports.figures import Cell, Report
from escalation.reports.texts import Texts

COLOURS = ("#2b6cb0", "#4299e1", "#90cdf4")  # category, subcategory, other bars
WIDTH, LABEL_WIDTH, VALUE_WIDTH, ROW = 680, 300, 60, 22


def _length(value: Cell, largest: int, room: int) -> float:
    # A suppressed cell has no length: drawing it would give the number away.
    return room * value / largest if isinstance(value, int) and largest else 0.0


def bar_chart(rows: list[tuple[str, Cell, int]], title: str, number) -> str:
    """Horizontal bars; rows are (label, value, level) with level 0 (bold) or 1 (indented)."""
    largest = max((v for _, v, _ in rows if isinstance(v, int)), default=0)
    room = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    height = ROW * len(rows) + 30
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{escape(title)}">',
        f'<text x="0" y="16" font-weight="bold" font-size="14">{escape(title)}</text>',
    ]
    for i, (label, value, level) in enumerate(rows):
        y = 30 + i * ROW
        length = _length(value, largest, room)
        weight = "bold" if level == 0 else "normal"
        parts.append(
            f'<text x="{4 + 14 * level}" y="{y + 14}" font-size="12" font-weight="{weight}">'
            f"{escape(label)}</text>"
            f'<rect x="{LABEL_WIDTH}" y="{y + 3}" width="{length:.1f}" height="{ROW - 6}" '
            f'fill="{COLOURS[min(level, 2)]}"/>'
            f'<text x="{LABEL_WIDTH + length + 4:.1f}" y="{y + 14}" font-size="12">'
            f"{escape(number(value))}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def column_chart(columns: list[tuple[str, Cell]], title: str, number) -> str:
    """Vertical columns, one per month."""
    largest = max((v for _, v in columns if isinstance(v, int)), default=0)
    plot_height, step = 160, max(18, min(52, (WIDTH - 20) // max(1, len(columns))))
    width = max(WIDTH, 20 + step * len(columns))
    height = plot_height + 90
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">',
        f'<text x="0" y="16" font-weight="bold" font-size="14">{escape(title)}</text>',
    ]
    base = plot_height + 40
    for i, (label, value) in enumerate(columns):
        x = 10 + i * step
        length = _length(value, largest, plot_height)
        parts.append(
            f'<rect x="{x + 3}" y="{base - length:.1f}" width="{step - 6}" height="{length:.1f}" '
            f'fill="{COLOURS[0]}"/>'
            f'<text x="{x + step / 2:.1f}" y="{base - length - 4:.1f}" font-size="10" '
            f'text-anchor="middle">{escape(number(value))}</text>'
            f'<text x="{x + step / 2:.1f}" y="{base + 12}" font-size="10" text-anchor="end" '
            f'transform="rotate(-45 {x + step / 2:.1f} {base + 12})">{escape(label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def report_charts(report: Report, t: Texts) -> dict[str, str]:
    """{section: svg} for the category tree, gender, age band, channel and months."""
    rows: list[tuple[str, Cell, int]] = []
    for category, node in report.by_category.items():
        rows.append((t.category(category, report.taxonomy), node["total"], 0))
        rows += [
            (t.subcategory(category, sub, report.taxonomy), n, 1)
            for sub, n in node["subcategories"].items()
        ]
    charts = {"by_category": bar_chart(rows, t["sections.by_category"], t.number)}
    for section in ("by_gender", "by_age_band", "by_channel"):
        cells = getattr(report, section)
        flat = [(t.label(section, key), n, 0) for key, n in cells.items()]
        charts[section] = bar_chart(flat, t[f"sections.{section}"], t.number)
    months = [(t.label("by_month", key), n) for key, n in report.by_month.items()]
    charts["by_month"] = column_chart(months, t["sections.by_month"], t.number)
    return charts
