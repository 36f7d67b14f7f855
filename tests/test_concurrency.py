"""Concurrent writes on PostgreSQL (real transactions, one connection per thread): two
clients changing the same actual with the same version (one wins, the other gets 409);
many clients creating the same actual, KPI, department, indicator, template or period at
once (one row, the others a clear 4xx, never a 500)."""

import threading
from decimal import Decimal

import pytest
from django.db import connection, connections
from rest_framework.test import APIClient

from departments.models import Department, Organization
from metrics.models import Actual, Indicator, Kpi, Period, Template
from tests.factories import enter_actuals

pytestmark = pytest.mark.django_db(transaction=True)
THREADS = 8


def race(requests):
    """Run the callables at the same moment, each in its own thread (and connection)."""
    barrier = threading.Barrier(len(requests))
    results = [None] * len(requests)

    def run(i, request):
        try:
            barrier.wait(timeout=30)
            results[i] = request()
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, r)) for i, r in enumerate(requests)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(isinstance(r, Exception) for r in results), results
    return results


def _client(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def _post(user, path, body):
    return lambda: _client(user).post(path, body, format="json")


@pytest.fixture
def world(org, admin, hr, sales_kpis, month):
    assert connection.vendor == "postgresql"
    return {"kpi": sales_kpis["sales_revenue"], "month": month}


def test_same_version_two_writers_one_wins_the_other_gets_409(org, admin, hr, world):
    kpi, month = world["kpi"], world["month"]
    enter_actuals(org, (kpi, month, "1700000"), by=admin)
    actual = Actual.objects.for_org(org).get()
    values = {admin.pk: "1800000", hr.pk: "1900000"}
    responses = race(
        [
            lambda u=user: _client(u).patch(
                f"/api/v1/orgs/{org.slug}/actuals/{actual.pk}/",
                {"value": values[u.pk], "version": 1, "note": "n"},
                format="json",
            )
            for user in (admin, hr)
        ]
    )
    codes = sorted(r.status_code for r in responses)
    assert codes == [200, 409], [r.content for r in responses]
    winner = next(r for r in responses if r.status_code == 200).json()
    loser = next(r for r in responses if r.status_code == 409).json()
    final = Actual.objects.for_org(org).get()
    assert final.value == Decimal(winner["value"]) and final.version == 2
    assert loser["conflicts"][0]["value"] == str(final.value)  # shows the winner's value


def test_parallel_creates_of_one_actual_make_one_row(org, admin, world):
    kpi, month = world["kpi"], world["month"]
    path = f"/api/v1/orgs/{org.slug}/actuals/"
    body = {"kpi": kpi.pk, "period": month.pk, "value": "1700000", "note": "n"}
    responses = race([_post(admin, path, body) for _ in range(THREADS)])
    codes = sorted(r.status_code for r in responses)
    assert codes.count(201) == 1, codes
    # A request that read the winner's row finds it equal to what it sends: unchanged
    # (200, the stored row), not a conflict; one that read before the winner's commit: 409.
    assert set(codes) <= {200, 201, 409}, [r.content for r in responses]
    for r in responses:
        if r.status_code == 409:
            assert "changed since you read it" in r.json()["detail"]
            assert r.json()["conflicts"][0]["version"] == 1
        if r.status_code == 200:
            assert (r.json()["version"], r.json()["value"]) == (1, "1700000.000000")
    assert Actual.objects.for_org(org).count() == 1


def test_parallel_bulk_creates_make_one_row_each(org, admin, world, sales_kpis):
    month = world["month"]
    path = f"/api/v1/orgs/{org.slug}/actuals/bulk/"
    rows = [
        {"kpi": sales_kpis[code].pk, "period": month.pk, "value": value, "note": "n"}
        for code, value in (("sales_revenue", "1700000"), ("new_customers", "50"))
    ]
    responses = race([_post(admin, path, {"actuals": rows}) for _ in range(THREADS)])
    codes = sorted(r.status_code for r in responses)
    assert set(codes) <= {200, 409}, [r.content for r in responses]
    # One request creates both; one that read them after that commit finds them equal to
    # what it sends (unchanged, not a conflict); one that read before gets a 409.
    saved = [r.json() for r in responses if r.status_code == 200]
    assert [s for s in saved if s["created"]] == [{"created": 2, "updated": 0, "unchanged": 0}]
    assert all(s == {"created": 0, "updated": 0, "unchanged": 2} for s in saved if not s["created"])
    assert Actual.objects.for_org(org).count() == 2
    assert {a.version for a in Actual.objects.for_org(org)} == {1}


CREATES = [
    # (id, path, body, model counted, expected row count after)
    (
        "kpi",
        "kpis/",
        lambda w: {"department": w["sales"], "indicator": w["indicator"], "weight": 0},
        lambda org: Kpi.objects.for_org(org).filter(indicator__code="employee_satisfaction"),
    ),
    (
        "department",
        "departments/",
        lambda w: {"name": "New", "code": "new", "kind": "business", "function": "sales"},
        lambda org: Department.objects.for_org(org).filter(code="new"),
    ),
    (
        "indicator",
        "indicators/",
        lambda w: {
            "code": "new_ind",
            "name": "New",
            "unit": "count",
            "direction": "higher_is_better",
            "aggregation": "sum",
            "kind": "business",
            "perspective": "financial",
            "frequency": "month",
        },
        lambda org: Indicator.objects.for_org(org).filter(code="new_ind"),
    ),
    (
        "template",
        "templates/",
        lambda w: {
            "code": "new_t",
            "name": "T",
            "items": [{"indicator": w["indicator"], "weight": 1}],
        },
        lambda org: Template.objects.for_org(org).filter(code="new_t"),
    ),
    (
        "periods",
        "periods/generate/",
        lambda w: {"fiscal_year": 2030},
        lambda org: Period.objects.for_org(org).filter(fiscal_year=2030, kind="year"),
    ),
]


@pytest.mark.parametrize("path,body,rows", [c[1:] for c in CREATES], ids=[c[0] for c in CREATES])
def test_parallel_creates_of_one_object_make_one_row_and_no_500(
    org, admin, world, path, body, rows
):
    from metrics import selectors

    ids = {
        "sales": world["kpi"].department_id,
        "indicator": selectors.indicator_list(org=org).get(code="employee_satisfaction").pk,
    }
    url = f"/api/v1/orgs/{org.slug}/{path}"
    responses = race([_post(admin, url, body(ids)) for _ in range(THREADS)])
    codes = sorted(r.status_code for r in responses)
    assert 500 not in codes, [r.content[:300] for r in responses]
    assert codes.count(201) >= 1 and set(codes) <= {201, 400, 409}, codes
    for r in responses:
        if r.status_code in {400, 409}:
            assert r.json(), r.content  # a message, keyed by the field
    assert rows(org).count() == 1


def test_parallel_organization_creates_with_one_slug(admin):
    responses = race(
        [_post(admin, "/api/v1/orgs/", {"name": "New", "slug": "newco"}) for _ in range(THREADS)]
    )
    codes = sorted(r.status_code for r in responses)
    assert codes.count(201) == 1 and set(codes) <= {201, 400}, [r.content for r in responses]
    assert Organization.objects.filter(slug="newco").count() == 1
