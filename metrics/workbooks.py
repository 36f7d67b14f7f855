"""How PerfHub's .xlsx files look: one home for the styling of every workbook it writes
(the entry template of metrics.spreadsheets, the dashboard and scorecard exports of
scorecards.exports, the published grades of grades.exports).

An export sheet is a title block (organization, period, time of export), a bold header row
frozen under it, then the rows, each column with its number format and a width that fits;
a status column is filled with the colours the pages use (static/perfhub/app.css
`.status-*`). Numbers stay numbers: formats only change how Excel shows them.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from perfhub.names import display_name

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# The pages' status colours (app.css .status-green/-amber/-red).
STATUS_COLOURS = {"green": "D1E7DD", "amber": "FFF3CD", "red": "F8D7DA"}
HEADER_COLOUR = "DEE2E6"
REFERENCE_COLOUR = "EFEFEF"  # read-only columns of the entry template
INPUT_COLOUR = "FFF2CC"  # the columns to fill in

# Number formats. Excel shows these with the reader's own separators.
TEXT = "@"
DECIMAL = "#,##0.00"
INTEGER = "#,##0"
SCORE = "0.0"
CHANGE = "+0.0;-0.0;0.0"  # a change of a score or an index, with its sign: +4.8, -7.9
PERCENT = "0.0%"  # a fraction (coverage 0.7143 → 71.4%)
POINTS = "0.0"  # a percentage already in points (92.5 → 92.5)
DATETIME = "yyyy-mm-dd hh:mm"
COEFFICIENT = "0.00#"  # a grade's coefficient: 1.3 → 1.30, 1.15 → 1.15, 1.125 → 1.125

# How a value of each indicator unit is shown (metrics.models.Unit).
UNIT_FORMATS = {
    "percent": "#,##0.0#",
    "currency": DECIMAL,
    "minutes": "#,##0.#",
    "hours": "#,##0.0#",
    "days": "#,##0.#",
    "count": INTEGER,
    "score": "#,##0.0#",
    "ratio": "#,##0.00##",
}

HEADER_FONT = Font(bold=True)
TITLE_FONT = Font(bold=True, size=14)
SUBTITLE_FONT = Font(italic=True, color="6C757D")
HEADER_FILL = PatternFill("solid", fgColor=HEADER_COLOUR)
REFERENCE_FILL = PatternFill("solid", fgColor=REFERENCE_COLOUR)
INPUT_FILL = PatternFill("solid", fgColor=INPUT_COLOUR)
THIN_BOTTOM = Border(bottom=Side(style="thin", color="ADB5BD"))
WRAP = Alignment(wrap_text=True, vertical="top")

MIN_WIDTH, MAX_WIDTH = 8, 48


def status_fill(status: str | None) -> PatternFill | None:
    """The fill of a status (green / amber / red); None for grey or none."""
    colour = STATUS_COLOURS.get(status or "")
    return PatternFill("solid", fgColor=colour) if colour else None


def unit_format(unit: str | None) -> str:
    return UNIT_FORMATS.get(unit or "", DECIMAL)


@dataclass(frozen=True, slots=True)
class Marked:
    """A value with its own look: `status` (green/amber/red/grey) picks a fill, and
    `number_format` overrides the column's (a KPI line's actual shown by its unit)."""

    value: object
    status: str | None = None
    number_format: str | None = None


@dataclass(frozen=True, slots=True)
class Column:
    """A column of an export: its header, the number format of its cells (None: text) and
    an optional fixed width (else fitted to the longest value)."""

    header: str
    number_format: str | None = None
    width: float | None = None


def number(value):
    """A Decimal as a float cell (None stays empty); other values as they are."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return float(value)
    return value


def new_workbook() -> Workbook:
    wb = Workbook()
    wb.remove(wb.active)
    return wb


def export_stamp() -> str:
    """The time of export as shown in the title block: ISO date and time, local zone."""
    return timezone.localtime().strftime("%Y-%m-%d %H:%M")


def title_lines(*, org, period, by=None) -> tuple[str, str]:
    """The two title lines of every export: organization · period, and the time of export
    (and by whom, by their name: perfhub.names)."""
    heading = f"{org.name} · {period.label}" if period is not None else org.name
    if by is None:
        return heading, _("Exported at %(time)s") % {"time": export_stamp()}
    return heading, _("Exported at %(time)s by %(name)s") % {
        "time": export_stamp(),
        "name": display_name(by),
    }


def add_table(wb: Workbook, *, title: str, heading: tuple[str, str], columns, rows):
    """A sheet named `title`: the title block (`heading`: two lines), a blank row, the
    header row (frozen with the title above it) and `rows`, each value written with its
    column's format; a Marked value gets its status colour. Text is never a formula."""
    ws = wb.create_sheet(_sheet_title(title))
    ws.append([heading[0]])
    ws["A1"].font = TITLE_FONT
    ws.append([heading[1]])
    ws["A2"].font = SUBTITLE_FONT
    ws.append([])
    header_row = 4
    ws.append([c.header for c in columns])
    for cell in ws[header_row]:
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.border = THIN_BOTTOM
        cell.alignment = Alignment(wrap_text=True, vertical="bottom")
    widths = [len(str(c.header)) for c in columns]
    for values in rows:
        line = []
        for value in values:
            line.append(number(value.value if isinstance(value, Marked) else value))
        ws.append(line)
        cells = zip(ws[ws.max_row], values, columns, strict=False)
        for n, (cell, value, column) in enumerate(cells):
            if isinstance(value, Marked) and (fill := status_fill(value.status)) is not None:
                cell.fill = fill
            shown = value.number_format if isinstance(value, Marked) else None
            shown = shown or column.number_format
            if shown and not isinstance(cell.value, str):
                cell.number_format = shown
            if isinstance(cell.value, str) and cell.data_type == "f":
                cell.data_type = "s"  # user text ("=HYPERLINK(…)") stays text
            widths[n] = max(widths[n], _shown_length(cell.value, shown))
    for cell in (ws["A1"], ws["A2"]):
        if isinstance(cell.value, str) and cell.data_type == "f":
            cell.data_type = "s"
    for cell in ws[header_row]:
        if isinstance(cell.value, str) and cell.data_type == "f":
            cell.data_type = "s"
    for n, column in enumerate(columns, start=1):
        width = column.width or min(max(widths[n - 1] + 2, MIN_WIDTH), MAX_WIDTH)
        ws.column_dimensions[get_column_letter(n)].width = width
    ws.freeze_panes = f"A{header_row + 1}"
    return ws


def _shown_length(value, number_format: str | None) -> int:
    """About how many characters Excel shows for the value (CJK characters count double)."""
    if value is None:
        return 0
    if isinstance(value, int | float):
        if number_format == PERCENT:
            return len(f"{value * 100:.1f}%")
        return len(f"{value:,.2f}")
    text = str(value)
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


_SHEET_FORBIDDEN = str.maketrans(dict.fromkeys("\\/?*[]:", " "))


def _sheet_title(title: str) -> str:
    return str(title).translate(_SHEET_FORBIDDEN)[:31]


def save(wb: Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
