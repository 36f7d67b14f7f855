"""A department's "Targets by period" grid (metrics.views.config.department_targets): roles,
a row of month (or quarter) cells per KPI, saving every KPI's cells in one go, a refusal
beside its cell naming the KPI and the period with nothing saved for any KPI, locked
periods, query count at two sizes."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from metrics.models import KpiPeriodTarget, PendingRecalculation
from metrics.services.indicators import indicator_create
from metrics.services.kpis import kpi_create
from metrics.services.periods import period_lock
from tests.factories import make_department

pytestmark = pytest.mark.django_db
D = Decimal


def _url(org, department, year=2026):
    url = reverse("department_targets", kwargs={"slug": org.slug, "pk": department.pk})
    return f"{url}?year={year}"


def _kpis(org, department, n, frequency="month", start=0):
    """``n`` KPIs of summed higher-is-better indicators entered each ``frequency``, with a
    target of 1,200 a year."""
    kpis = []
    for i in range(start, start + n):
        indicator = indicator_create(
            org=org,
            by=None,
            code=f"k{frequency[0]}{i}",
            name=f"Indicator {frequency} {i}",
            unit="count",
            direction="higher_is_better",
            aggregation="sum",
            frequency=frequency,
        )
        kpis.append(
            kpi_create(
                org=org,
                by=None,
                department=department,
                indicator=indicator,
                weight=D(10),
                target=D(1200),
                target_period="year",
            )
        )
    return kpis


@pytest.fixture
def dept(org, periods):
    return make_department(org, code="grid", name="网格部", name_en="Grid")


def _month(periods, n):
    return next(p for p in periods if p.kind == "month" and p.number == n)


def _rows(org):
    return {(r.kpi_id, r.period_id): r.target for r in KpiPeriodTarget.objects.for_org(org).all()}


@pytest.mark.parametrize(
    "role,status",
    [("admin", 200), ("hr", 200), ("manager", 403), ("executive", 403), ("outsider", 404)],
)
def test_roles(client, request, org, dept, role, status):
    _kpis(org, dept, 1)
    client.force_login(request.getfixturevalue(role))
    assert client.get(_url(org, dept)).status_code == status
    assert client.post(_url(org, dept), {}).status_code == status


def test_another_organizations_department_is_404(client, outsider, other_org, org, dept):
    client.force_login(outsider)
    url = reverse("department_targets", kwargs={"slug": other_org.slug, "pk": dept.pk})
    assert client.get(url).status_code == 404
    assert client.post(url, {}).status_code == 404


def test_grid_shows_a_row_per_kpi_months_and_quarters_apart(client, hr, org, dept, periods):
    monthly = _kpis(org, dept, 2)
    (quarterly,) = _kpis(org, dept, 1, frequency="quarter")
    period_lock(period=_month(periods, 1), by=hr)
    client.force_login(hr)
    response = client.get(_url(org, dept))
    page = response.content.decode()
    tables = dict(response.context["tables"])
    assert [v.kpi for v, _cells in tables["month"]] == monthly
    assert [v.kpi for v, _cells in tables["quarter"]] == [quarterly]
    assert page.count("data-target-cell") == 2 * 12 + 4
    assert page.count('placeholder="100"') == 2 * 12  # 1,200 a year, a month's share
    assert page.count('placeholder="300"') == 4
    assert page.count('data-even="100"') == 2 * 12
    assert 'data-fill="even">' in page  # every KPI has a target to spread
    disabled = re.findall(r"<input [^>]*data-target-cell[^>]* disabled", page)
    assert len(disabled) == 2  # January of the two monthly KPIs
    assert "perfhub/period_targets.js" in page
    for kpi in [*monthly, quarterly]:  # each row links to the KPI's own page
        assert reverse("kpi_targets", kwargs={"slug": org.slug, "pk": kpi.pk}) in page
    grid = client.get(reverse("kpi_grid", kwargs={"slug": org.slug, "pk": dept.pk}))
    assert _url(org, dept).split("?")[0] in grid.content.decode()


def test_a_kpi_without_a_target_has_no_row_and_no_link(client, hr, org, dept, periods):
    """A formula's component (tracked, no target) could not have a period's own target
    either (the service refuses it): it is not offered in the grid nor linked from the KPI
    grid."""
    (scored,) = _kpis(org, dept, 1)
    (tracked,) = _kpis(org, dept, 1, start=5)
    tracked.target = None
    tracked.save(update_fields=["target"])
    client.force_login(hr)
    response = client.get(_url(org, dept))
    assert [v.kpi for v, _cells in dict(response.context["tables"])["month"]] == [scored]
    grid = client.get(reverse("kpi_grid", kwargs={"slug": org.slug, "pk": dept.pk}))
    page = grid.content.decode()
    assert reverse("kpi_targets", kwargs={"slug": org.slug, "pk": scored.pk}) in page
    assert reverse("kpi_targets", kwargs={"slug": org.slug, "pk": tracked.pk}) not in page


def test_save_several_kpis_in_one_go_and_marks_only_the_department(client, hr, org, dept, periods):
    make_department(org, code="ops")
    a, b = _kpis(org, dept, 2)
    (q,) = _kpis(org, dept, 1, frequency="quarter")
    oct_, nov = _month(periods, 10), _month(periods, 11)
    q4 = next(p for p in periods if p.kind == "quarter" and p.number == 4)
    PendingRecalculation.objects.for_org(org).delete()
    client.force_login(hr)
    data = {
        f"target_{a.pk}_{oct_.pk}": "1,000",
        f"target_{a.pk}_{nov.pk}": "2,500.5",
        f"target_{b.pk}_{nov.pk}": "300",
        f"target_{q.pk}_{q4.pk}": "700",
    }
    response = client.post(_url(org, dept), data)
    assert response.status_code == 302
    assert _rows(org) == {
        (a.pk, oct_.pk): D(1000),
        (a.pk, nov.pk): D("2500.5"),
        (b.pk, nov.pk): D(300),
        (q.pk, q4.pk): D(700),
    }
    assert set(
        PendingRecalculation.objects.for_org(org).values_list("department_id", flat=True)
    ) == {dept.pk}
    page = client.get(_url(org, dept)).content.decode()
    assert 'value="2500.5"' in page
    # an emptied cell removes the month's own target; the others stay
    data[f"target_{a.pk}_{oct_.pk}"] = ""
    assert client.post(_url(org, dept), data).status_code == 302
    assert (a.pk, oct_.pk) not in _rows(org) and (a.pk, nov.pk) in _rows(org)


def test_saving_the_grid_unchanged_asks_the_service_nothing(
    client, hr, org, dept, periods, monkeypatch
):
    from metrics.scoring import PeriodTarget
    from metrics.services import period_targets as services
    from metrics.services.period_targets import kpi_period_targets_set

    (a,) = _kpis(org, dept, 1)
    nov = _month(periods, 11)
    kpi_period_targets_set(
        org=org, kpi=a, by=hr, fiscal_year=2026, targets={nov.pk: PeriodTarget(D(1000000))}
    )
    PendingRecalculation.objects.for_org(org).delete()
    monkeypatch.setattr(services, "kpi_period_targets_set", None)  # a call would fail
    client.force_login(hr)
    data = {f"target_{a.pk}_{nov.pk}": "1,000,000.00"}
    assert client.post(_url(org, dept), data).status_code == 302
    assert not PendingRecalculation.objects.for_org(org).exists()


def test_a_changed_target_keeps_the_months_own_threshold(client, hr, org, dept, periods):
    from metrics.scoring import PeriodTarget
    from metrics.services.period_targets import kpi_period_targets_set

    (a,) = _kpis(org, dept, 1)
    nov = _month(periods, 11)
    kpi_period_targets_set(
        org=org, kpi=a, by=hr, fiscal_year=2026, targets={nov.pk: PeriodTarget(D(200), D(50))}
    )
    client.force_login(hr)
    assert client.post(_url(org, dept), {f"target_{a.pk}_{nov.pk}": "400"}).status_code == 302
    row = KpiPeriodTarget.objects.for_org(org).get()
    assert (row.target, row.threshold) == (D(400), D(50))


def test_one_bad_cell_saves_nothing_for_any_kpi_and_names_kpi_and_period(
    client, hr, org, dept, periods
):
    from metrics.scoring import PeriodTarget
    from metrics.services.period_targets import kpi_period_targets_set

    a, b = _kpis(org, dept, 2)
    oct_, nov = _month(periods, 10), _month(periods, 11)
    # b's November has a threshold of its own: a target below it is refused by the service
    kpi_period_targets_set(
        org=org, kpi=b, by=hr, fiscal_year=2026, targets={nov.pk: PeriodTarget(D(200), D(150))}
    )
    before = _rows(org)
    PendingRecalculation.objects.for_org(org).delete()
    client.force_login(hr)
    data = {f"target_{a.pk}_{oct_.pk}": "1000", f"target_{b.pk}_{nov.pk}": "100"}
    response = client.post(_url(org, dept), data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == [f"target_{b.pk}_{nov.pk}"]
    message = errors[f"target_{b.pk}_{nov.pk}"][0]
    assert b.indicator.display_name in message and "2026-11" in message
    assert _rows(org) == before  # a's October, saved first, was rolled back too
    assert not PendingRecalculation.objects.for_org(org).exists()
    page = response.content.decode()
    assert "aria-invalid" in page and 'value="1000"' in page  # the typed cells stay

    data[f"target_{b.pk}_{nov.pk}"] = "abc"  # not a number: refused by the form
    response = client.post(_url(org, dept), data)
    assert f"target_{b.pk}_{nov.pk}" in response.context["form"].errors
    assert _rows(org) == before


def test_locked_period_cells_are_ignored(client, hr, org, dept, periods):
    (a,) = _kpis(org, dept, 1)
    jan, feb = _month(periods, 1), _month(periods, 2)
    period_lock(period=jan, by=hr)
    client.force_login(hr)
    data = {f"target_{a.pk}_{jan.pk}": "1", f"target_{a.pk}_{feb.pk}": "200"}
    assert client.post(_url(org, dept), data).status_code == 302
    assert _rows(org) == {(a.pk, feb.pk): D(200)}


def test_a_kpi_of_another_department_is_not_read(client, hr, org, dept, periods):
    other = make_department(org, code="other")
    (a,) = _kpis(org, other, 1)
    (mine,) = _kpis(org, dept, 1, start=1)
    feb = _month(periods, 2)
    client.force_login(hr)
    data = {f"target_{a.pk}_{feb.pk}": "200", f"target_{mine.pk}_{feb.pk}": "300"}
    assert client.post(_url(org, dept), data).status_code == 302
    assert _rows(org) == {(mine.pk, feb.pk): D(300)}


def test_chinese_page(client, hr, org, dept):
    _kpis(org, dept, 1)
    client.force_login(hr)
    assert client.get(_url(org, dept), HTTP_ACCEPT_LANGUAGE="zh-hans").status_code == 200


# session, user, membership, organization and the page's history context (5, as every
# page), the department and its managers, its KPIs, the fiscal years, the year's periods,
# the KPIs' own targets, last year's values; the closing history context.
GRID_QUERIES = 14


def test_query_count_does_not_grow_with_the_kpis(
    client, hr, org, dept, periods, django_assert_num_queries
):
    """The same queries for 2 KPIs as for 10, with own targets and last year's values."""
    from metrics.scoring import PeriodTarget
    from metrics.services.actuals import ActualInput, actuals_save
    from metrics.services.period_targets import kpi_period_targets_set
    from metrics.services.periods import periods_generate

    last = [p for p in periods_generate(org=org, fiscal_year=2025, by=None) if p.kind == "month"]
    months = [p for p in periods if p.kind == "month"]

    def add(n, start):
        kpis = _kpis(org, dept, n, start=start)
        actuals_save(
            org=org,
            by=hr,
            source="api",
            can_enter=lambda d: True,
            entries=[ActualInput(k.pk, m.pk, str(m.number), note="n") for k in kpis for m in last],
        )
        for k in kpis:
            kpi_period_targets_set(
                org=org, kpi=k, by=hr, fiscal_year=2026, targets={months[5].pk: PeriodTarget(D(9))}
            )

    client.force_login(hr)
    add(2, 0)
    client.get(_url(org, dept))  # a session's first page makes two more queries (the menu's)
    with django_assert_num_queries(GRID_QUERIES):
        assert client.get(_url(org, dept)).status_code == 200
    add(8, 2)
    with django_assert_num_queries(GRID_QUERIES):
        response = client.get(_url(org, dept))
    assert len(dict(response.context["tables"])["month"]) == 10
    assert response.context["tables"][0][1][0][0].shape_problem == ""
