"""The "Targets by period" page (metrics.views.config.kpi_targets): roles, the editor's
cells, saving in one go, refusals beside their cells with nothing saved, query count."""

from decimal import Decimal

import pytest
from django.urls import reverse

from metrics.models import KpiPeriodTarget, PendingRecalculation
from metrics.services.kpis import kpi_create
from metrics.services.periods import periods_generate
from tests.factories import make_department

pytestmark = pytest.mark.django_db
D = Decimal


def _url(org, kpi, year=2026):
    return reverse("kpi_targets", kwargs={"slug": org.slug, "pk": kpi.pk}) + f"?year={year}"


@pytest.fixture
def revenue(sales_kpis):
    return sales_kpis["sales_revenue"]


def _month(periods, n):
    return next(p for p in periods if p.kind == "month" and p.number == n)


@pytest.mark.parametrize(
    "role,status",
    [("admin", 200), ("hr", 200), ("manager", 403), ("executive", 403), ("outsider", 404)],
)
def test_roles(client, request, revenue, role, status):
    client.force_login(request.getfixturevalue(role))
    assert client.get(_url(revenue.organization, revenue)).status_code == status


def test_another_organizations_kpi_is_404(client, outsider, other_org, revenue):
    """An admin of another organization asks for this KPI through their own slug: 404."""
    client.force_login(outsider)
    url = reverse("kpi_targets", kwargs={"slug": other_org.slug, "pk": revenue.pk})
    assert client.get(url).status_code == 404
    assert client.post(url, {}).status_code == 404


def test_page_shows_twelve_months_with_the_kpi_target_as_placeholder(client, hr, revenue, periods):
    client.force_login(hr)
    response = client.get(_url(revenue.organization, revenue))
    page = response.content.decode()
    assert len(response.context["view"].cells) == 12
    assert page.count("data-target-cell") == 12
    assert 'placeholder="1,666,666.67"' in page
    assert 'data-even="1666666.67"' in page
    assert "perfhub/period_targets.js" in page
    grid = client.get(reverse("kpi_grid", kwargs={"slug": "acme", "pk": revenue.department_id}))
    assert _url(revenue.organization, revenue).split("?")[0] in grid.content.decode()


def test_save_in_one_go_and_marks_only_the_department(client, hr, org, revenue, periods):
    make_department(org, code="ops")
    PendingRecalculation.objects.for_org(org).delete()
    oct_, nov = _month(periods, 10), _month(periods, 11)
    client.force_login(hr)
    data = {
        f"target_{oct_.pk}": "1,000,000",
        f"target_{nov.pk}": "250万",
        f"threshold_{nov.pk}": "0",
    }
    response = client.post(_url(org, revenue), data)
    assert response.status_code == 302
    rows = dict(KpiPeriodTarget.objects.for_org(org).values_list("period_id", "target"))
    assert rows == {oct_.pk: D(1000000), nov.pk: D(2500000)}
    assert set(
        PendingRecalculation.objects.for_org(org).values_list("department_id", flat=True)
    ) == {revenue.department_id}
    page = client.get(_url(org, revenue)).content.decode()
    assert 'value="2500000"' in page


def test_bad_cells_are_refused_beside_their_cell_and_nothing_is_saved(
    client, hr, org, revenue, periods
):
    oct_, nov, dec = _month(periods, 10), _month(periods, 11), _month(periods, 12)
    client.force_login(hr)
    data = {
        f"target_{oct_.pk}": "1000000",
        f"target_{nov.pk}": "2500000",
        f"threshold_{nov.pk}": "3000000",  # above the target of a higher-is-better KPI
        f"target_{dec.pk}": "abc",
    }
    response = client.post(_url(org, revenue), data)
    assert response.status_code == 200
    form = response.context["form"]
    assert f"target_{dec.pk}" in form.errors
    assert not KpiPeriodTarget.objects.for_org(org).exists()
    del data[f"target_{dec.pk}"]
    response = client.post(_url(org, revenue), data)
    errors = response.context["form"].errors
    assert list(errors) == [f"threshold_{nov.pk}"]
    assert errors[f"threshold_{nov.pk}"][0].startswith("2026-11: ")
    assert not KpiPeriodTarget.objects.for_org(org).exists()
    assert "aria-invalid" in response.content.decode()


