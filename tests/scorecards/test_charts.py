"""Which dashboard charts have something to say (scorecards/charts.py), and the one palette
and one number formatter every chart uses (static/perfhub/charts.js)."""

import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest

from scorecards.charts import dashboard_charts, periods_with_values, says_something

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "static" / "perfhub"


@pytest.mark.parametrize(
    "values,expected",
    [
        ([], False),
        ([None, None], False),
        ([90.0], False),  # a single point
        ([100.0, 100.0, 100.0], False),  # everything at the same value
        ([100.0, None, 100.0], False),
        ([100.0, 99.5], True),
        ([None, 80.0, 95.0], True),
    ],
)
def test_a_chart_says_something_only_with_two_different_values(values, expected):
    assert says_something(values) is expected


def test_periods_with_values_counts_positions_with_any_value():
    assert periods_with_values([[None, 1, None], [None, None, None]]) == 1
    assert periods_with_values([[1, None, 2], [None, 3, None]]) == 3
    assert periods_with_values([]) == 0


def _department(code, kind):
    return SimpleNamespace(pk=hash(code) % 1000, code=code, display_name=code.title(), kind=kind)


def _card(code, kind, score, coverage):
    return SimpleNamespace(
        department=_department(code, kind),
        department_id=hash(code) % 1000,
        score=None if score is None else Decimal(score),
        coverage=Decimal(coverage),
    )


def _data(cards, trend_points=1, fairness_rows=1):
    periods = [SimpleNamespace(label=f"2026-{n:02}", start=date(2026, n, 1)) for n in (1, 2, 3)]
    trend = [
        SimpleNamespace(
            period=p,
            company_index=Decimal(80) if i < trend_points else None,
            management_index=None,
            business_index=None,
        )
        for i, p in enumerate(periods)
    ]
    quartiles = {"min": 70, "q1": 75, "median": 80, "q3": 85, "max": 90, "count": 3}
    return {
        "ranking": cards,
        "heatmap": {"columns": [], "rows": []},
        "trend": trend,
        "department_trend": [
            {"department": c.department, "scores": [c.score, None, None]} for c in cards
        ],
        "fairness": {
            "rows": [
                {
                    "period": p,
                    "management": quartiles if i < fairness_rows else None,
                    "business": None,
                }
                for i, p in enumerate(periods)
            ]
        },
    }


def test_every_department_at_full_coverage_empties_the_scatter_only():
    cards = [
        _card("sales", "business", "95", "1"),
        _card("hr", "management", "80", "1"),
        _card("it", "management", "80", "1"),
    ]
    empty = dashboard_charts(_data(cards))["empty"]
    assert empty["scatter"] is True  # all at 100 %: nothing to read sideways
    assert empty["comparison"] is False  # the scores differ
    assert empty["trend"] is True  # one period with an index
    assert empty["departments_trend"] is True
    assert empty["fairness"] is False
    assert empty["heatmap"] is True  # no cell


def test_charts_with_something_to_say_are_drawn():
    cards = [_card("sales", "business", "95", "1"), _card("hr", "management", "80", "0.5")]
    data = _data(cards, trend_points=2)
    data["department_trend"][0]["scores"] = [Decimal(90), Decimal(95), None]
    data["heatmap"] = {
        "columns": [SimpleNamespace(display_name="Revenue")],
        "rows": [
            {
                "department": cards[0].department,
                "cells": [SimpleNamespace(status="red", score=Decimal("60.04"))],
            }
        ],
    }
    charts = dashboard_charts(data)
    assert charts["empty"] == {
        "trend": False,
        "departments_trend": False,
        "comparison": False,
        "scatter": False,
        "fairness": False,
        "heatmap": False,
    }
    assert charts["heatmap"]["cells"] == [[0, 0, 1, 60.0]]
    assert charts["scatter"] == [
        {"name": "Sales", "kind": "business", "coverage": 100.0, "score": 95.0},
        {"name": "Hr", "kind": "management", "coverage": 50.0, "score": 80.0},
    ]


def test_a_single_scored_department_or_equal_scores_empty_the_comparison():
    one = [_card("sales", "business", "95", "1"), _card("hr", "management", None, "0")]
    assert dashboard_charts(_data(one))["empty"]["comparison"] is True
    assert dashboard_charts(_data(one))["empty"]["scatter"] is True
    equal = [_card("sales", "business", "100", "1"), _card("hr", "management", "100", "0.5")]
    assert dashboard_charts(_data(equal))["empty"]["comparison"] is True
    no_scores = _data([], fairness_rows=0)
    assert dashboard_charts(no_scores)["empty"]["fairness"] is True


def test_only_the_palette_names_colours():
    """One colour per side on every chart: the colours are named once, in charts.js, and
    every chart script takes them from `PerfhubCharts.palette`."""
    colour = re.compile(r"#[0-9a-fA-F]{3,8}\b|rgba?\(")
    found = [
        f"{path.name}:{n}: {line.strip()}"
        for path in sorted(SCRIPTS.glob("*.js"))
        if path.name != "charts.js"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if colour.search(line)
    ]
    assert found == []
    palette = (SCRIPTS / "charts.js").read_text(encoding="utf-8")
    assert re.search(r'management: "#[0-9a-f]{6}"', palette)
    assert re.search(r'business: "#[0-9a-f]{6}"', palette)


@pytest.mark.parametrize(
    "template,script",
    [
        ("scorecards/templates/scorecards/dashboard.html", "dashboard.js"),
        ("scorecards/templates/scorecards/kpi_detail.html", "kpi.js"),
        ("reviews/templates/reviews/influence.html", "influence.js"),
    ],
)
def test_every_chart_page_loads_the_shared_chart_script_first(template, script):
    text = (ROOT / template).read_text(encoding="utf-8")
    assert "perfhub/charts.js" in text
    assert text.index("perfhub/charts.js") < text.index(f"perfhub/{script}")
