"""Excel exports of the dashboard and of a department scorecard: numbers as numbers (not
text) with their formats, status colours, fitted columns and a title block naming the
organization, the period and the time of export (the look is metrics.workbooks')."""

from __future__ import annotations

from django.utils.translation import gettext as _

from metrics import workbooks as wbk
from metrics.workbooks import XLSX, Column, Marked

from .selectors.compare import INDICES, YOY

__all__ = ["XLSX", "dashboard_workbook", "scorecard_workbook"]


def _status(obj) -> Marked | str:
    """The status label of a scorecard or line, filled with its colour."""
    if obj is None:
        return ""
    return Marked(obj.get_status_display(), status=obj.status)


def compare_label(compare: str) -> str:
    """同比 or 环比, as the dashboard's toggle names them."""
    return _("Year on year") if compare == YOY else _("Period on period")


def dashboard_workbook(*, org, period, data, goals=(), contributions=None, by=None) -> bytes:
    """Indices, ranking, the departments × KPIs scores and the company goals in force
    during one period. `goals` and `contributions` are scorecards.selectors.goals'
    goals_in_force and goal_contributions for the period. The indices and the ranking
    carry the comparison the dashboard showed (`data["compare"]`: 同比 or 环比): the
    values then and the change."""
    wb = wbk.new_workbook()
    heading = wbk.title_lines(org=org, period=period, by=by)
    current = data.get("current")
    label = compare_label(data.get("compare", ""))
    previous = data.get("previous")
    deltas = data.get("deltas") or {}
    compared_rows = []
    if previous is not None:
        compared_rows.append(
            [
                previous.period.label,
                previous.company_index,
                previous.management_index,
                previous.business_index,
                previous.balance_gap,
                previous.management_coverage,
                previous.business_coverage,
            ]
        )
    if deltas:
        compared_rows.append(
            [
                _("Change, %(compare)s") % {"compare": label},
                *[Marked(deltas[name].change, number_format=wbk.CHANGE) for name in INDICES],
                None,
                None,
            ]
        )
    wbk.add_table(
        wb,
        title=_("Indices"),
        heading=heading,
        columns=[
            Column(_("Period")),
            Column(_("Company index"), wbk.SCORE),
            Column(_("Management index"), wbk.SCORE),
            Column(_("Business index"), wbk.SCORE),
            Column(_("Balance gap (business − management)"), wbk.SCORE),
            Column(_("Management coverage"), wbk.PERCENT),
            Column(_("Business coverage"), wbk.PERCENT),
        ],
        rows=[
            [
                period.label,
                current and current.company_index,
                current and current.management_index,
                current and current.business_index,
                current and current.balance_gap,
                current and current.management_coverage,
                current and current.business_coverage,
            ],
            *compared_rows,
        ],
    )
    wbk.add_table(
        wb,
        title=_("Ranking of departments"),
        heading=heading,
        columns=[
            Column("#", wbk.INTEGER, width=5),
            Column(_("Department")),
            Column(_("Code")),
            Column(_("Kind")),
            Column(_("Score"), wbk.SCORE),
            Column(_("With sub-departments"), wbk.SCORE),
            Column(_("Coverage"), wbk.PERCENT),
            Column(_("Status")),
            Column(_("Score, %(compare)s") % {"compare": label}, wbk.SCORE),
            Column(_("Change, %(compare)s") % {"compare": label}, wbk.CHANGE),
        ],
        rows=[
            [
                n,
                c.department.display_name,
                c.department.code,
                c.department.get_kind_display(),
                c.score,
                c.rolled_up_score,
                c.coverage,
                _status(c),
                *_score_then(c),
            ]
            for n, c in enumerate(data.get("ranking", []), start=1)
        ],
    )
    heat = data.get("heatmap") or {"columns": [], "rows": []}
    wbk.add_table(
        wb,
        title=_("Departments × KPIs"),
        heading=heading,
        columns=[
            Column(_("Department")),
            *[Column(i.display_name, wbk.SCORE, width=14) for i in heat["columns"]],
        ],
        rows=[
            [
                row["department"].display_name,
                *[
                    Marked(cell.score, status=cell.status) if cell else None
                    for cell in row["cells"]
                ],
            ]
            for row in heat["rows"]
        ],
    )
    _goals_sheet(wb, heading=heading, goals=goals, contributions=contributions or {})
    return wbk.save(wb)


def _score_then(card) -> list:
    """A ranking card's score in the period compared with, and its change (None: none)."""
    delta = (getattr(card, "delta", None) or {}).get("score")
    return [None, None] if delta is None else [delta.value, delta.change]