def test_threshold_without_target_is_refused_naming_the_month(client, hr, org, revenue, periods):
    nov = _month(periods, 11)
    client.force_login(hr)
    response = client.post(_url(org, revenue), {f"threshold_{nov.pk}": "5"})
    assert "2026-11" in response.context["form"].errors[f"target_{nov.pk}"][0]


def test_chinese_page(client, hr, org, revenue, periods):
    client.force_login(hr)
    response = client.get(_url(org, revenue), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200


def test_yearly_kpi_has_no_cells(client, hr, org, sales, library, periods):
    from metrics import selectors

    ind = selectors.indicator_list(org=org).get(code="turnover_rate")
    kpi = kpi_create(
        org=org,
        by=None,
        department=sales,
        indicator=ind,
        weight=D(1),
        target=D(10),
        target_period="year",
    )
    client.force_login(hr)
    response = client.get(_url(org, kpi))
    assert response.status_code == 200 and response.context["view"].cells == []


# session, user, membership, organization (4 + the 5 of every page, see test_config_views),
# the KPI, the fiscal years, the current month, the year's periods, its own targets, last
# year's values.
EDITOR_QUERIES = 14


@pytest.mark.parametrize("filled", [False, True])
def test_editor_query_count_is_fixed(
    client, hr, org, revenue, periods, filled, django_assert_max_num_queries
):
    """The same queries with no own target and no history as with every month set and a
    whole last year of values."""
    if filled:
        from metrics.scoring import PeriodTarget
        from metrics.services.actuals import ActualInput, actuals_save
        from metrics.services.period_targets import kpi_period_targets_set

        last = periods_generate(org=org, fiscal_year=2025, by=None)
        actuals_save(
            org=org,
            by=hr,
            source="api",
            can_enter=lambda d: True,
            entries=[
                ActualInput(revenue.pk, m.pk, str(m.number), note="n")
                for m in last
                if m.kind == "month"
            ],
        )
        months = [p for p in periods if p.kind == "month"]
        kpi_period_targets_set(
            org=org,
            kpi=revenue,
            by=hr,
            fiscal_year=2026,
            targets={m.pk: PeriodTarget(D(m.number * 100000)) for m in months},
        )
    client.force_login(hr)
    with django_assert_max_num_queries(EDITOR_QUERIES):
        response = client.get(_url(org, revenue))
    assert response.status_code == 200
    assert (response.context["view"].shape_problem == "") is filled


def test_the_kpi_page_links_to_the_editor_for_hr_only(client, hr, executive, org, revenue, periods):
    url = reverse("kpi_detail", kwargs={"slug": org.slug, "pk": revenue.pk})
    editor = reverse("kpi_targets", kwargs={"slug": org.slug, "pk": revenue.pk})
    client.force_login(hr)
    assert editor in client.get(url).content.decode()
    client.force_login(executive)
    assert editor not in client.get(url).content.decode()


def test_a_locked_months_cell_is_shown_disabled_and_never_read_back(
    client, hr, org, revenue, periods
):
    from metrics.services.periods import period_lock

    jan, feb = _month(periods, 1), _month(periods, 2)
    period_lock(period=jan, by=hr)
    client.force_login(hr)
    page = client.get(_url(org, revenue)).content.decode()
    assert page.count(" disabled") >= 2  # January's target and threshold
    data = {f"target_{jan.pk}": "1", f"target_{feb.pk}": "2000000"}
    assert client.post(_url(org, revenue), data).status_code == 302
    rows = dict(KpiPeriodTarget.objects.for_org(org).values_list("period_id", "target"))
    assert rows == {feb.pk: D(2000000)}
