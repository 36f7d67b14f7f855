"""The numbers the dashboard's charts draw, and which of them have something to say.

A chart drawn from no value, from a single point or from values that are all the same (every
department at 100 % coverage) tells the reader nothing the table beside it does not: the
page shows one line instead (`empty`, keyed by chart). The rule is here so that it is
tested once; static/perfhub/dashboard.js draws what is left."""

from __future__ import annotations

from collections.abc import Iterable


def chart_number(value):
    """A score for a chart: one decimal, as the tables and tooltips show it (the heatmap's
    5,000 cells are most of the page's weight)."""
    return None if value is None else round(float(value), 1)


def chart_value(value):
    """An actual or a target for a chart: two decimals, as `readable` shows it."""
    return None if value is None else round(float(value), 2)


def says_something(values: Iterable) -> bool:
    """True when the values (None for no value) hold at least two points that differ: a
    chart of them shows a difference or a change."""
    present = {v for v in values if v is not None}
    return len(present) >= 2


def periods_with_values(series: Iterable[list]) -> int:
    """How many periods (positions) have a value in at least one of the series."""
    columns = list(zip(*series, strict=True))
    return sum(1 for column in columns if any(v is not None for v in column))


STATUS_LEVEL = {"grey": 0, "red": 1, "amber": 2, "green": 3}


def _box(q):
    return None if q is None else [q["min"], q["q1"], q["median"], q["q3"], q["max"]]


def dashboard_charts(data) -> dict:
    """The numbers the dashboard's charts draw (the tables on the page show the same), and
    `empty`: for each chart, True when it has nothing to say:

    - the trends: fewer than two periods with a value;
    - the comparison: fewer than two scored departments, or all at the same score;
    - score against coverage: fewer than two scored departments, or all at the same
      coverage (then the ranking says it all);
    - the fairness check: no period with scores;
    - the heatmap: no scored KPI."""
    if not data:
        return {}
    heat = data["heatmap"]
    trend = {
        "periods": [o.period.label for o in data["trend"]],
        "company": [chart_number(o.company_index) for o in data["trend"]],
        "management": [chart_number(o.management_index) for o in data["trend"]],
        "business": [chart_number(o.business_index) for o in data["trend"]],
        "company_year_before": [
            chart_number(getattr(o, "company_index_year_before", None)) for o in data["trend"]
        ],
    }
    departments_trend = [
        {
            "name": r["department"].display_name,
            "kind": r["department"].kind,
            "scores": [chart_number(v) for v in r["scores"]],
        }
        for r in data["department_trend"]
    ]
    comparison = [
        {
            "name": c.department.display_name,
            "kind": c.department.kind,
            "score": chart_number(c.score),
        }
        for c in data["ranking"]
    ]
    scatter = [
        {
            "name": c.department.display_name,
            "kind": c.department.kind,
            "coverage": round(float(c.coverage) * 100, 1),
            "score": chart_number(c.score),
        }
        for c in data["ranking"]
        if c.score is not None
    ]
    fairness = [
        {
            "period": r["period"].label,
            "management": _box(r["management"]),
            "business": _box(r["business"]),
        }
        for r in data["fairness"]["rows"]
    ]
    cells = [
        [x, y, STATUS_LEVEL[cell.status], chart_number(cell.score)]
        for y, row in enumerate(heat["rows"])
        for x, cell in enumerate(row["cells"])
        if cell is not None
    ]
    scored = [c["score"] for c in comparison]
    return {
        "comparison": comparison,
        "heatmap": {
            "columns": [i.display_name for i in heat["columns"]],
            "rows": [r["department"].display_name for r in heat["rows"]],
            "cells": cells,
        },
        "scatter": scatter,
        "fairness": fairness,
        "departments_trend": departments_trend,
        "trend": trend,
        "empty": {
            "trend": periods_with_values([trend["company"], trend["management"], trend["business"]])
            < 2,
            "departments_trend": periods_with_values([d["scores"] for d in departments_trend]) < 2,
            "comparison": not says_something(scored),
            "scatter": len(scatter) < 2 or not says_something(p["coverage"] for p in scatter),
            "fairness": not any(r["management"] or r["business"] for r in fairness),
            "heatmap": not cells,
        },
    }
