"""The book's charts, drawn on the server as SVG with pygal (never a browser screenshot):
WeasyPrint draws the SVG itself, so the PDF stays vector and its text stays text.

Each function returns a `data:` URI for an <img>; pygal's own JavaScript and tooltips are
left out (a PDF runs no script), and the labels use the book's font so Chinese shows."""

from __future__ import annotations

import base64
from decimal import Decimal

import pygal
from pygal.style import Style

FONT = "'Noto Sans CJK SC', 'Noto Sans', sans-serif"
MANAGEMENT = "#6f42c1"
BUSINESS = "#0d6efd"
COMPANY = "#212529"

STYLE_ARGS = {
    "font_family": FONT,
    "background": "white",
    "plot_background": "white",
    "foreground": "#212529",
    "foreground_strong": "#212529",
    "foreground_subtle": "#6c757d",
    "colors": (COMPANY, MANAGEMENT, BUSINESS, "#198754", "#fd7e14"),
    "label_font_size": 11,
    "major_label_font_size": 11,
    "legend_font_size": 11,
    "value_font_size": 10,
    "title_font_size": 13,
    "guide_stroke_color": "#e9ecef",
    "major_guide_stroke_color": "#ced4da",
    "guide_stroke_dasharray": "0",
    "major_guide_stroke_dasharray": "0",
}
STYLE = Style(**STYLE_ARGS)

CONFIG = {
    "style": STYLE,
    "disable_xml_declaration": True,
    "js": [],  # no script in a PDF
    "show_legend": True,
    "legend_at_bottom": True,
    "legend_at_bottom_columns": 3,
    "print_values": False,
    "explicit_size": True,
    "margin": 8,
    "truncate_label": 18,
    "truncate_legend": 24,
}


def _number(value) -> float | None:
    return None if value is None else float(Decimal(value))


def _wide(text: str) -> int:
    """How many CJK (double-width) characters the text holds."""
    return sum(1 for ch in text if ord(ch) >= 0x2E80)


def _uri(chart) -> str:
    svg = chart.render()
    if isinstance(svg, str):  # without the XML declaration pygal returns text
        svg = svg.encode("utf-8")
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def index_trend(*, labels: list[str], series: dict[str, list]) -> str | None:
    """The company, management and business indices over the periods (None with fewer than
    two periods: a line needs two points)."""
    if len(labels) < 2:
        return None
    # From 0 (not the lowest value): a fall of a few points must not look like a collapse.
    chart = pygal.Line(width=720, height=280, dots_size=3, range=(0, 120), **CONFIG)
    chart.x_labels = labels
    for name, values in series.items():
        chart.add(name, [_number(v) for v in values])
    return _uri(chart)


def sides(*, rows: list[tuple[str, object, str]]) -> str | None:
    """Every department's score as a horizontal bar coloured by kind (rows: name, score,
    kind; best first): management and business on one scale. The legend is the page's."""
    rows = [r for r in rows if r[1] is not None]
    if not rows:
        return None
    # pygal sizes the label column as if every character were Latin; a Chinese character
    # is about twice as wide, so the column gets the difference or the names are cut.
    extra = max(_wide(name[:18]) for name, _s, _k in rows) * 6
    chart = pygal.HorizontalBar(
        width=720,
        height=max(140, 24 * len(rows) + 50),
        range=(0, 120),
        **{**CONFIG, "show_legend": False, "margin_left": 8 + extra},
    )
    ordered = list(reversed(rows))  # pygal draws the first value at the bottom
    chart.x_labels = [name for name, _score, _kind in ordered]
    chart.add(
        "",
        [
            {"value": _number(score), "color": MANAGEMENT if kind == "management" else BUSINESS}
            for _name, score, kind in ordered
        ],
    )
    return _uri(chart)


def department_trend(*, labels: list[str], scores: list, name: str) -> str | None:
    """One department's score over the periods (None with fewer than two scored)."""
    if sum(s is not None for s in scores) < 2:
        return None
    chart = pygal.Line(
        width=680, height=220, dots_size=3, range=(0, 120), **{**CONFIG, "show_legend": False}
    )
    chart.x_labels = labels
    chart.add(name, [_number(s) for s in scores])
    return _uri(chart)
