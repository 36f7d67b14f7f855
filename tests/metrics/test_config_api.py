"""indicators/, templates/ (+apply), kpis/, periods/ (+generate, lock, reopen) over the API."""

import pytest

pytestmark = pytest.mark.django_db


def u(org, tail):
    return f"/api/v1/orgs/{org.slug}/{tail}"


def test_periods_generate_lock_reopen(api, hr, org, library):
    r = api(hr).post(u(org, "periods/generate/"), {"fiscal_year": 2027}, format="json")
    assert r.status_code == 201 and len(r.json()) == 17
    again = api(hr).post(u(org, "periods/generate/"), {"fiscal_year": 2027}, format="json")
    assert len(again.json()) == 17
    pid = r.json()[0]["id"]
    assert api(hr).post(u(org, f"periods/{pid}/lock/"), {}, format="json").json()["status"] == (
        "locked"
    )
    r = api(hr).post(u(org, f"periods/{pid}/reopen/"), {}, format="json")
    assert r.status_code == 400 and "reason" in r.json()
    r = api(hr).post(u(org, f"periods/{pid}/reopen/"), {"reason": "late invoice"}, format="json")
    assert r.json()["status"] == "open"


def test_generate_respects_fiscal_start_month(api, admin, org, library):
    org.fiscal_year_start_month = 4
    org.save()
    periods = (
        api(admin).post(u(org, "periods/generate/"), {"fiscal_year": 2026}, format="json").json()
    )
    year = next(p for p in periods if p["kind"] == "year")
    assert (year["start"], year["end"]) == ("2026-04-01", "2027-03-31")


def test_template_apply_and_reapply(api, hr, org, library, sales):
    templates = api(hr).get(u(org, "templates/"), {"limit": 100}).json()["results"]
    sales_t = next(t for t in templates if t["code"] == "sales_standard")
    r = api(hr).post(
        u(org, f"templates/{sales_t['id']}/apply/"), {"departments": [sales.pk]}, format="json"
    )
    assert r.status_code == 200 and r.json()["created"] == len(sales_t["items"])
    kpis = api(hr).get(u(org, "kpis/"), {"department": sales.pk, "limit": 100}).json()["results"]
    revenue = next(k for k in kpis if k["indicator_code"] == "sales_revenue")
    api(hr).patch(u(org, f"kpis/{revenue['id']}/"), {"target": "6000000"}, format="json")
    r = api(hr).post(
        u(org, f"templates/{sales_t['id']}/apply/"), {"departments": [sales.pk]}, format="json"
    )
    assert r.json()["created"] == 0
    again = api(hr).get(u(org, f"kpis/{revenue['id']}/")).json()
    assert again["target"].startswith("6000000")


def test_kpi_rule_refused_with_field_message(api, hr, org, library, sales):
    indicator = api(hr).get(u(org, "indicators/"), {"limit": 100}).json()["results"]
    csat = next(i for i in indicator if i["code"] == "customer_satisfaction")
    r = api(hr).post(
        u(org, "kpis/"),
        {
            "department": sales.pk,
            "indicator": csat["id"],
            "weight": 10,
            "target": 90,
            "threshold": 95,
        },
        format="json",
    )
    assert r.status_code == 400 and "below the target" in r.json()["threshold"][0]
    r = api(hr).post(
        u(org, "kpis/"),
        {
            "department": sales.pk,
            "indicator": csat["id"],
            "weight": 10,
            "target": 90,
            "threshold": 90,
        },
        format="json",
    )
    assert r.status_code == 400 and "differ" in r.json()["threshold"][0]


def test_formula_refusals(api, hr, org, library):
    base = {
        "name": "X",
        "unit": "percent",
        "direction": "higher_is_better",
        "aggregation": "formula",
        "perspective": "process",
        "frequency": "month",
    }
    r = api(hr).post(
        u(org, "indicators/"), {**base, "code": "x1", "formula": "nope / headcount"}, format="json"
    )
    assert r.status_code == 400 and "nope" in r.json()["formula"][0]
    r = api(hr).post(
        u(org, "indicators/"), {**base, "code": "x2", "formula": "leavers * (2"}, format="json"
    )
    assert r.status_code == 400 and "formula" in r.json()
    r = api(hr).post(
        u(org, "indicators/"), {**base, "code": "x3", "formula": "__import__('os')"}, format="json"
    )
    assert r.status_code == 400
    r = api(hr).post(
        u(org, "indicators/"), {**base, "code": "ratio_a", "formula": "leavers / 2"}, format="json"
    )
    assert r.status_code == 201
    a_id = r.json()["id"]
    r = api(hr).post(
        u(org, "indicators/"), {**base, "code": "ratio_b", "formula": "ratio_a * 2"}, format="json"
    )
    assert r.status_code == 201
    r = api(hr).patch(u(org, f"indicators/{a_id}/"), {"formula": "ratio_b / 2"}, format="json")
    assert r.status_code == 400 and "ratio_a" in r.json()["formula"][0]


ENDPOINTS = [
    ("get", "indicators/", {"admin", "hr", "manager", "executive"}),
    ("get", "templates/", {"admin", "hr", "manager", "executive"}),
    ("get", "kpis/", {"admin", "hr", "manager", "executive"}),
    ("get", "periods/", {"admin", "hr", "manager", "executive"}),
    ("post", "periods/generate/", {"admin", "hr"}),
    ("post", "indicators/", {"admin", "hr"}),
]


@pytest.mark.parametrize("method,path,allowed", ENDPOINTS)
@pytest.mark.parametrize("role", ["admin", "hr", "manager", "executive", "outsider"])
def test_role_matrix(api, role_users, org, library, method, path, allowed, role):
    payload = (
        {"fiscal_year": 2030}
        if "generate" in path
        else {
            "code": f"n_{role}",
            "name": "N",
            "unit": "count",
            "direction": "higher_is_better",
            "aggregation": "sum",
            "perspective": "process",
            "frequency": "month",
        }
    )
    r = getattr(api(role_users[role]), method)(u(org, path), payload, format="json")
    if role == "outsider":
        assert r.status_code == 404
    elif role in allowed:
        assert r.status_code in (200, 201), r.content
    else:
        assert r.status_code == 403


def test_another_organizations_id_gets_the_same_answer_as_one_that_does_not_exist(
    api, hr, org, other_org, library, sales
):
    """Nothing tells a caller whether an id of another organization exists."""
    from metrics.services.library import library_install
    from tests.factories import make_department

    library_install(org=other_org)
    theirs = make_department(other_org, code="theirs")
    from metrics.models import Indicator

    other_org_indicator = Indicator.objects.for_org(other_org).first()
    ours = Indicator.objects.for_org(org).get(code=other_org_indicator.code)
    missing = 10**9
    answers = {}
    for label, department, indicator in (
        ("their department", theirs.pk, ours.pk),
        ("missing department", missing, ours.pk),
        ("their indicator", sales.pk, other_org_indicator.pk),
        ("missing indicator", sales.pk, missing),
    ):
        r = api(hr).post(
            u(org, "kpis/"),
            {"department": department, "indicator": indicator, "weight": 1},
            format="json",
        )
        answers[label] = (r.status_code, r.json())
    assert answers["their department"] == answers["missing department"]
    assert answers["their department"][0] == 400
    assert answers["their indicator"] == answers["missing indicator"]
    assert answers["their indicator"][0] == 400
    # Details and changes of another organization's rows: 404, as for a missing id.
    answers = {
        api(hr).patch(u(org, f"departments/{pk}/"), {"name": "x"}, format="json").status_code
        for pk in (theirs.pk, missing)
    }
    assert answers == {404}
