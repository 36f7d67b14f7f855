"""同比 (`yoy`) and 环比 (`pop`) in the API (issue 20): scorecards/ (each card and line)
and dashboard/ (the indices and the ranking), null when there is nothing to compare."""

import pytest

pytestmark = pytest.mark.django_db


def _cards(api, user, org, period):
    body = (
        api(user)
        .get(f"/api/v1/orgs/{org.slug}/scorecards/", {"period": period.pk, "limit": 50})
        .json()
    )
    return {c["department_code"]: c for c in body["results"]}


def test_scorecards_api_compares_cards_and_lines(api, hr, org, two_years):
    cards = _cards(api, hr, org, two_years["march"])
    sales = cards["sales"]
    assert sales["yoy"] == {
        "score": "60.0000",
        "score_change": "30.0000",
        "rolled_up_score": "60.0000",
        "rolled_up_score_change": "30.0000",
    }
    assert sales["pop"]["score"] == "72.0000" and sales["pop"]["score_change"] == "18.0000"
    line = next(ln for ln in sales["lines"] if ln["kpi"] == two_years["revenue"].pk)
    assert line["yoy"] == {
        "actual": "1000000.000000",
        "actual_change": "500000.000000",
        "actual_change_percent": "50.0",
        "score": "60.0000",
        "score_change": "30.0000",
    }
    assert line["pop"]["actual"] == "1200000.000000"
    assert line["pop"]["actual_change_percent"] == "25.0"
    # HR had no score and no value then: null, never 0
    hr_card = cards["hr"]
    assert hr_card["yoy"]["score"] is None and hr_card["yoy"]["score_change"] is None
    assert hr_card["pop"]["score"] is None
    hr_line = next(ln for ln in hr_card["lines"] if ln["kpi"] == two_years["satisfaction"].pk)
    assert hr_line["yoy"]["actual"] is None and hr_line["yoy"]["actual_change_percent"] is None


def test_dashboard_api_compares_indices_and_ranking(api, executive, org, two_years):
    march = two_years["march"]
    body = api(executive).get(f"/api/v1/orgs/{org.slug}/dashboard/", {"period": march.pk}).json()
    february = two_years["periods"][("month", 2026, 2)]
    march_2025 = two_years["periods"][("month", 2025, 3)]
    assert body["pop"]["period"] == february.pk
    assert body["yoy"]["period"] == march_2025.pk
    assert body["pop"]["business_index"] == "72.0000"
    assert body["pop"]["business_index_change"] == "18.0000"
    assert body["yoy"]["business_index"] == "60.0000"
    assert body["yoy"]["business_index_change"] == "30.0000"
    assert body["yoy"]["management_index"] is None
    assert body["yoy"]["management_index_change"] is None
    ranking = {r["department_code"]: r for r in body["ranking"]}
    assert ranking["sales"]["yoy"]["score"] == "60.0000"
    assert ranking["hr"]["pop"]["score"] is None


def test_dashboard_api_without_a_period_then(api, executive, org, two_years):
    """January 2025: no December 2024 (never generated): period and values null."""
    january = two_years["periods"][("month", 2025, 1)]
    body = api(executive).get(f"/api/v1/orgs/{org.slug}/dashboard/", {"period": january.pk}).json()
    assert body["pop"]["period"] is None
    assert body["pop"]["company_index"] is None and body["yoy"]["company_index"] is None


def test_comparisons_are_served_to_members_only(api, role_users, org, two_years):
    march = two_years["march"]
    url = f"/api/v1/orgs/{org.slug}/scorecards/"
    assert api(role_users["outsider"]).get(url, {"period": march.pk}).status_code == 404
    # a manager compares only the departments they see
    cards = _cards(api, role_users["manager"], org, march)
    assert set(cards) == {"sales"} and cards["sales"]["yoy"]["score"] == "60.0000"
    body = (
        api(role_users["manager"])
        .get(f"/api/v1/orgs/{org.slug}/dashboard/", {"period": march.pk})
        .json()
    )
    assert [r["department_code"] for r in body["ranking"]] == ["sales"]


def test_scorecards_api_query_count_with_comparisons_is_fixed(
    api, hr, org, two_years, django_assert_max_num_queries
):
    url = f"/api/v1/orgs/{org.slug}/scorecards/"
    client = api(hr)
    with django_assert_max_num_queries(16) as few:
        client.get(url, {"limit": 2})
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(client.get(url, {"limit": 40}).json()["results"]) == 40
