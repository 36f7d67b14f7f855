"""同比 / 环比 on the company dashboard and the department scorecard page (issue 20): the
toggle, the values then, "—" with the reason when there is none, the cache of the default
view."""

from decimal import Decimal

import pytest
from django.core.cache import cache

from scorecards import dashboard_cache

pytestmark = pytest.mark.django_db


def _dashboard(org, two_years, extra=""):
    return f"/o/{org.slug}/dashboard/?period={two_years['march'].pk}{extra}"


@pytest.mark.parametrize(
    "extra,compare,business_then,missing_text",
    [
        ("", "pop", "72", "no value for the previous period"),  # the default: 环比
        ("&compare=pop", "pop", "72", "no value for the previous period"),
        ("&compare=nonsense", "pop", "72", "no value for the previous period"),
        ("&compare=yoy", "yoy", "60", "no value for the same period last year"),
    ],
)
def test_dashboard_compares_indices_and_departments(
    client, executive, org, two_years, extra, compare, business_then, missing_text
):
    cache.clear()
    client.force_login(executive)
    page = client.get(_dashboard(org, two_years, extra))
    assert page.status_code == 200
    assert page.context["compare"] == compare
    business = page.context["deltas"]["business_index"]
    assert business.value == Decimal(business_then)
    assert business.change == Decimal(90) - Decimal(business_then)
    # HR had no score then (none in February, none a year before): no value, never 0
    assert page.context["deltas"]["management_index"].missing
    cards = {c.department.code: c for c in page.context["ranking"]}
    assert cards["sales"].delta["score"].value == Decimal(business_then)
    assert cards["hr"].delta["score"].missing
    text = page.content.decode()
    assert missing_text in text
    assert f"{Decimal(90) - Decimal(business_then):+.1f}" in text
    # the toggle: two links, the current one marked, the period kept in both
    assert 'id="compare-pop"' in text and 'id="compare-yoy"' in text
    current = f'id="compare-{compare}" href='
    start = text.index(current)
    assert 'aria-current="page"' in text[start : text.index(">", start)]
    assert f"period={two_years['march'].pk}&amp;compare=yoy" in text


def test_dashboard_filter_form_keeps_year_on_year(client, executive, org, two_years):
    client.force_login(executive)
    text = client.get(_dashboard(org, two_years, "&compare=yoy")).content.decode()
    assert '<input type="hidden" name="compare" value="yoy">' in text
    text = client.get(_dashboard(org, two_years)).content.decode()
    assert 'name="compare"' not in text


def test_default_comparison_shares_the_warmed_body_year_on_year_has_its_own(
    client, executive, org, two_years
):
    def key(params):
        return dashboard_cache.body_key(
            org_id=org.pk, period_id=1, params=params, scope=None, language="en"
        )

    default = key([])
    assert key([("compare", "pop")]) == default
    assert key([("compare", "bogus")]) == default
    assert key([("compare", "yoy")]) != default
    cache.clear()
    client.force_login(executive)
    url = _dashboard(org, two_years)
    assert "ranking" in client.get(url).context  # computed
    assert "ranking" not in client.get(url + "&compare=pop").context  # same body, cached
    yoy = client.get(url + "&compare=yoy")
    assert "ranking" in yoy.context and yoy.context["compare"] == "yoy"
    assert "ranking" not in client.get(url + "&compare=yoy").context  # cached on its own


def test_year_on_year_dashboard_runs_the_default_views_queries(
    client, executive, org, two_years, django_assert_max_num_queries
):
    """The comparison is one query for the indices and one for the departments, whichever
    is chosen: the year-on-year view costs what the default one does."""
    client.force_login(executive)
    url = _dashboard(org, two_years)
    client.get(url)
    cache.clear()
    with django_assert_max_num_queries(40) as default:
        client.get(url)
    cache.clear()
    with django_assert_max_num_queries(len(default.captured_queries)):
        client.get(url + "&compare=yoy")


@pytest.mark.parametrize(
    "extra,compare,score_then,actual_then,change",
    [
        ("", "pop", "72", "1,200,000", "+300,000 (+25.0%)"),
        ("&compare=yoy", "yoy", "60", "1,000,000", "+500,000 (+50.0%)"),
    ],
)
def test_scorecard_page_compares_the_score_and_every_line(
    client, executive, org, two_years, extra, compare, score_then, actual_then, change
):
    client.force_login(executive)
    url = f"/o/{org.slug}/scorecards/{two_years['sales'].pk}/?period={two_years['march'].pk}{extra}"
    org.language = "en"
    org.save(update_fields=["language"])
    page = client.get(url)
    assert page.context["compare"] == compare
    card = page.context["card"]
    assert card.compare[compare]["score"].value == Decimal(score_then)
    line = next(ln for ln in card.lines if ln.kpi_id == two_years["revenue"].pk)
    assert line.compare[compare]["actual"].value is not None
    text = page.content.decode()
    assert 'id="compare-yoy"' in text and "line-delta" in text
    assert actual_then in text and change in text
    # KPIs without a value then say so, never 0
    assert "no value for" in text


def test_scorecard_page_in_chinese_and_for_outsiders(client, org, two_years, role_users):
    url = (
        f"/o/{org.slug}/scorecards/{two_years['sales'].pk}/?period={two_years['march'].pk}"
        "&compare=yoy"
    )
    client.force_login(role_users["executive"])
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200 and "compare-toggle" in page.content.decode()
    client.force_login(role_users["outsider"])
    assert client.get(url).status_code == 404
    client.force_login(role_users["manager"])  # manages sales, not HR
    hr_url = url.replace(f"/{two_years['sales'].pk}/", f"/{two_years['hr'].pk}/")
    assert client.get(hr_url).status_code == 403


def test_review_page_table_has_no_comparison_columns(client, executive, org, two_years):
    """The scorecard table is shared with the review page, which compares nothing."""
    client.force_login(executive)
    page = client.get(
        f"/o/{org.slug}/reviews/{two_years['sales'].pk}/?period={two_years['march'].pk}"
    )
    assert page.status_code == 200
    assert "line-delta" not in page.content.decode()
