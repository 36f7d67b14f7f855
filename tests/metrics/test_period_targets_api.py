"""kpis/{id}/period-targets/ (GET, PUT): targets per period over the API."""

from decimal import Decimal

import pytest

from metrics.models import KpiPeriodTarget, PendingRecalculation
from metrics.services.periods import periods_generate

pytestmark = pytest.mark.django_db
D = Decimal


def u(org, kpi):
    return f"/api/v1/orgs/{org.slug}/kpis/{kpi.pk}/period-targets/"


@pytest.fixture
def revenue(sales_kpis):
    return sales_kpis["sales_revenue"]


def _month(periods, n):
    return next(p for p in periods if p.kind == "month" and p.number == n)


def test_get_lists_the_months_with_own_and_effective_targets(api, executive, org, revenue, periods):
    r = api(executive).get(u(org, revenue), {"fiscal_year": 2026})
    assert r.status_code == 200
    body = r.json()
    assert body["grain"] == "month" and len(body["periods"]) == 12
    nov = body["periods"][10]
    assert nov["label"] == "2026-11" and nov["target"] is None
    assert D(nov["effective_target"]).quantize(D("0.01")) == D("1666666.67")
    assert "FY2026" in [t["label"] for t in body["totals"]]


def test_put_replaces_the_years_targets_and_marks_the_department(api, hr, org, revenue, periods):
    oct_, nov, dec = (_month(periods, n) for n in (10, 11, 12))
    body = {
        "fiscal_year": 2026,
        "targets": [
            {"period": oct_.pk, "target": "1000000"},
            {"period": nov.pk, "target": "3000000", "threshold": "500000"},
            {"period": dec.pk, "target": "2000000"},
        ],
    }
    PendingRecalculation.objects.for_org(org).delete()
    r = api(hr).put(u(org, revenue), body, format="json")
    assert r.status_code == 200, r.json()
    q4 = next(t for t in r.json()["totals"] if t["label"] == "FY2026 Q4")
    assert D(q4["effective_target"]) == 6000000 and q4["from_periods"] is True
    assert set(
        PendingRecalculation.objects.for_org(org).values_list("department_id", flat=True)
    ) == {revenue.department_id}
    body["targets"] = body["targets"][1:]
    r = api(hr).put(u(org, revenue), body, format="json")
    assert set(KpiPeriodTarget.objects.for_org(org).values_list("period_id", flat=True)) == {
        nov.pk,
        dec.pk,
    }


@pytest.mark.parametrize(
    "target,expected",
    [
        ({"target": "abc"}, "target"),
        ({"target": None}, "target"),
        ({"target": "1", "threshold": "5"}, "threshold"),
        ({"target": "5", "threshold": "5"}, "threshold"),
        ({"target": "1", "surprise": 1}, "surprise"),
    ],
)
def test_bad_input_is_400_naming_the_field_and_nothing_is_saved(
    api, hr, org, revenue, periods, target, expected
):
    oct_, nov = _month(periods, 10), _month(periods, 11)
    body = {
        "fiscal_year": 2026,
        "targets": [{"period": oct_.pk, "target": "1000000"}, {"period": nov.pk, **target}],
    }
    r = api(hr).put(u(org, revenue), body, format="json")
    assert r.status_code == 400
    errors = r.json()["targets"]
    cell = errors["1"] if isinstance(errors, dict) else errors[1]
    assert expected in cell, r.json()
    assert not KpiPeriodTarget.objects.for_org(org).exists()


def test_a_period_listed_twice_or_of_another_organization_is_400(
    api, hr, org, other_org, revenue, periods
):
    nov = _month(periods, 11)
    twice = {"fiscal_year": 2026, "targets": [{"period": nov.pk, "target": "1"}] * 2}
    assert api(hr).put(u(org, revenue), twice, format="json").status_code == 400
    theirs = next(p for p in periods_generate(org=other_org, fiscal_year=2026, by=None))
    body = {"fiscal_year": 2026, "targets": [{"period": theirs.pk, "target": "1"}]}
    r = api(hr).put(u(org, revenue), body, format="json")
    assert r.status_code == 400 and "period" in r.json()["targets"]["0"]
    assert not KpiPeriodTarget.objects.for_org(org).exists()


def test_roles_and_other_organization(api, org, request, revenue, periods, outsider, other_org):
    body = {"fiscal_year": 2026, "targets": []}
    for role, get, put in [
        ("admin", 200, 200),
        ("hr", 200, 200),
        ("executive", 200, 403),
        ("manager", 200, 403),
    ]:
        user = request.getfixturevalue(role)
        assert api(user).get(u(org, revenue)).status_code == get, role
        assert api(user).put(u(org, revenue), body, format="json").status_code == put, role
    assert api(outsider).get(u(org, revenue)).status_code == 404
    assert api(outsider).put(u(org, revenue), body, format="json").status_code == 404
    theirs = f"/api/v1/orgs/{other_org.slug}/kpis/{revenue.pk}/period-targets/"
    assert api(outsider).get(theirs).status_code == 404
    assert api(outsider).put(theirs, body, format="json").status_code == 404


@pytest.mark.parametrize("year", ["2031", "99999999999999999999", "-1"])
def test_a_year_without_periods_answers_no_cells(api, hr, org, revenue, periods, year):
    r = api(hr).get(u(org, revenue), {"fiscal_year": year})
    assert r.status_code == 200 and r.json()["periods"] == []


def test_a_year_that_is_not_a_number_is_400(api, hr, org, revenue, periods):
    r = api(hr).get(u(org, revenue), {"fiscal_year": "soon"})
    assert r.status_code == 400 and "fiscal_year" in r.json()