def _goals_sheet(wb, *, heading, goals, contributions) -> None:
    """One row per department KPI contributing to a goal, the goal's progress beside it
    (SPEC §5), and the goal's period (a month, or the quarter or year containing it); a
    goal without links is one row."""
    rows = []
    for goal in goals:
        sides = contributions.get(goal.pk) or {}
        lines = [c for side in ("management", "business") for c in sides.get(side, [])]
        if not lines:
            rows.append(
                [goal.title, goal.progress, None, None, None, None, None, "", goal.period.label]
            )
        for c in lines:
            link, line = c["link"], c["line"]
            rows.append(
                [
                    goal.title,
                    goal.progress,
                    link.kpi.department.display_name,
                    link.kpi.department.get_kind_display(),
                    link.kpi.indicator.display_name,
                    link.weight,
                    line.score if line else None,
                    _status(line) if line else "",
                    goal.period.label,
                ]
            )
    wbk.add_table(
        wb,
        title=_("Company goals"),
        heading=heading,
        columns=[
            Column(_("Goal")),
            Column(_("Progress"), wbk.SCORE),
            Column(_("Department")),
            Column(_("Kind")),
            Column(_("KPI")),
            Column(_("Contribution weight"), "0.###"),
            Column(_("Score"), wbk.SCORE),
            Column(_("Status")),
            Column(_("Period")),
        ],
        rows=rows,
    )


def scorecard_workbook(*, org, department, period, card, by=None, compare: str = "") -> bytes:
    """One department's scorecard: its totals and every KPI line (actual and targets in the
    indicator's unit format), and, when `card` carries comparisons (attach_comparisons),
    the values in the period compared with (`compare`: 同比 or 环比) and their changes."""
    wb = wbk.new_workbook()
    heading = (
        f"{org.name} · {department.display_name} · {period.label}",
        wbk.title_lines(org=org, period=period, by=by)[1],
    )
    label = compare_label(compare)
    card_delta = (getattr(card, "compare", None) or {}).get(compare, {}).get("score")
    wbk.add_table(
        wb,
        title=_("Scorecard"),
        heading=heading,
        columns=[
            Column(_("Department")),
            Column(_("Period")),
            Column(_("Score"), wbk.SCORE),
            Column(_("With sub-departments"), wbk.SCORE),
            Column(_("Coverage"), wbk.PERCENT),
            Column(_("Status")),
            Column(_("Score, %(compare)s") % {"compare": label}, wbk.SCORE),
            Column(_("Change, %(compare)s") % {"compare": label}, wbk.CHANGE),
        ],
        rows=[
            [
                department.display_name,
                period.label,
                card and card.score,
                card and card.rolled_up_score,
                card and card.coverage,
                _status(card),
                card_delta and card_delta.value,
                card_delta and card_delta.change,
            ]
        ],
    )
    rows = []
    for line in card.lines if card else []:
        unit = wbk.unit_format(line.kpi.indicator.unit)
        deltas = (getattr(line, "compare", None) or {}).get(compare) or {}
        actual, score = deltas.get("actual"), deltas.get("score")
        rows.append(
            [
                line.kpi.indicator.display_name,
                line.kpi.indicator.code,
                line.kpi.indicator.get_unit_display(),
                line.weight,
                Marked(line.actual, number_format=unit),
                Marked(line.target, number_format=unit),
                Marked(line.target_max, number_format=unit),
                Marked(line.threshold, number_format=unit),
                line.score,
                _status(line),
                Marked(actual and actual.value, number_format=unit),
                Marked(actual and actual.change, number_format=_signed(unit)),
                actual and actual.percent,
                score and score.value,
                score and score.change,
            ]
        )
    wbk.add_table(
        wb,
        title=_("KPIs"),
        heading=heading,
        columns=[
            Column(_("KPI")),
            Column(_("Code")),
            Column(_("Unit")),
            Column(_("Weight"), "0.###"),
            Column(_("Actual")),
            Column(_("Target")),
            Column(_("Upper target")),
            Column(_("Threshold")),
            Column(_("Score"), wbk.SCORE),
            Column(_("Status")),
            Column(_("Actual, %(compare)s") % {"compare": label}),
            Column(_("Change, %(compare)s") % {"compare": label}),
            Column(_("Change in %%, %(compare)s") % {"compare": label}, PERCENT_CHANGE),
            Column(_("Score, %(compare)s") % {"compare": label}, wbk.SCORE),
            Column(_("Score change, %(compare)s") % {"compare": label}, wbk.CHANGE),
        ],
        rows=rows,
    )
    return wbk.save(wb)


# A change already in percent (+25.0 → "+25.0%"), with its sign.
PERCENT_CHANGE = '+0.0"%";-0.0"%";0.0"%"'


def _signed(number_format: str) -> str:
    """A unit's number format with the sign of a change shown: #,##0 → +#,##0;-#,##0;0."""
    if ";" in number_format or number_format == wbk.TEXT:
        return number_format
    return f"+{number_format};-{number_format};{number_format}"
