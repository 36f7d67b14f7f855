"""The manager's note beside each red or amber line: the department scorecard, the review
page and the KPI page (scorecards.selectors.scorecards.attach_notes)."""

import html

import pytest

from metrics import selectors as metric_selectors
from metrics.services.actuals import ActualInput, ActualsRefused, actuals_save
from scorecards.rollup import recalculate
from scorecards.selectors import scorecards as selectors

pytestmark = pytest.mark.django_db

NOTE = "<b>Key account lost</b> & price cut"


@pytest.fixture
def noted(org, sales, computed):
    """March 2026 of Sales: revenue amber (90) with a note holding markup, the other KPIs
    on their target (green) with notes too, then recalculated."""
    month = computed["month"]
    kpis = {k.indicator.code: k for k in metric_selectors.kpi_list(org=org, department=sales)}
    try:
        _save(org, month, kpis)
    except ActualsRefused as refused:
        raise AssertionError(refused.errors) from None
    recalculate(org=org, period_ids=[p.pk for p in computed["periods"]])
    return {"month": month, "kpis": kpis}


def _save(org, month, kpis):
    actuals_save(
        org=org,
        by=None,
        source="api",
        can_enter=lambda d: True,
        entries=[
            ActualInput(kpis["sales_revenue"].pk, month.pk, "1500000", note=NOTE, version=1),
            *[  # on target: green
                ActualInput(k.pk, month.pk, str(k.target), note=f"note of {code}")
                for code, k in kpis.items()
                if code != "sales_revenue" and not k.indicator.is_formula and k.target is not None
            ],
        ],
    )


def _lines(org, sales, period):
    cards = selectors.attach_lines(
        org=org,
        scorecards=selectors.scorecard_list(
            org=org, period_id=period.pk, department_ids=[sales.pk]
        ),
    )
    return cards[0].lines


def test_red_and_amber_lines_get_their_notes_green_lines_none(
    org, sales, noted, django_assert_num_queries
):
    month = noted["month"]
    lines = _lines(org, sales, month)
    with django_assert_num_queries(1):
        selectors.attach_notes(org=org, pairs=[(month, line) for line in lines])
    statuses = {line.status for line in lines}
    assert {"amber"} <= statuses and statuses & {"green", "grey"}, statuses
    for line in lines:
        if line.status in ("red", "amber") and line.actual is not None:
            code = line.kpi.indicator.code
            expected = NOTE if code == "sales_revenue" else f"note of {code}"
            assert line.notes == [("2026-03", expected)]
        else:
            assert line.notes == [], line.kpi.indicator.code


def test_a_quarter_line_gathers_the_notes_of_its_months(org, sales, noted):
    quarter = metric_selectors.period_list(org=org, kind="quarter").get(number=1)
    lines = _lines(org, sales, quarter)
    selectors.attach_notes(org=org, pairs=[(quarter, line) for line in lines])
    revenue = next(line for line in lines if line.kpi.indicator.code == "sales_revenue")
    if revenue.status in ("red", "amber"):
        assert ("2026-03", NOTE) in revenue.notes
    else:
        assert revenue.notes == []


def test_no_query_when_no_line_is_red_or_amber(org, sales, noted, django_assert_num_queries):
    lines = [line for line in _lines(org, sales, noted["month"]) if line.status == "green"]
    with django_assert_num_queries(0):
        selectors.attach_notes(org=org, pairs=[(noted["month"], line) for line in lines])
    assert all(line.notes == [] for line in lines)


def test_scorecard_review_and_kpi_pages_show_the_note_escaped(client, org, sales, manager, noted):
    month = noted["month"]
    client.force_login(manager)
    revenue = noted["kpis"]["sales_revenue"]
    for url in (
        f"/o/{org.slug}/scorecards/{sales.pk}/?period={month.pk}",
        f"/o/{org.slug}/reviews/{sales.pk}/?period={month.pk}",
        f"/o/{org.slug}/kpis/{revenue.pk}/",
    ):
        page = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
        text = page.content.decode()
        assert page.status_code == 200, url
        assert html.escape(NOTE, quote=False) in text.replace("&#x27;", "'"), url
        assert NOTE not in text, url  # never as markup
        assert 'class="line-note' in text, url


def test_a_green_line_shows_no_note_on_the_scorecard(client, org, sales, manager, noted):
    month = noted["month"]
    client.force_login(manager)
    page = client.get(f"/o/{org.slug}/scorecards/{sales.pk}/?period={month.pk}")
    lines = page.context["card"].lines
    green = [line for line in lines if line.status == "green"]
    assert green, [line.status for line in lines]
    text = page.content.decode()
    for line in green:
        assert f"note of {line.kpi.indicator.code}" not in text
