"""bsc/ of the API: the balanced scorecard of a period, as the pages show it."""

from decimal import Decimal as D

import pytest

from .test_bsc import bsc_data  # noqa: F401 (the fixture)

pytestmark = pytest.mark.django_db


def test_the_company_and_its_departments_by_perspective(api, hr, org, sales, bsc_data):  # noqa: F811
    body = api(hr).get(f"/api/v1/orgs/{org.slug}/bsc/", {"period": bsc_data["march"].pk}).json()
    assert body["period"] == bsc_data["march"].pk and body["pending"] is False
    company = {p["perspective"]: p for p in body["perspectives"]}
    assert list(company) == ["financial", "customer", "process", "learning"]
    assert D(company["financial"]["score"]) == 95 and company["financial"]["departments"] == 2
    assert company["financial"]["status"] == "amber"
    assert company["process"]["score"] is None and company["process"]["status"] == "grey"
    assert [d["department_code"] for d in body["departments"]] == ["ops", "sales"]
    sales_row = {p["perspective"]: p for p in body["departments"][1]["perspectives"]}
    assert D(sales_row["financial"]["score"]) == 90 and sales_row["financial"]["lines"] == 3
    assert sales_row["learning"] == {
        "perspective": "learning",
        "score": None,
        "status": "grey",
        "lines": 0,
    }


def test_a_manager_sees_the_company_and_their_departments_only(
    api,
    manager,
    outsider,
    org,
    sales,
    bsc_data,  # noqa: F811
):
    url = f"/api/v1/orgs/{org.slug}/bsc/"
    body = api(manager).get(url, {"period": bsc_data["march"].pk}).json()
    assert [d["department_code"] for d in body["departments"]] == ["sales"]
    assert D(body["perspectives"][0]["score"]) == 95  # the company counts Ops too
    narrowed = api(manager).get(url, {"department": bsc_data["ops"].pk}).json()
    assert narrowed["departments"] == []
    assert api(outsider).get(url).status_code == 404
    assert api(manager).get(url, {"period": "x"}).status_code == 400


def test_no_period_computed_is_404(api, hr, org):
    assert api(hr).get(f"/api/v1/orgs/{org.slug}/bsc/").status_code == 404
