"""Excel exports of the dashboard and of a department scorecard: numbers as numbers (not
text), each with its unit, so they can be worked with in Excel."""

from __future__ import annotations

import io

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _number(value):
    return None if value is None else float(value)


def _as_text(cell) -> None:
    """openpyxl stores text starting with "=" as a formula; user text (a department named
    "=HYPERLINK(…)") must stay text. Text cells are never evaluated by spreadsheet programs,
    whatever they start with (+, -, @ included)."""
    if isinstance(cell.value, str) and cell.data_type == "f":
        cell.data_type = "s"


def _sheet(wb, title, header, rows):
    ws = wb.create_sheet(title[:31])
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(row)
        for cell in ws[ws.max_row]:
            _as_text(cell)
    for cell in ws[1]:
        _as_text(cell)
    ws.freeze_panes = "A2"
    for column in ws.columns:
        width = max(len(str(c.value or "")) for c in column)
        ws.column_dimensions[column[0].column_letter].width = min(max(width + 2, 8), 40)
    return ws


def dashboard_workbook(*, org, period, data) -> bytes:
    """Indices, ranking and the departments × KPIs statuses of one period."""
    wb = Workbook()
    wb.remove(wb.active)
    current = data.get("current")
    _sheet(
        wb,
        _("Indices"),
        [
            _("Period"),
            _("Company index"),
            _("Management index"),
            _("Business index"),
            _("Balance gap (business − management)"),
            _("Management coverage"),
            _("Business coverage"),
        ],
        [
            [
                period.label,
                _number(current and current.company_index),
                _number(current and current.management_index),
                _number(current and current.business_index),
                _number(current and current.balance_gap),
                _number(current and current.management_coverage),
                _number(current and current.business_coverage),
            ]
        ],
    )
    _sheet(
        wb,
        _("Ranking of departments"),
        [
            "#",
            _("Department"),
            _("Code"),
            _("Kind"),
            _("Score"),
            _("With sub-departments"),
            _("Coverage"),
            _("Status"),
        ],
        [
            [
                n,
                c.department.display_name,
                c.department.code,
                c.department.get_kind_display(),
                _number(c.score),
                _number(c.rolled_up_score),
                _number(c.coverage),
                c.get_status_display(),
            ]
            for n, c in enumerate(data.get("ranking", []), start=1)
        ],
    )
    heat = data.get("heatmap") or {"columns": [], "rows": []}
    _sheet(
        wb,
        _("Departments × KPIs"),
        [_("Department"), *[i.display_name for i in heat["columns"]]],
        [
            [
                row["department"].display_name,
                *[_number(cell.score) if cell else None for cell in row["cells"]],
            ]
            for row in heat["rows"]
        ],
    )
    return _save(wb)


def scorecard_workbook(*, department, period, card) -> bytes:
    """One department's scorecard: its totals and every KPI line."""
    wb = Workbook()
    wb.remove(wb.active)
    _sheet(
        wb,
        _("Scorecard"),
        [
            _("Department"),
            _("Period"),
            _("Score"),
            _("With sub-departments"),
            _("Coverage"),
            _("Status"),
        ],
        [
            [
                department.display_name,
                period.label,
                _number(card and card.score),
                _number(card and card.rolled_up_score),
                _number(card and card.coverage),
                card.get_status_display() if card else "",
            ]
        ],
    )
    _sheet(
        wb,
        _("KPIs"),
        [
            _("KPI"),
            _("Code"),
            _("Unit"),
            _("Weight"),
            _("Actual"),
            _("Target"),
            _("Upper target"),
            _("Threshold"),
            _("Score"),
            _("Status"),
        ],
        [
            [
                line.kpi.indicator.display_name,
                line.kpi.indicator.code,
                line.kpi.indicator.get_unit_display(),
                _number(line.weight),
                _number(line.actual),
                _number(line.target),
                _number(line.target_max),
                _number(line.threshold),
                _number(line.score),
                line.get_status_display(),
            ]
            for line in (card.lines if card else [])
        ],
    )
    return _save(wb)


def _save(wb) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
