"""Reads of the company dashboard: indices, ranking, heat map, trends, fairness and the
company goals in force (stored scorecards only)."""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, F
from django.utils.translation import get_language

from metrics.selectors import period_list

from ..models import OrgScorecard, Scorecard, ScorecardLine, Status
from .actions import follow_up
from .compare import DEFAULT_COMPARE, index_comparisons, index_trend_year_before
from .goals import goal_contributions, goals_in_force
from .scorecards import (
    department_trend,
    org_scorecard,
    pending_period_ids,
    ranking,
)


def dashboard(
    *, org, period, department_ids=None, kind=None, function=None, compare=DEFAULT_COMPARE
) -> dict:
    """Everything the company dashboard shows for a period, in a fixed number of queries:
    indices and their change from the period they are compared with (`compare`: `pop`, the
    previous period of the same kind, 环比; `yoy`, the same period a year before, 同比),
    their trend, the department ranking (filtered; each card with its `delta`: its own and
    rolled-up score against then), the heatmap of departments × KPIs, and the follow-up of
    red KPIs (without an action, overdue actions, actions closed in the period) of the
    departments shown. `previous` is the organization scorecard compared with (None: none
    stored), `changes` the indices' changes (None: nothing to compare), `deltas` the same
    as scorecards.selectors.compare.Delta."""
    current = org_scorecard(org=org, period_id=period.pk)
    cards = ranking(
        org=org, period_id=period.pk, department_ids=department_ids, kind=kind, function=function
    )
    found = index_comparisons(
        org=org, period=period, current=current, cards=cards, compares=[compare]
    )[compare]
    for card in cards:
        card.delta = card.compare[compare]
    return {
        "current": current,
        "compare": compare,
        "previous": found["previous"],
        "deltas": found["indices"],
        "changes": {name: delta.change for name, delta in found["indices"].items()},
        "ranking": cards,
        "heatmap": heatmap(org=org, period=period, cards=cards),
        "trend": (trend := _with_year_before(org, index_trend(org=org, period=period))),
        "department_trend": department_trend(
            org=org, periods=[o.period for o in trend], cards=cards
        ),
        "fairness": fairness(org=org, period=period),
        "goals": dashboard_goals(org=org, period=period),
        "pending": period.pk in pending_period_ids(org=org),
        "follow": follow_up(org=org, period=period, department_ids=department_ids),
    }


@dataclass(frozen=True)
class HeatCell:
    """One cell of the heatmap: a line's status and score as plain values."""

    status: str
    score: object

    def get_status_display(self) -> str:

        return Status(self.status).label


@dataclass(frozen=True)
class HeatColumn:
    """One column of the heatmap: a scored indicator, named in the page's language."""

    code: str
    name: str
    name_en: str

    @property
    def display_name(self) -> str:

        if self.name_en and (get_language() or "").startswith("en"):
            return self.name_en
        return self.name


def heatmap(*, org, period, cards) -> dict:
    """Departments (in ranking order) × the scored KPIs they have, each cell the line's
    status and score (one query, plain values: thousands of cells)."""
    department_ids = [c.department_id for c in cards]
    rows_db = (
        ScorecardLine.objects.for_org(org)
        .filter(period_id=period.pk, department_id__in=department_ids, scored=True)
        .values_list(
            "department_id",
            "kpi__indicator__code",
            "kpi__indicator__name",
            "kpi__indicator__name_en",
            "status",
            "score",
        )
    )
    columns: dict[str, HeatColumn] = {}
    cells: dict[tuple[int, str], HeatCell] = {}
    for department_id, code, name, name_en, status, score in rows_db:
        columns.setdefault(code, HeatColumn(code, name, name_en))
        cells[(department_id, code)] = HeatCell(status, score)
    ordered = [columns[code] for code in sorted(columns)]
    rows = [
        {
            "department": card.department,
            "cells": [cells.get((card.department_id, c.code)) for c in ordered],
        }
        for card in cards
    ]
    return {"columns": ordered, "rows": rows}


