"""actuals/ API: create, update with versions (409), bulk all-or-nothing, locks, roles."""

from decimal import Decimal

import pytest

from metrics.models import Actual
from metrics.services.periods import period_lock

pytestmark = pytest.mark.django_db


def url(org, tail=""):
    return f"/api/v1/orgs/{org.slug}/actuals/{tail}"


def test_create_then_update_with_version(api, hr, org, sales_kpis, month):
    kpi = sales_kpis["sales_revenue"]
    r = api(hr).post(url(org), {"kpi": kpi.pk, "period": month.pk, "value": 1700000}, format="json")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["version"] == 1 and Decimal(body["value"]) == 1700000
    r = api(hr).patch(url(org, f"{body['id']}/"), {"value": "1800000", "version": 1}, format="json")
    assert r.status_code == 200 and r.json()["version"] == 2
    listed = api(hr).get(url(org), {"period": month.pk}).json()
    assert listed["count"] == 1 and Decimal(listed["results"][0]["value"]) == 1800000


def test_stale_version_answers_409_and_changes_nothing(api, hr, admin, org, sales_kpis, month):
    kpi = sales_kpis["sales_revenue"]
    body = (
        api(hr)
        .post(url(org), {"kpi": kpi.pk, "period": month.pk, "value": 1700000}, format="json")
        .json()
    )
    assert (
        api(admin).patch(
            url(org, f"{body['id']}/"), {"value": 1600000, "version": 1}, format="json"
        )
    ).status_code == 200
    admin.first_name, admin.last_name = "Alice", "Adams"
    admin.save()
    r = api(hr).patch(url(org, f"{body['id']}/"), {"value": 1650000, "version": 1}, format="json")
    assert r.status_code == 409
    conflict = r.json()["conflicts"][0]
    assert (conflict["entered_by"], conflict["entered_by_name"]) == (admin.username, "Alice Adams")
    assert Actual.objects.for_org(org).get().value == 1600000


def test_an_old_version_sending_the_stored_value_is_no_conflict(
    api, hr, admin, org, sales_kpis, month
):
    """The API shares the check: equal to what is stored, whatever the version, is
    unchanged (200, the stored version), not a 409."""
    kpi = sales_kpis["sales_revenue"]
    body = (
        api(hr)
        .post(url(org), {"kpi": kpi.pk, "period": month.pk, "value": 1700000}, format="json")
        .json()
    )
    patch = {"value": 1600000, "version": 1}
    assert api(admin).patch(url(org, f"{body['id']}/"), patch, format="json").status_code == 200
    r = api(hr).patch(url(org, f"{body['id']}/"), patch, format="json")
    assert r.status_code == 200, r.content
    actual = Actual.objects.for_org(org).get()
    assert (actual.value, actual.version, actual.entered_by_id) == (1600000, 2, admin.pk)


def test_locked_period_answers_400_with_reason(api, hr, org, sales_kpis, month):
    period_lock(period=month, by=hr)
    r = api(hr).post(
        url(org),
        {"kpi": sales_kpis["sales_revenue"].pk, "period": month.pk, "value": 5},
        format="json",
    )
    assert r.status_code == 400 and "locked" in r.json()["period"][0]


def test_bad_value_gets_field_message(api, hr, org, sales_kpis, month):
    for raw in ["abc", "NaN", None, [], {"x": 1}, "1,5", True]:
        r = api(hr).post(
            url(org),
            {"kpi": sales_kpis["sales_revenue"].pk, "period": month.pk, "value": raw},
            format="json",
        )
        assert r.status_code == 400, (raw, r.content)
        assert "value" in r.json(), raw
    assert Actual.objects.for_org(org).count() == 0


def test_bulk_is_all_or_nothing(api, hr, org, sales_kpis, month):
    rows = [
        {"kpi": sales_kpis["sales_revenue"].pk, "period": month.pk, "value": 1700000},
        {"kpi": sales_kpis["customer_satisfaction"].pk, "period": month.pk, "value": "oops"},
    ]
    r = api(hr).post(url(org, "bulk/"), {"actuals": rows}, format="json")
    assert r.status_code == 400
    errors = r.json()["actuals"]
    assert errors[0] == {} and "value" in errors[1]
    assert Actual.objects.for_org(org).count() == 0
    rows[1]["value"] = 91
    r = api(hr).post(url(org, "bulk/"), {"actuals": rows}, format="json")
    assert r.status_code == 200 and r.json()["created"] == 2


def test_manager_writes_only_managed_departments(api, manager, org, sales_kpis, month, library):
    from metrics import selectors
    from metrics.services.templates import template_apply
    from tests.factories import make_department

    hr_dept = make_department(org, code="hr", kind="management", function="hr")
    template_apply(
        template=selectors.template_list(org=org).get(code="hr_standard"),
        departments=[hr_dept],
        by=None,
    )
    hr_kpi = selectors.kpi_list(org=org, department=hr_dept).get(indicator__code="leavers")
    r = api(manager).post(
        url(org), {"kpi": hr_kpi.pk, "period": month.pk, "value": 2}, format="json"
    )
    assert r.status_code == 403
    assert Actual.objects.for_org(org).count() == 0
    r = api(manager).post(
        url(org),
        {"kpi": sales_kpis["sales_revenue"].pk, "period": month.pk, "value": 1700000},
        format="json",
    )
    assert r.status_code == 201
    # A manager sees only their departments' actuals.
    assert api(manager).get(url(org)).json()["count"] == 1


@pytest.mark.parametrize("role,expected", [("executive", 403), ("outsider", 404)])
def test_executive_cannot_write_and_outsider_sees_nothing(
    api, role_users, org, sales_kpis, month, role, expected
):
    r = api(role_users[role]).post(
        url(org),
        {"kpi": sales_kpis["sales_revenue"].pk, "period": month.pk, "value": 1},
        format="json",
    )
    assert r.status_code == expected
    assert api(role_users["outsider"]).get(url(org)).status_code == 404


def test_list_queries_fixed(api, hr, org, sales_kpis, periods, django_assert_max_num_queries):
    from metrics.services.actuals import ActualInput, actuals_save

    months = [p for p in periods if p.kind == "month"]
    typed = [k for k in sales_kpis.values() if k.indicator.typed]

    def fill(n):
        entries = [ActualInput(k.pk, m.pk, "1", note="x") for m in months[:n] for k in typed]
        actuals_save(org=org, by=hr, source="api", entries=entries, can_enter=lambda d: True)

    client = api(hr)
    fill(1)
    with django_assert_max_num_queries(12) as small:
        assert client.get(url(org)).status_code == 200
    Actual.objects.for_org(org).delete()
    fill(6)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(url(org)).json()["count"] == 6 * len(typed)