def index_trend(*, org, period, count: int = 12) -> list[OrgScorecard]:
    """The organization's indices over the last `count` periods of the period's kind,
    oldest first (one query)."""
    rows = list(
        OrgScorecard.objects.for_org(org)
        .filter(period__kind=period.kind, period__start__lte=period.start)
        .select_related("period")
        .order_by("-period__start")[:count]
    )
    return rows[::-1]


def _with_year_before(org, trend: list[OrgScorecard]) -> list[OrgScorecard]:
    """The trend, each scorecard with `company_index_year_before`: 同比 of the company
    index, drawn dotted beside it (one query)."""
    for row, before in zip(trend, index_trend_year_before(org=org, trend=trend), strict=True):
        row.company_index_year_before = before  # type: ignore[attr-defined]
    return trend


FAIRNESS_GAP = 15
FAIRNESS_RUN = 3


def _quartiles(values: list) -> dict | None:
    """Min, quartiles, max and count of the scores (inclusive method), None for none."""
    if not values:
        return None
    values = sorted(float(v) for v in values)
    if len(values) == 1:
        q1 = median = q3 = values[0]
    else:
        q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return {
        "min": values[0],
        "q1": q1,
        "median": median,
        "q3": q3,
        "max": values[-1],
        "count": len(values),
    }


def fairness(*, org, period, count: int = 6) -> dict:
    """The distribution of department scores of each kind over the last `count` periods of
    the period's kind (median, quartiles), and a warning when one side's median has been
    more than 15 points above the other's for three periods in a row - the sign that one
    side's targets are easier - with the KPIs that sit at their cap most often then.
    Three queries whatever the number of departments."""

    periods = list(
        period_list(org=org, kind=period.kind)
        .filter(start__lte=period.start)
        .order_by("-start")[:count]
    )[::-1]
    scores = (
        Scorecard.objects.for_org(org)
        .filter(period_id__in=[p.pk for p in periods], score__isnull=False)
        .values_list("period_id", "department__kind", "score")
    )
    by_period: dict = defaultdict(lambda: {"management": [], "business": []})
    for period_id, kind, score in scores:
        by_period[period_id][kind].append(score)
    rows = []
    for p in periods:
        m = _quartiles(by_period[p.pk]["management"])
        b = _quartiles(by_period[p.pk]["business"])
        gap = None if not (m and b) else b["median"] - m["median"]
        rows.append({"period": p, "management": m, "business": b, "gap": gap})
    recent = [r["gap"] for r in rows[-FAIRNESS_RUN:]]
    ahead = None
    if len(recent) == FAIRNESS_RUN and all(g is not None for g in recent):
        if all(g > FAIRNESS_GAP for g in recent):
            ahead = "business"
        elif all(g < -FAIRNESS_GAP for g in recent):
            ahead = "management"
    capped = []
    if ahead:
        run_ids = [r["period"].pk for r in rows[-FAIRNESS_RUN:]]
        capped = list(
            ScorecardLine.objects.for_org(org)
            .filter(period_id__in=run_ids, scored=True, score__gte=F("kpi__cap"))
            .values("kpi__indicator__code", "kpi__indicator__name", "kpi__indicator__name_en")
            .annotate(times=Count("kpi_id"))
            .order_by("-times", "kpi__indicator__code")[:5]
        )
    return {
        "rows": rows,
        "ahead": ahead,
        "capped": capped,
        "gap_limit": FAIRNESS_GAP,
        "run": FAIRNESS_RUN,
    }


def dashboard_goals(*, org, period) -> list:
    """The company goals in force during the period (SPEC §5): those of the period itself
    and of the quarter and year containing it, longest first, each with its progress and
    `sides`: for management and business, the contributing departments in order, each with
    its linked KPIs' lines of the goal's period ({"department", "items": [{"link",
    "line"}]}). Three queries whatever the number of goals and links."""
    goals = list(goals_in_force(org=org, period=period))
    contributions = goal_contributions(org=org, goals=goals)
    for goal in goals:
        goal.sides = {}
        for side, items in contributions[goal.pk].items():
            by_department: dict = {}
            for item in items:
                department = item["link"].kpi.department
                by_department.setdefault(department.pk, {"department": department, "items": []})[
                    "items"
                ].append(item)
            goal.sides[side] = sorted(
                by_department.values(), key=lambda d: (d["department"].code, d["department"].pk)
            )
    return goals
